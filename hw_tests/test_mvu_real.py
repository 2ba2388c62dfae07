"""Real-valued matrix-vector units (bnn_hls.backends.rtl.mvu_real), alone and behind a
sliding-window generator, against ops.real_conv / ops.linear; harness and vectors from
tests/test_rtl_real_mvu_streams.py."""

import cocotb
from stream_tests import full_rate, random_stalls  # noqa: F401 (run by cocotb)

from bnn_hls.backends.rtl.axis_sim import check_vectors


@cocotb.test()
async def slow_consumer(dut):
    await check_vectors(dut, stall=0.1, seed=3, stall_by_port={"m_axis": 0.85})


@cocotb.test()
async def slow_producer(dut):
    await check_vectors(dut, stall=0.1, seed=4, stall_by_port={"s_axis": 0.85})
