"""LUT cost of one XNOR-popcount lane, the MVU's datapath for one PE (xnor + valid mask +
popcount of SIMD bits), from Yosys synthesis (flattened, no I/O buffers), per unit side by
side in one run:

- naive: a ``$countones``-style loop;
- behavioural: bnn_hls.backends.rtl.popcount (today's generic tree);
- mapped: bnn_hls.hw.popcount_mapped on the family's primitives;
- hard-wired: the mapped lane with the weights folded in (a fully unrolled layer). Its
  inputs are ``valid & act`` and ``valid & ~act``, made once per MVU for all its lanes (one
  LUT6_2 or two LUT4 per input bit, not counted per lane).

    python -m bnn_hls.bench_lut [--simd 64 256 1024] [--units mapped hard-wired] [--network]

Xilinx (``synth_xilinx``; 7-series CARRY4, UltraScale+ CARRY8): logic cells (LC) = Yosys's
"estimated number of LCs" + one per LUT6_2 (the estimate leaves LUT6_2 out). ECP5
(``synth_ecp5``): LUT4 cells + two per CCU2C (each holds two LUT4s); PFUMX/L6MUX21 muxes are
not counted. Depth: cells on the longest combinational path (Yosys ``ltp -noff``).

``--network`` instead synthesizes the whole digits network for 7-series and ECP5 (2048
cycles/image, pipelined for 200 MHz), with the behavioural lanes and with the family's mapped
ones (bnn-hls compile --technology), which keep the same popcount register ranks.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bnn_hls.backends.rtl.popcount import PopcountParams
from bnn_hls.backends.rtl.popcount_mapped import render_mapped_popcount
from bnn_hls.hw.popcount_mapped import MappedPopcount
from bnn_hls.hw.technology import Technology
from bnn_hls.tools.yosys import SynthFlow, SynthStats, synth

# The obvious one-liner. Written as a loop because YoWASP's Yosys overflows its stack
# elaborating $countones over 512 bits or more; up to 256 bits the two give the same netlist.
NAIVE_LANE = """\
module naive_lane #(parameter int N = 64) (
    input  logic [N-1:0] act, weights, valid,
    output logic [$clog2(N+1)-1:0] count
);
  always_comb begin
    count = '0;
    for (int i = 0; i < N; i++) count += $clog2(N+1)'(valid[i] & ~(act[i] ^ weights[i]));
  end
