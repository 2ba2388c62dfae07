"""Popcount trees (bnn_hls.backends.rtl.popcount) side by side in one bank: every input of the
small widths, extremes and random densities for the wide ones, random pipeline enables.

$POPCOUNT_CASES names a JSON file {"cases": [{"name", "width", "stages"}]}; the bank has
ports <name>_bits and <name>_count, and shared clk and en (tests/test_rtl_popcount_mvu.py)."""

import json
import os
import random
from collections import deque
from pathlib import Path

import cocotb
from bit_patterns import bit_patterns
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, ReadOnly, RisingEdge

EXHAUSTIVE_MAX_WIDTH = 10
RANDOM_VECTORS = 300


class Lane:
    """One popcount under test and its reference: a pipeline of `stages` expected counts that
    shifts on every enabled clock edge."""

    def __init__(self, dut, case: dict, rng: random.Random):
        self.name, self.stages = case["name"], case["stages"]
        self.bits = getattr(dut, f"{self.name}_bits")
        self.count = getattr(dut, f"{self.name}_count")
        self.todo = bit_patterns(case["width"], rng, EXHAUSTIVE_MAX_WIDTH, RANDOM_VECTORS)
        self.pipe = deque([None] * self.stages)
        self.presented = 0
        self.checked = 0

    @property
    def done(self) -> bool:  # every vector has come out of the pipeline
        return self.presented >= len(self.todo) + self.stages

    def present(self) -> None:
        self.bits.value = self.todo[self.presented % len(self.todo)]

    def check(self) -> None:
        current = self.todo[self.presented % len(self.todo)].bit_count()
        want = self.pipe[-1] if self.stages else current
        if want is not None:
            got = int(self.count.value)
            assert got == want, f"{self.name}: count {got}, expected {want}"
            self.checked += 1

    def clock(self, enabled: bool) -> None:
        if self.stages and enabled:
            self.pipe.appendleft(self.todo[self.presented % len(self.todo)].bit_count())
            self.pipe.pop()
        if enabled or not self.stages:
            self.presented += 1


@cocotb.test()
async def counts_match(dut):
    cases = json.loads(Path(os.environ["POPCOUNT_CASES"]).read_text())["cases"]
    rng = random.Random(7)
    lanes = [Lane(dut, case, rng) for case in cases]
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    cycles = 0
    while not all(lane.done for lane in lanes):
        await FallingEdge(dut.clk)
        enabled = rng.random() < 0.7
        dut.en.value = int(enabled)
        for lane in lanes:
            lane.present()
        await ReadOnly()
        for lane in lanes:
            lane.check()
        await RisingEdge(dut.clk)
        for lane in lanes:
            lane.clock(enabled)
        cycles += 1
        assert cycles < 20 * max(len(lane.todo) for lane in lanes) + 100, "not converging"
    dut._log.info("checked %s in %d cycles", {lane.name: lane.checked for lane in lanes},
                  cycles)
