"""Affine units and binarisers (bnn_hls.backends.rtl.pointwise) against ops.affine /
formats.saturate / ops.sign_bits; harness and vectors from tests/test_rtl_tiles.py."""

from stream_tests import full_rate, random_stalls  # noqa: F401 (run by cocotb)

