"""LUT cost of one XNOR-popcount lane, the MVU's datapath for one PE (xnor + valid mask +
popcount of SIMD bits), against a naive ``$countones`` unit, both from Yosys ``synth_xilinx``
(flattened, no I/O buffers).

    python -m bnn_hls.bench_lut [--simd 64 256 1024]

Logic cells (LC) = Yosys's "estimated number of LCs" + one per LUT6_2 (the estimate leaves
LUT6_2 out). Raw LUTs count every LUT cell; CARRY4 cells are listed beside them.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bnn_hls.backends.rtl.popcount import PopcountParams
from bnn_hls.tools.yosys import SynthStats, synth

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


def measure(simd: int, work: Path) -> tuple[SynthStats, SynthStats]:
    """(naive, ours) for one lane of ``simd`` bits."""
    naive_dir, ours_dir = work / f"naive_{simd}", work / f"ours_{simd}"
    naive_dir.mkdir(parents=True)
    ours_dir.mkdir(parents=True)
    (naive_dir / "lane.v").write_text(NAIVE_LANE)
    (ours_dir / "lane.sv").write_text(PopcountParams(simd).render_xnor_lane("lane"))
    return (synth([naive_dir / "lane.v"], "naive_lane", naive_dir, parameters={"N": simd}),
            synth([ours_dir / "lane.sv"], "lane", ours_dir))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--simd", type=int, nargs="+", default=[64, 256, 1024])
    args = parser.parse_args(argv)
    print(f"{'SIMD':>5} {'naive LC/lane':>14} {'ours LC/lane':>13} {'ratio':>6} "
          f"{'naive LUTs':>11} {'ours LUTs':>10} {'ours CARRY4':>12} {'time s':>7}")
    with tempfile.TemporaryDirectory() as tmp:
        for simd in args.simd:
            start = time.time()
            naive, ours = measure(simd, Path(tmp))
            print(f"{simd:>5} {naive.logic_cells / simd:>14.3f} {ours.logic_cells / simd:>13.3f} "
                  f"{ours.logic_cells / naive.logic_cells:>6.2f} {naive.luts:>11} "
                  f"{ours.luts:>10} {ours.count('CARRY4'):>12} {time.time() - start:>7.1f}",
                  flush=True)


if __name__ == "__main__":
    main()
