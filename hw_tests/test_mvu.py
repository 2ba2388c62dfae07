"""XNOR-popcount MVUs (bnn_hls.backends.rtl.mvu) side by side in one harness, against dot
products computed in NumPy and by ops.binary_conv (tests/test_rtl_popcount_mvu.py writes the
vectors, with each unit's full-rate cycle window from the RTL cycle model)."""

import cocotb
from stream_tests import full_rate  # noqa: F401 (run by cocotb)

from bnn_hls.backends.rtl.axis_sim import check_vectors


@cocotb.test()
async def random_stalls(dut):
    await check_vectors(dut, stall=0.35, seed=2)


@cocotb.test()
async def slow_consumer(dut):
    await check_vectors(dut, stall=0.1, seed=3, stall_by_port={"m_axis": 0.8})


@cocotb.test()
async def slow_producer(dut):
    await check_vectors(dut, stall=0.1, seed=4, stall_by_port={"s_axis": 0.8})
