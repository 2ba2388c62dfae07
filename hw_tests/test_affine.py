"""Affine units and binarisers (bnn_hls.backends.rtl.pointwise) against ops.affine /
formats.saturate / ops.sign_bits; harness and vectors from tests/test_rtl_tiles.py."""

import cocotb

from bnn_hls.backends.rtl.axis_sim import check_vectors


@cocotb.test()
async def full_rate(dut):
    cycles = await check_vectors(dut, stall=0.0)
    dut._log.info("all beats out after %d cycles", cycles)


@cocotb.test()
async def random_stalls(dut):
    await check_vectors(dut, stall=0.4, seed=2)
