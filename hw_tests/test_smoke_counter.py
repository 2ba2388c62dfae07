"""Toolchain smoke test: the counter counts enabled cycles and saturates at 2**WIDTH - 1."""

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, RisingEdge


@cocotb.test()
async def counts_and_saturates(dut):
    width = int(dut.WIDTH.value)
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    dut.rst.value = 1
    dut.en.value = 0
    await RisingEdge(dut.clk)
    await FallingEdge(dut.clk)
    dut.rst.value = 0
    expected = 0
    for cycle in range(2**width + 3):
        enabled = cycle % 3 != 0
        dut.en.value = enabled
        await FallingEdge(dut.clk)
        if enabled:
            expected = min(expected + 1, 2**width - 1)
        assert int(dut.count.value) == expected, f"cycle {cycle}"
    assert expected == 2**width - 1
