"""Shortcut adders (bnn_hls.backends.rtl.pointwise) against ops.add_saturate, and stream FIFOs
and register slices (bnn_hls.backends.rtl.streams) as pass-throughs; harness and vectors from
tests/test_rtl_tiles.py."""

import cocotb
from stream_tests import full_rate, random_stalls  # noqa: F401 (run by cocotb)

from bnn_hls.backends.rtl.axis_sim import check_vectors


@cocotb.test()
async def skip_runs_ahead(dut):
    # The conv branch lags: the skip FIFO fills up and must push back without losing beats.
    await check_vectors(dut, stall=0.1, seed=3, stall_by_port={"s_conv_axis": 0.8})


@cocotb.test()
async def skip_lags(dut):
    await check_vectors(dut, stall=0.1, seed=4, stall_by_port={"s_skip_axis": 0.8})
