"""Technology-mapped popcounts (bnn_hls.hw.popcount_mapped) on the vendor primitive
models, side by side in one combinational bank with the behavioural XNOR lane as reference:
every count pattern of the small widths, random vectors for the wide ones.

$MAPPED_CASES names a JSON file {"cases": [{"name", "width", "kind", "weights"}]}; kind is
"xnor" (ports <name>_act/_weights/_valid, and <name>_plain_count from the behavioural lane),
"bits" (<name>_bits) or "hardwired" (<name>_act/_valid, weights the case's constants); every
case has <name>_count (tests/test_popcount_mapped.py)."""

import json
import os
import random
from pathlib import Path

import cocotb
from bit_patterns import bit_patterns
from cocotb.triggers import Timer

EXHAUSTIVE_MAX_WIDTH = 12
RANDOM_VECTORS = 200


class Case:
    def __init__(self, dut, case: dict, rng: random.Random):
        self.name, self.width, self.kind = case["name"], case["width"], case["kind"]
        self.weights = sum(b << i for i, b in enumerate(case.get("weights") or []))
        self.ports = {p: getattr(dut, f"{self.name}_{p}") for p in self.inputs()}
        self.count = getattr(dut, f"{self.name}_count")
        self.plain = getattr(dut, f"{self.name}_plain_count") if self.kind == "xnor" else None
        self.rng = rng
        self.todo = bit_patterns(self.width, rng, EXHAUSTIVE_MAX_WIDTH, RANDOM_VECTORS)
        self.checked = 0

    def inputs(self) -> tuple[str, ...]:
        return {"xnor": ("act", "weights", "valid"), "bits": ("bits",),
                "hardwired": ("act", "valid")}[self.kind]

    def drive(self, step: int) -> int:
        """Present a random encoding of pattern ``step``; returns the expected count."""
        pattern = self.todo[step % len(self.todo)]
        ones = (1 << self.width) - 1
        if self.kind == "bits":
            self.ports["bits"].value = pattern
            return pattern.bit_count()
        weights = self.weights if self.kind == "hardwired" else self.rng.getrandbits(self.width)
        # Counted bits: valid and act == weight; the others: invalid or act != weight.
        invalid = self.rng.getrandbits(self.width) & ~pattern & ones
        act = (weights & pattern) | (~weights & ~pattern & ~invalid & ones)
        act |= self.rng.getrandbits(self.width) & invalid
        valid = ones & ~invalid
        self.ports["act"].value = act
        self.ports["valid"].value = valid
        if self.kind == "xnor":
            self.ports["weights"].value = weights
        expected = (valid & ~(act ^ weights) & ones).bit_count()
        assert expected == pattern.bit_count()
        return expected

    def check(self, expected: int) -> None:
        got = int(self.count.value)
        assert got == expected, f"{self.name}: count {got}, expected {expected}"
        if self.plain is not None:
            plain = int(self.plain.value)
            assert plain == got, f"{self.name}: mapped {got}, behavioural {plain}"
        self.checked += 1


@cocotb.test()
async def counts_match(dut):
    cases = json.loads(Path(os.environ["MAPPED_CASES"]).read_text())["cases"]
    rng = random.Random(11)
    bank = [Case(dut, case, rng) for case in cases]
    for step in range(max(len(c.todo) for c in bank)):
        expected = [c.drive(step) for c in bank]
        await Timer(1, unit="ns")
        for c, want in zip(bank, expected, strict=True):
            c.check(want)
    dut._log.info("checked %s", {c.name: c.checked for c in bank})
