"""Width converters and stream forks (bnn_hls.backends.rtl.streams) against the re-folded /
copied input streams that tests/test_rtl_real_mvu_streams.py writes. Each output stream's
vectors carry the window of cycles in which its last beat must come at full rate."""

import cocotb
from stream_tests import full_rate, random_stalls  # noqa: F401 (run by cocotb)

from bnn_hls.backends.rtl.axis_sim import check_vectors


@cocotb.test()
async def outputs_stall_independently(dut):
    # Fork outputs: one nearly always ready, one rarely, one in between.
    await check_vectors(dut, stall=0.2, seed=3,
                        stall_by_port={"m0_axis": 0.05, "m1_axis": 0.8, "m2_axis": 0.5})


@cocotb.test()
async def slow_consumer(dut):
    await check_vectors(dut, stall=0.1, seed=4, stall_by_port={"m_axis": 0.85})


@cocotb.test()
async def slow_producer(dut):
    await check_vectors(dut, stall=0.1, seed=5, stall_by_port={"s_axis": 0.85})
