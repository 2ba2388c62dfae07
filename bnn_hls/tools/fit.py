"""Fit check: a network's estimated resources (bnn_hls.hw.estimates) against a board, and the
fastest folding that fits, searched over target cycles per image under the RTL cycle model.

A design fits when every resource's use is within the board's: LUTs (logic LUTs plus the
LUTs used as LUTRAM), flip-flops, block RAM, UltraRAM, LUTRAM and DSPs.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from pathlib import Path

import yaml

from bnn_hls.backends.rtl.cycles import RTL_CYCLES
from bnn_hls.boards import Board
from bnn_hls.compiler import ir
from bnn_hls.hw.estimates import Fabric, fabric, memory_cost, stage_resources
from bnn_hls.hw.folding import Fold, auto_folding, fold_candidates, mvu_shapes
from bnn_hls.hw.plan import DataflowPlan, build_plan
from bnn_hls.hw.plan_estimates import StageEstimate, estimate_plan, plan_total
from bnn_hls.hw.stages import RealMvuStage, XnorMvuStage
from bnn_hls.hw.technology import Resources, Technology

RESOURCE_LABELS = {"luts": "LUTs", "ffs": "flip-flops", "bram_bits": "block RAM bits",
                   "uram_bits": "UltraRAM bits", "lutram_bits": "LUTRAM bits", "dsps": "DSPs"}
MEMORY_RESOURCES = ("bram_bits", "uram_bits", "lutram_bits")
MAX_LANE_GROWTH = 16
SEARCH_STEPS = 6  # bisection steps between a target that does not fit and one that does
SWEEP_RATIO = 1.5
SLOWEST_TARGET = 1 << 40  # every layer at its fewest lanes


@dataclass(frozen=True)
class Use:
    resource: str
    used: int
    available: int

    @property
    def fits(self) -> bool:
        return self.used <= self.available

    @property
    def percent(self) -> float:
        return 100.0 * self.used / self.available if self.available else float("inf")

    def describe(self) -> str:
        label = RESOURCE_LABELS[self.resource]
        share = f"{self.percent:5.1f} %" if self.available else "  none on board"
        flag = "" if self.fits else "  OVERFLOWS"
        return f"{label:>15}: {self.used:>11,} of {self.available:>11,} {share}{flag}"


@dataclass(frozen=True)
class FitReport:
    board: Board
    plan: DataflowPlan
    estimates: list[StageEstimate]

    @property
    def total(self) -> Resources:
        return plan_total(self.estimates)

    @property
    def uses(self) -> list[Use]:
        used = self.total
        # LUTs used as LUTRAM are LUTs too.
        lutram_luts = used.lutram_bits // fabric(self.board.technology).lut_bits
        return [Use(f.name, getattr(used, f.name) + (lutram_luts if f.name == "luts" else 0),
                    getattr(self.board.resources, f.name)) for f in fields(Resources)]

    @property
    def fits(self) -> bool:
        return all(u.fits for u in self.uses)

    @property
    def overflows(self) -> list[Use]:
        return [u for u in self.uses if not u.fits]

    @property
    def cycles_per_image(self) -> int:
        return self.plan.expected_cycles_per_image

    @property
    def load_bits(self) -> int:
        return sum(e.load_bits for e in self.estimates)

    def describe(self) -> str:
        clock = self.board.clock_mhz
        lines = [f"{self.board.title}: {self.cycles_per_image:,} cycles/image "
                 f"({clock * 1e6 / self.cycles_per_image:,.1f} images/s at an assumed "
                 f"{clock:g} MHz clock), "
                 f"estimate:", *("  " + u.describe() for u in self.uses)]
        if self.load_bits:
            lines.append(f"  {self.load_bits / 1e6:.2f} Mbit of weights sit in UltraRAM, which "
                         f"the bitstream cannot initialise: the RTL gets a weight port, and "
                         f"the PYNQ driver sends them at start-up (rtl/weights.bin)")
        return "\n".join(lines)


def memory_aware_folding(graph: ir.Graph, target: int, fab: Fabric) -> dict[str, Fold]:
    """Per matrix-vector layer, of the folds meeting ``target`` with at most
    ``MAX_LANE_GROWTH`` times the fewest lanes, the one costing least as weight memory in
    whole blocks plus LUTs (a narrow deep ROM wastes UltraRAM, a wide shallow one block RAM;
    more lanes cost LUTs)."""
    folding = auto_folding(graph, target, RTL_CYCLES)
    stages = {p.layer: p.stage for p in build_plan(graph, folding, RTL_CYCLES).stages.values()
              if isinstance(p.stage, XnorMvuStage | RealMvuStage)}
    for shape in mvu_shapes(graph):
        chosen = folding[shape.name]
        limit = max(target, shape.cycles(chosen, RTL_CYCLES))
        meeting = [f for f in fold_candidates(shape)
                   if shape.cycles(f, RTL_CYCLES) <= limit
                   and f.pe * f.simd <= MAX_LANE_GROWTH * chosen.pe * chosen.simd]

        def cost(fold: Fold, stage=stages[shape.name]) -> tuple[float, int, int]:
            folded = replace(stage, pe=fold.pe, simd=fold.simd)
            return (memory_cost(folded, fab) + stage_resources(folded, fab, RTL_CYCLES.timing).luts,
                    fold.pe * fold.simd, fold.pe)

        folding[shape.name] = min(meeting, key=cost)
    return folding


def check_fit(plan: DataflowPlan, board: Board) -> FitReport:
    return FitReport(board, plan, estimate_plan(plan, board.technology, RTL_CYCLES.timing))


class FoldingSweep:
    """Plans of one graph folded for target cycles per image under the RTL cycle model,
    built once per target and shared by the boards checked against them."""

    def __init__(self, graph: ir.Graph):
        self.graph = graph
        self.plans: dict[tuple[int, Technology], DataflowPlan] = {}

    def plan(self, target: int, technology: Technology) -> DataflowPlan:
        key = (target, technology)
        if key not in self.plans:
            folding = memory_aware_folding(self.graph, target, fabric(technology))
            self.plans[key] = build_plan(self.graph, folding, RTL_CYCLES)
        return self.plans[key]

    def targets(self) -> list[int]:
        """From the fastest folding the cycle model allows to the fewest lanes, each target
        SWEEP_RATIO times the last."""
        fastest = build_plan(self.graph, auto_folding(self.graph, 1, RTL_CYCLES), RTL_CYCLES)
        target, slowest = fastest.expected_cycles_per_image, SLOWEST_TARGET
        out = []
        while target < slowest:
            out.append(target)
            target = int(target * SWEEP_RATIO) + 1
        return out + [slowest]


def weight_bits(plan: DataflowPlan) -> int:
    """Bits of every weight, however folded: what on-chip memory must hold at least."""
    bits = 0
    for placed in plan.stages.values():
        stage = placed.stage
        if isinstance(stage, XnorMvuStage):
            bits += stage.weights.size
        elif isinstance(stage, RealMvuStage):
            bits += stage.weights.size * stage.weight_width
    return bits


def memory_bits(board: Board) -> int:
    return sum(getattr(board.resources, name) for name in MEMORY_RESOURCES)


@dataclass(frozen=True)
class FitSearch:
    """The fastest fitting design, or None, and the slowest folding tried (what overflows
    even then)."""

    best: FitReport | None
    slowest: FitReport

    @property
    def lacks_memory(self) -> bool:
        return weight_bits(self.slowest.plan) > memory_bits(self.slowest.board)


def fastest_fit(sweep: FoldingSweep, board: Board) -> FitSearch:
    """The first target of the sweep whose folding fits, refined by bisection towards the
    last target before it that did not fit. (Fit is not monotonic in the target: memory
    blocks are whole, so the sweep does not stop at the first failure.)"""
    def at(target: int) -> FitReport:
        return check_fit(sweep.plan(target, board.technology), board)

    slowest = at(SLOWEST_TARGET)
    previous = None
    for target in sweep.targets():
        report = at(target)
        if report.fits:
            return FitSearch(_bisect(at, previous, target, report), slowest)
        previous = target
    return FitSearch(None, slowest)


def _bisect(at, low: int | None, high: int, best: FitReport) -> FitReport:
    for _ in range(SEARCH_STEPS if low is not None else 0):
        if high - low <= max(1, low // 100):
            break
        middle = (low + high) // 2
        report = at(middle)
        if report.fits:
            high, best = middle, report
        else:
            low = middle
    return best


def write_folding(folding: dict[str, Fold], path: Path) -> None:
    """``{layer: {pe: N, simd: N}}``, what ``bnn-hls compile --folding`` reads."""
    path.write_text(yaml.safe_dump({name: {"pe": f.pe, "simd": f.simd}
                                    for name, f in folding.items()}, sort_keys=False))
