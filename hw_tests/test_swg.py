"""Sliding-window generators (bnn_hls.backends.rtl.swg) against window vectors built from
ops.valid_taps; the harness and vectors come from tests/test_rtl_tiles.py."""

import cocotb
from stream_tests import full_rate, random_stalls  # noqa: F401 (run by cocotb)

from bnn_hls.backends.rtl.axis_sim import check_vectors


@cocotb.test()
async def slow_consumer(dut):
    # The MVU usually takes several cycles per beat: the line buffer must throttle its input.
    await check_vectors(dut, stall=0.1, seed=3, stall_by_port={"m_axis": 0.85})
