"""`make bench`: printed figures, never timed tests.

- compile time of Bi-Real-18 (target: under 10 s on 2 cores);
- golden model time per 224x224 image on Bi-Real-18 beside the PyTorch float forward of the
  same model in the same run, as a ratio (target: golden no slower than 3x float);
- measured steady-state cycles per image of the digits design in Verilator vs the ideal
  (max over layers of MACs / (PE*SIMD)), as a ratio (target: at least 0.9);
- the skip FIFO bits of Bi-Real-18 at 224x224 (RTL plan) beside the geometric minimum;
- Bi-Real-18 on the ZCU104 and the KV260: the fastest folding `bnn-hls fit` finds, its
  estimated resources and images/s at the board's (assumed) clock;
- LUTs per XNOR-popcount lane from Yosys (bnn_hls.bench_lut);
- g++ C-simulation of the digits HLS C++: images/s beside the golden model in the same run
  (target: at least 1x), and the C-sim build time.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from bnn_hls.backends.golden.model import GoldenModel
from bnn_hls.compiler.pipeline import compile_model
from bnn_hls.model import birealnet18, normalise_pixels


def _best_of(repeats: int, func) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - started)
    return best


def bench_compiler() -> None:
    torch.set_num_threads(2)
    network = birealnet18().eval()
    started = time.perf_counter()
    compiled = compile_model(network)
    compile_seconds = time.perf_counter() - started
    print(f"compile Bi-Real-18: {compile_seconds:.2f} s (target < 10 s)")
    bench_skip_fifos(compiled.graph)
    bench_fit(compiled.graph)

    pixels = np.random.default_rng(0).integers(0, 256, (1, 3, 224, 224), dtype=np.uint8)
    golden = GoldenModel(compiled.graph)
    x = normalise_pixels(torch.from_numpy(pixels), network.cfg)
    with torch.no_grad():
        float_seconds = _best_of(3, lambda: network(x))
    golden_seconds = _best_of(3, lambda: golden.run(pixels))
    print(f"Bi-Real-18 224x224, 1 image: golden {golden_seconds * 1e3:.0f} ms, "
          f"PyTorch float {float_seconds * 1e3:.0f} ms, "
          f"ratio golden/float {golden_seconds / float_seconds:.2f} (target <= 3)")


def bench_skip_fifos(graph, target_cycles: int = 200_000) -> None:
    """Skip FIFO bits of the plan against the geometric need alone (no slack), Bi-Real-18."""
    from bnn_hls.backends.rtl.cycles import RTL_CYCLES
    from bnn_hls.compiler import ir
    from bnn_hls.hw.folding import auto_folding
    from bnn_hls.hw.plan import build_plan
    from bnn_hls.hw.skip import geometric_need_pixels

    plan = build_plan(graph, auto_folding(graph, target_cycles, RTL_CYCLES), RTL_CYCLES)
    skips = [c for c in plan.channels if c.depth]
    planned = sum(c.depth * c.layout.beat_width for c in skips)
    adds = {a.name: a for a in graph.nodes_of(ir.Add)}
    minimum = sum(geometric_need_pixels(graph, adds[plan.stages[c.sink.stage].layer])
                  * c.layout.beats_per_pixel * c.layout.beat_width for c in skips)
    print(f"Bi-Real-18 224x224 skip FIFOs ({len(skips)}, RTL plan at {target_cycles} "
          f"cycles/image): {planned / 1e6:.3f} Mbit, geometric minimum {minimum / 1e6:.3f} "
          f"Mbit, ratio {planned / minimum:.2f}")


def bench_fit(graph, boards: tuple[str, ...] = ("zcu104", "kv260")) -> None:
    from bnn_hls.boards import load_board
    from bnn_hls.tools.fit import FoldingSweep, fastest_fit

    sweep = FoldingSweep(graph)
    for name in boards:
        search = fastest_fit(sweep, load_board(name))
        report = search.best or search.slowest
        verdict = "fastest folding that fits" if search.best else "does not fit; fewest lanes"
        print(f"Bi-Real-18 224x224, {verdict} (bnn-hls fit): {report.describe()}")


def bench_rtl_throughput(target_cycles: int = 2048) -> None:
    from bnn_hls.data import digits_split
    from bnn_hls.tools.simulate import generate_rtl, simulate

    data = digits_split()
    checkpoint = Path(__file__).resolve().parent.parent / "examples/digits/birealnet_digits.pt"
    compiled = compile_model(checkpoint, calibration_pixels=data.train_x)
    with tempfile.TemporaryDirectory() as out:
        generate_rtl(compiled.graph, Path(out), target_cycles=target_cycles)
        report = simulate(compiled.graph, Path(out) / "rtl", data.test_x[:6])
    print(f"digits RTL (target {target_cycles} cycles/image): {report.exact_images}/6 bit-exact, "
          f"steady state {report.cycles_per_image:.0f} cycles/image, ideal "
          f"{report.ideal_cycles_per_image}, ratio ideal/measured "
          f"{report.ideal_cycles_per_image / report.cycles_per_image:.3f} (target >= 0.9), "
          f"latency {report.latency_cycles} cycles")


def bench_hls_csim() -> None:
    from bnn_hls.data import digits_split
    from bnn_hls.tools.csim import CsimModel, generate_hls

    data = digits_split()
    checkpoint = Path(__file__).resolve().parent.parent / "examples/digits/birealnet_digits.pt"
    compiled = compile_model(checkpoint, calibration_pixels=data.train_x)
    pixels = data.test_x
    with tempfile.TemporaryDirectory() as out:
        generate_hls(compiled.graph, Path(out))
        model = CsimModel(Path(out) / "hls")
        exact = int((model.predict(pixels) == GoldenModel(compiled.graph).run(pixels)).all(1).sum())
        csim_seconds = _best_of(3, lambda: model.predict(pixels))
    golden_seconds = _best_of(3, lambda: GoldenModel(compiled.graph).run(pixels))
    ratio = golden_seconds / csim_seconds
    print(f"digits HLS C-sim: {exact}/{len(pixels)} bit-exact, {len(pixels) / csim_seconds:,.0f} "
          f"images/s vs golden {len(pixels) / golden_seconds:,.0f} images/s, ratio "
          f"C-sim/golden {ratio:.2f} (target >= 1); g++ build {model.build_seconds:.1f} s")


def main() -> None:
    from bnn_hls import bench_lut

    bench_hls_csim()
    bench_compiler()
    for target in (512, 2048):
        bench_rtl_throughput(target)
    bench_lut.main([])


if __name__ == "__main__":
    main()
