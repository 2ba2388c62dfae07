"""The shape of the LUT-efficient popcount tree (rendered by backends/rtl/popcount.py):
small adders ``a + b + c``, one carry chain each, and its register ranks by adder depth.

The plan belongs to the hardware plan because the pipeline depth a clock asks for
(bnn_hls.hw.timing) and the resource estimates both follow from it.
"""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass

from bnn_hls.hw.intervals import clog2

ABSORB_STEPS = 6  # two-bit absorb adders per seed; python -m bnn_hls.bench_lut measures the cost


@dataclass(frozen=True)
class Value:
    """A count in the tree: an input bit or an adder output, ``depth`` adders from the input."""

    ref: str  # Verilog expression at the stage that produces it
    max_count: int
    depth: int

    @property
    def width(self) -> int:
        return max(1, clog2(self.max_count + 1))


@dataclass(frozen=True)
class Adder:
    out: Value
    terms: tuple[Value, ...]  # two or three; a trailing single bit rides the carry-in


def plan_tree(width: int, absorb_steps: int = ABSORB_STEPS) -> tuple[list[Adder], Value]:
    """The adders (in dependency order) summing ``bits[0..width-1]``, and the root value."""
    bits = [Value(f"bits[{i}]", 1, 0) for i in range(width)]
    adders: list[Adder] = []

    def add(*terms: Value) -> Value:
        out = Value(f"sum{len(adders)}", sum(t.max_count for t in terms),
                    1 + max(t.depth for t in terms))
        adders.append(Adder(out, terms))
        return out

    if width == 1:
        return adders, bits[0]
    if width <= 3:  # a single adder (too short for a carry chain: LUT logic)
        return adders, add(*bits)
    # Per seed: 2 bits, 2 per absorb step, and 1 carry-in for the merge that joins it.
    seeds = max(1, (width + 1) // (3 + 2 * absorb_steps))
    merge_carries = bits[width - (seeds - 1):]
    absorbed = bits[:width - (seeds - 1)]  # >= 2 bits per seed since seeds <= (width + 1) / 3
    groups = []
    for s in range(seeds):
        group = absorbed[s * len(absorbed) // seeds:(s + 1) * len(absorbed) // seeds]
        total = add(group[0], group[1])
        for i in range(2, len(group), 2):
            total = add(total, *group[i:i + 2])
        groups.append(total)
    # Merge the shallowest two first, so the tree stays balanced in depth.
    order = itertools.count()
    heap = [(g.depth, g.max_count, next(order), g) for g in groups]
    heapq.heapify(heap)
    while len(heap) > 1:
        a, b = heapq.heappop(heap)[3], heapq.heappop(heap)[3]
        total = add(a, b, merge_carries.pop()) if merge_carries else add(a, b)
        heapq.heappush(heap, (total.depth, total.max_count, next(order), total))
    return adders, heap[0][3]


@dataclass(frozen=True)
class Register:
    name: str
    width: int
    source: str


@dataclass(frozen=True)
class PipelinedTree:
    """The tree's adders with their operands taken at the right pipeline stage, the
    registers between stages, and the expression of the final (registered) count."""

    adders: tuple[Adder, ...]
    registers: tuple[Register, ...]
    result: str


def pipeline(adders: list[Adder], root: Value, stages: int) -> PipelinedTree:
    """Cut the tree into ``stages`` register ranks by adder depth; the last rank registers
    the result. A value consumed ``k`` stages after it is made passes ``k`` registers."""
    depth = max(root.depth, 1)

    def stage_of(value: Value) -> int:
        return 0 if value.depth == 0 else (value.depth - 1) * stages // depth

    registers: dict[str, Register] = {}

    def at_stage(value: Value, stage: int) -> str:
        ref = value.ref
        for k in range(stage_of(value) + 1, stage + 1):
            name = f"{_identifier(value.ref)}_q{k}"
            registers.setdefault(name, Register(name, value.width, ref))
            ref = name
        return ref

    staged = tuple(
        Adder(a.out, tuple(Value(at_stage(t, stage_of(a.out)), t.max_count, t.depth)
                           for t in a.terms))
        for a in adders)
    result = at_stage(root, stages)
    return PipelinedTree(staged, tuple(registers.values()), result)


def _identifier(ref: str) -> str:
    """``bits[7]`` -> ``bits7``: a register name for a value."""
    return ref.replace("[", "").replace("]", "")
