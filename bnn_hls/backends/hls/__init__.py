"""The HLS C++ backend: a dataflow plan as a Vitis-HLS-ready C++ top over the kernel library
in ``templates/hls/``, C-simulated with g++ (``bnn_hls.tools.csim``)."""
