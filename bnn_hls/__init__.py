"""bnn-hls: compile Bi-Real Net checkpoints into bit-exact FPGA hardware."""
__version__ = "0.1.0"
