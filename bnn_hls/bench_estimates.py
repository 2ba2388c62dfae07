"""Resource estimates (bnn_hls.hw.estimates) against Yosys, per tile type over several
parameterisations, for both technology families:

    python -m bnn_hls.bench_estimates [--family xilinx ecp5 generic] [--tile xnor_mvu ...]
                                      [--cache DIR]

Every case renders the RTL tile of one plan stage as the family's build does (XNOR MVUs with
the family's mapped popcount lanes, on ECP5 with its DP16KD and MULT18X18D blocks),
synthesizes it alone (flattened, no I/O buffers) with ``synth_xilinx`` (7-series cells) and
``synth_ecp5``, and prints the estimate
beside the synthesis count and the error in percent per resource, then the median and worst
|error| per resource and family. Targets: median |error| <= 10 %, worst <= 25 % (for memories
and DSPs as well as LUTs and FFs). The tiles are built for the default clock
(bnn_hls.hw.timing), whose register ranks the estimates count. A Xilinx shift-register LUT
(SRL16E, a delay chain) counts as neither LUT nor flip-flop, as in the estimates.
``--family generic``: the generic build (behavioural popcount lanes, inferred memories)
through ``synth_xilinx``, against the generic estimates (which no board uses; a fully
unrolled XNOR MVU there is overestimated, see hw/estimates.py).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np

from bnn_hls.backends.rtl.network import tile_for
from bnn_hls.backends.rtl.weight_loader import WeightLoader
from bnn_hls.compiler.formats import Fixed
from bnn_hls.hw.estimates import estimate_stage
from bnn_hls.hw.layout import StreamLayout
from bnn_hls.hw.stages import (
    AffineStage,
    BinariseStage,
    FifoStage,
    ForkStage,
    GlobalSumStage,
    PoolKind,
    PoolStage,
    RealMvuStage,
    RegisterSliceStage,
    RelaneStage,
    ShortcutStage,
    Stage,
    WindowStage,
    XnorMvuStage,
)
from bnn_hls.hw.technology import Resources, Technology
from bnn_hls.hw.weight_load import LoadedMemory, WeightLoad, WeightStore, loader_resources
from bnn_hls.tools.yosys import SynthFlow, SynthStats, synth

FLOWS = {"xilinx": (SynthFlow.XILINX, Technology.XILINX_7SERIES),
         "ecp5": (SynthFlow.ECP5, Technology.LATTICE_ECP5),
         "generic": (SynthFlow.XILINX, Technology.GENERIC)}
DEFAULT_FAMILIES = ["xilinx", "ecp5"]
RAMB18_BITS, RAMB36_BITS, DP16KD_BITS = 18 * 1024, 36 * 1024, 18 * 1024
# Distributed RAM cells -> the LUTs they occupy (64 bits of RAM each on a LUT6 fabric).
XILINX_LUTRAM_LUTS = {"RAM32X1D": 2, "RAM64X1D": 2, "RAM128X1D": 4, "RAM32M": 4, "RAM64M": 4,
                      "RAM32M16": 8, "RAM64M8": 8, "RAM32X1S": 1, "RAM64X1S": 1,
                      "RAM128X1S": 2, "RAM256X1S": 4}
ECP5_LUTRAM_BITS = 64  # TRELLIS_DPR16X4: 16 words x 4 bits


def synthesized(stats: SynthStats, flow: SynthFlow) -> Resources:
    """A synthesized netlist's cells as resources, counted as a vendor utilisation report
    would: LUTs of logic (an ECP5 CCU2C carry cell is two LUT4s), flip-flops, block RAM and
    LUTRAM bits occupied, DSP multipliers."""
    if flow is SynthFlow.XILINX:
        return Resources(
            luts=stats.luts, ffs=stats.count("FDRE", "FDSE", "FDCE", "FDPE"),
            bram_bits=RAMB18_BITS * stats.count("RAMB18E1") + RAMB36_BITS * stats.count(
                "RAMB36E1"),
            lutram_bits=64 * sum(n * stats.count(cell) for cell, n in XILINX_LUTRAM_LUTS.items()),
            dsps=stats.count("DSP48E1"))
    return Resources(luts=stats.count("LUT4") + 2 * stats.count("CCU2C"),
                     ffs=stats.count("TRELLIS_FF"), bram_bits=DP16KD_BITS * stats.count("DP16KD"),
                     lutram_bits=ECP5_LUTRAM_BITS * stats.count("TRELLIS_DPR16X4"),
                     dsps=stats.count("MULT18X18D"))


def _bits(rng: np.random.Generator, cout: int, fan_in: int) -> np.ndarray:
    return rng.integers(0, 2, (cout, fan_in)).astype(bool)


def _int8(rng: np.random.Generator, cout: int, fan_in: int) -> np.ndarray:
    return rng.integers(-128, 128, (cout, fan_in))


def _fixed(width: int, frac: int) -> Fixed:
    return Fixed(width - 1 - frac, frac)


def cases() -> dict[str, list[Callable[[np.random.Generator], Stage | WeightLoad]]]:
    """Stage factories per tile type: small and medium shapes, ROMs in logic and in block
    RAM, FIFOs in LUTRAM and block RAM, and weight loaders (kept small: each synthesis takes
    5-60 s)."""
    return {
        "xnor_mvu": [
            lambda r: XnorMvuStage(_bits(r, 16, 72), pe=4, simd=8, pixels_per_image=64),
            lambda r: XnorMvuStage(_bits(r, 16, 144), pe=16, simd=16, pixels_per_image=64),
            lambda r: XnorMvuStage(_bits(r, 32, 576), pe=2, simd=64, pixels_per_image=16),
            # Cases added later draw their own weights, so the others' (and their cached
            # syntheses) stay as they were.
            lambda r: XnorMvuStage(_bits(np.random.default_rng(1), 32, 288), pe=8, simd=32,
                                   pixels_per_image=16),
            # fully unrolled: on a family's mapped lanes, the weights hard-wired into them
            lambda r: XnorMvuStage(_bits(np.random.default_rng(8), 16, 72), pe=16, simd=72,
                                   pixels_per_image=64),
            # weights the weight port loads: RAMs (bnn-hls compile --rtl --load-weights)
            lambda r: XnorMvuStage(_bits(np.random.default_rng(5), 16, 144), pe=16, simd=16,
                                   pixels_per_image=64, weights_loaded=True),
        ],
        "real_mvu": [
            lambda r: RealMvuStage(_int8(r, 16, 27), pe=4, simd=3, elem_width=8,
                                   with_valid=True, pixels_per_image=64),
            lambda r: RealMvuStage(_int8(r, 10, 128), pe=2, simd=16, elem_width=12),
            lambda r: RealMvuStage(_int8(np.random.default_rng(2), 8, 48), pe=8, simd=4,
                                   elem_width=4, pixels_per_image=16),
            lambda r: RealMvuStage(_int8(np.random.default_rng(6), 10, 128), pe=2, simd=16,
                                   elem_width=12, weights_loaded=True),
        ],
        "window": [
            lambda r: WindowStage(16, 8, 8, 3, 1, 1, simd=16),
            lambda r: WindowStage(64, 16, 16, 3, 2, 1, simd=64),
            lambda r: WindowStage(3, 32, 32, 7, 2, 3, simd=21, elem_width=8),
        ],
        "pool": [
            lambda r: PoolStage(PoolKind.MAX, 16, 4, 8, 16, 16, 3, 2, 1),
            lambda r: PoolStage.avg_pool_sum(64, 16, 8, 16, 16),
        ],
        "global_sum": [lambda r: GlobalSumStage(64, 8, 8, 7, 7)],
        "affine": [
            lambda r: AffineStage(16, 4, 12, r.integers(-300, 300, 16), r.integers(-999, 999, 16),
                                  6, out_format=_fixed(8, 4)),
            lambda r: AffineStage(32, 32, 9, r.integers(-60, 60, 32), r.integers(-99, 99, 32),
                                  3, out_format=_fixed(6, 2)),
            # a 20-bit input, split into two multiplier limbs
            lambda r: AffineStage(16, 8, 20, np.random.default_rng(3).integers(-900, 900, 16),
                                  np.random.default_rng(4).integers(-9999, 9999, 16), 10,
                                  out_format=_fixed(10, 4)),
        ],
        "binarise": [lambda r: BinariseStage(64, 16, 8)],
        "shortcut": [lambda r: ShortcutStage(64, 16, _fixed(8, 3), _fixed(8, 4), _fixed(8, 3))],
        "relane": [
            lambda r: RelaneStage(64, 8, 64, 8),
            lambda r: RelaneStage(128, 32, 16, 10),
            lambda r: RelaneStage(96, 16, 24, 6),
        ],
        "fork": [lambda r: ForkStage(StreamLayout(128, 16, 8, True), 3)],
        "slice": [
            lambda r: RegisterSliceStage(StreamLayout(288, 288, 2, True)),
            lambda r: RegisterSliceStage(StreamLayout(64, 16, 9, True)),
        ],
        "fifo": [
            lambda r: FifoStage(StreamLayout(64, 16, 8, True), 16),
            lambda r: FifoStage(StreamLayout(64, 64, 8, True), 100),
            lambda r: FifoStage(StreamLayout(128, 32, 8, True), 600),
            lambda r: FifoStage(StreamLayout(64, 16, 8, True), 600),
        ],
        "loader": [
            lambda r: WeightLoad((LoadedMemory("mvu", 36, 96, False),)),
            lambda r: WeightLoad((LoadedMemory("a", 16, 512, True),
                                  LoadedMemory("b", 64, 128, False),
                                  LoadedMemory("c", 9, 40, False))),
        ],
    }


@dataclass(frozen=True)
class Comparison:
    tile: str
    label: str
    family: str
    estimate: Resources
    synthesis: Resources
    seconds: float

    def errors(self) -> dict[str, float | None]:
        """Percent error per resource; None where both are 0."""
        out = {}
        for f in fields(Resources):
            est, syn = getattr(self.estimate, f.name), getattr(self.synthesis, f.name)
            out[f.name] = None if est == syn == 0 else 100.0 * (est - syn) / max(syn, 1)
        return out


def measure(tile_type: str, stage: Stage | WeightLoad, family: str, work: Path,
            cache: Path | None) -> Comparison:
    """Synthesize the stage's tile as the family's build renders it (or read the result
    cached for the same sources and flow) and compare it with the estimate."""
    flow, technology = FLOWS[family]
    if isinstance(stage, WeightLoad):
        loader = WeightLoader(stage)
        module = loader.module_name()
        files = {f"{module}.sv": loader.render()}
        estimate = loader_resources(stage, technology)
    else:
        loaded = isinstance(stage, XnorMvuStage | RealMvuStage) and stage.weights_loaded
        tile = tile_for(stage, technology=technology,
                        store=WeightStore.LOADED if loaded else WeightStore.ROM)
        module = tile.module_name("dut")
        files = {f"{module}.sv": tile.render("dut"), **tile.memory_files("dut")}
        estimate = estimate_stage(stage, technology)
    key = hashlib.sha256(repr((flow.value, sorted(files.items()))).encode()).hexdigest()
    cached = cache / f"{key}.json" if cache else None
    started = time.perf_counter()
    if cached and cached.is_file():
        measured = Resources(**json.loads(cached.read_text()))
    else:
        work.mkdir(parents=True)
        for name, text in files.items():
            (work / name).write_text(text)
        measured = synthesized(synth([work / f"{module}.sv"], module, work, flow), flow)
        if cached:
            cache.mkdir(parents=True, exist_ok=True)
            cached.write_text(json.dumps(asdict(measured)))
    return Comparison(tile_type, describe(stage), family, estimate, measured,
                      time.perf_counter() - started)


def describe(stage: Stage | WeightLoad) -> str:
    if isinstance(stage, WeightLoad):
        return "rows " + " ".join(f"{m.depth}x{m.width}" for m in stage.memories)
    if isinstance(stage, XnorMvuStage | RealMvuStage):
        return stage.shape_text + (" loaded" if stage.weights_loaded else "")
    if isinstance(stage, WindowStage):
        return (f"C={stage.channels} {stage.height}x{stage.width} k={stage.kernel} "
                f"s={stage.stride} SIMD={stage.simd} w={stage.elem_width}")
    if isinstance(stage, FifoStage):
        return f"depth={stage.depth} width={stage.layout.beat_width}"
    return " ".join(f"{p.name}={p.layout.lanes}x{p.layout.width}" for p in stage.ports())


RESOURCE_NAMES = [f.name for f in fields(Resources)]


def print_row(c: Comparison) -> None:
    errors = c.errors()
    cells = []
    for name in RESOURCE_NAMES:
        est, syn = getattr(c.estimate, name), getattr(c.synthesis, name)
        if errors[name] is None:
            continue
        cells.append(f"{name} {est}/{syn} ({errors[name]:+.0f}%)")
    print(f"{c.family:6} {c.tile:10} {c.label:42} {'; '.join(cells)}  [{c.seconds:.1f} s]",
          flush=True)


MEDIAN_TARGET, WORST_TARGET = 10.0, 25.0  # percent |error|, LUTs and FFs


def summarise(results: list[Comparison]) -> None:
    print("\n|error| per resource, estimate vs synthesis (Yosys 0.70 synth_xilinx / "
          "synth_ecp5): median, worst (cases)")
    for family in sorted({c.family for c in results}):
        for name in RESOURCE_NAMES:
            errs = [abs(e) for c in results if c.family == family
                    if (e := c.errors()[name]) is not None]
            if errs:
                median, worst = statistics.median(errs), max(errs)
                met = median <= MEDIAN_TARGET and worst <= WORST_TARGET
                print(f"  {family:6} {name:12} median {median:5.1f} %  worst {worst:5.1f} %  "
                      f"({len(errs)})  {'within' if met else 'OVER'} target")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--family", nargs="+", choices=list(FLOWS), default=DEFAULT_FAMILIES)
    parser.add_argument("--tile", nargs="+", choices=list(cases()), default=list(cases()))
    parser.add_argument("--cache", type=Path, help="keep each synthesis result here, keyed by "
                                                   "the tile's sources and the flow")
    args = parser.parse_args(argv)
    print("estimate / synthesis (Yosys) per tile; LUTs of logic, FFs, block RAM and LUTRAM "
          "bits occupied, DSPs")
    # Every case is made, in order, whichever are measured: a case's random weights do not
    # depend on --tile.
    rng = np.random.default_rng(0)
    stages = {tile_type: [make(rng) for make in makers] for tile_type, makers in cases().items()}
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for tile_type in args.tile:
            for index, stage in enumerate(stages[tile_type]):
                for family in args.family:
                    work = Path(tmp) / f"{tile_type}{index}_{family}"
                    results.append(measure(tile_type, stage, family, work, args.cache))
                    print_row(results[-1])
    summarise(results)


if __name__ == "__main__":
    main()
