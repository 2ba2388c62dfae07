"""Pooling tiles (bnn_hls.backends.rtl.pool) against ops.max_pool / avg_pool_sum /
global_sum; harness and vectors from tests/test_rtl_tiles.py."""

import cocotb
from stream_tests import full_rate, random_stalls  # noqa: F401 (run by cocotb)

from bnn_hls.backends.rtl.axis_sim import check_vectors


@cocotb.test()
async def slow_consumer(dut):
    await check_vectors(dut, stall=0.1, seed=3, stall_by_port={"m_axis": 0.8})
