"""XNOR-popcount MVUs (bnn_hls.backends.rtl.mvu) side by side in one harness, against dot
products computed in NumPy and by ops.binary_conv (tests/test_rtl_popcount_mvu.py writes the
vectors; $MVU_IDEAL_CYCLES is the slowest unit's pixels x folds at one step per cycle)."""

import os

import cocotb

from bnn_hls.backends.rtl.axis_sim import check_vectors

PIPELINE_SLACK = 12  # fill and drain: operand, popcount, accumulate and output registers


@cocotb.test()
async def full_rate(dut):
    cycles = await check_vectors(dut, stall=0.0)
    ideal = int(os.environ["MVU_IDEAL_CYCLES"])
    dut._log.info("all dot products out after %d cycles (ideal %d)", cycles, ideal)
    assert cycles <= ideal + PIPELINE_SLACK, f"{cycles} cycles, ideal {ideal}"


@cocotb.test()
async def random_stalls(dut):
    await check_vectors(dut, stall=0.35, seed=2)


@cocotb.test()
async def slow_consumer(dut):
    await check_vectors(dut, stall=0.1, seed=3, stall_by_port={"m_axis": 0.8})


@cocotb.test()
async def slow_producer(dut):
    await check_vectors(dut, stall=0.1, seed=4, stall_by_port={"s_axis": 0.8})
