"""Pooling tiles (bnn_hls.backends.rtl.pool) against ops.max_pool / avg_pool_sum /
global_sum; harness and vectors from tests/test_rtl_tiles.py."""

import cocotb

from bnn_hls.backends.rtl.axis_sim import check_vectors


@cocotb.test()
async def full_rate(dut):
    cycles = await check_vectors(dut, stall=0.0)
    dut._log.info("all beats out after %d cycles", cycles)


@cocotb.test()
async def random_stalls(dut):
    await check_vectors(dut, stall=0.4, seed=2)


@cocotb.test()
async def slow_consumer(dut):
    await check_vectors(dut, stall=0.1, seed=3, stall_by_port={"m_axis": 0.8})
