"""cocotb tests shared by the tile testbenches: import them into a test module to run them on
its harness (cocotb collects every test found in the module's namespace)."""

import cocotb

from bnn_hls.backends.rtl.axis_sim import check_at_full_rate, check_vectors


@cocotb.test()
async def full_rate(dut):
    await check_at_full_rate(dut)


@cocotb.test()
async def random_stalls(dut):
    await check_vectors(dut, stall=0.4, seed=2)