endmodule
"""

CARRY = {Technology.XILINX_7SERIES: "CARRY4", Technology.XILINX_ULTRASCALE_PLUS: "CARRY8",
         Technology.LATTICE_ECP5: "CCU2C"}
UNITS = ("naive", "behavioural", "mapped", "hard-wired")
FLIP_FLOPS = {Technology.XILINX_7SERIES: ("FDRE", "FDSE", "FDCE", "FDPE"),
              Technology.LATTICE_ECP5: ("TRELLIS_FF",)}


def lane_cost(stats: SynthStats, technology: Technology) -> int:
    """LCs (Xilinx) or LUT4s (ECP5) of a synthesized lane."""
    if technology is Technology.LATTICE_ECP5:
        return stats.count("LUT4") + 2 * stats.count("CCU2C")
    return stats.logic_cells


def unit_source(unit: str, simd: int, technology: Technology) -> Callable[[Path], SynthStats]:
    def run(work: Path) -> SynthStats:
        work.mkdir(parents=True)
        source = work / "lane.sv"
        if unit == "naive":
            source.write_text(NAIVE_LANE)
            return synth([source], "naive_lane", work, SynthFlow.for_technology(technology),
                         parameters={"N": simd}, depth=True)
        if unit == "behavioural":
            source.write_text(PopcountParams(simd).render_xnor_lane("lane"))
        elif unit == "mapped":
            source.write_text(render_mapped_popcount(MappedPopcount(simd, technology, xnor=True),
                                                     "lane"))
        else:
            weights = tuple(random.Random(simd).randrange(2) for _ in range(simd))
            source.write_text(render_mapped_popcount(
                MappedPopcount(simd, technology, weights=weights), "lane"))
        return synth([source], "lane", work, SynthFlow.for_technology(technology), depth=True)
    return run


def bench_network() -> None:
    from bnn_hls.bench_timing import CHECKPOINT
    from bnn_hls.compiler.pipeline import compile_model
    from bnn_hls.data import digits_split
    from bnn_hls.tools.simulate import TOP, generate_rtl

    graph = compile_model(CHECKPOINT, calibration_pixels=digits_split().train_x).graph
    print("synthesis (Yosys), the digits network, 2048 cycles/image, pipelined for 200 MHz")
    print(f"{'family':<23} {'lanes':<23} {'LUT metric':>12} {'LUT cells':>9} {'FFs':>6} "
          f"{'carry cells':>12} {'time s':>7}")
    with tempfile.TemporaryDirectory() as tmp:
        for family in FLIP_FLOPS:
            for lanes in (Technology.GENERIC, family):
                start = time.time()
                out = Path(tmp) / f"{family.value}_{lanes.value}"
                _, sources = generate_rtl(graph, out, target_cycles=2048, technology=lanes)
                stats = synth(sources, TOP, out / "rtl", SynthFlow.for_technology(family))
                metric = "LUT4" if family is Technology.LATTICE_ECP5 else "LC"
                luts = stats.count("LUT4") if metric == "LUT4" else stats.luts
                cost = f"{lane_cost(stats, family)} {metric}"
                carry = f"{stats.count(CARRY[family])} {CARRY[family]}"
                print(f"{family.value:<23} {lanes.value:<23} {cost:>12} {luts:>9} "
                      f"{stats.count(*FLIP_FLOPS[family]):>6} {carry:>12} "
                      f"{time.time() - start:>7.1f}", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--simd", type=int, nargs="+", default=[64, 256, 1024])
    parser.add_argument("--units", nargs="+", choices=UNITS, default=list(UNITS))
    parser.add_argument("--network", action="store_true",
                        help="the whole digits network instead of single lanes")
    args = parser.parse_args(argv)
    if args.network:
        bench_network()
        return
    plan = [(Technology.XILINX_7SERIES, UNITS),
            (Technology.XILINX_ULTRASCALE_PLUS, ("mapped", "hard-wired")),
            (Technology.LATTICE_ECP5, UNITS)]
    plan = [(t, [u for u in units if u in args.units]) for t, units in plan]
    print("synthesis (Yosys), per XNOR-popcount lane")
    print(f"{'SIMD':>5} {'family':<23} {'unit':<12} {'per lane':>9} {'metric':<8} "
          f"{'vs naive':>8} {'LUT cells':>9} {'carry cells':>12} {'depth':>6} {'time s':>7}")
    with tempfile.TemporaryDirectory() as tmp:
        for simd in args.simd:
            for technology, units in plan:
                naive = None
                for unit in units:
                    start = time.time()
                    stats = unit_source(unit, simd, technology)(
                        Path(tmp) / f"{technology.value}_{unit}_{simd}")
                    cost = lane_cost(stats, technology)
                    naive = cost if unit == "naive" else naive
                    ratio = f"{cost / naive:.2f}" if naive else "-"
                    metric = "LUT4" if technology is Technology.LATTICE_ECP5 else "LC"
                    luts = stats.count("LUT4") if metric == "LUT4" else stats.luts
                    carry = f"{stats.count(CARRY[technology])} {CARRY[technology]}"
                    print(f"{simd:>5} {technology.value:<23} {unit:<12} {cost / simd:>9.3f} "
                          f"{metric:<8} {ratio:>8} {luts:>9} {carry:>12} {stats.depth:>6} "
                          f"{time.time() - start:>7.1f}", flush=True)


if __name__ == "__main__":
    main()
