"""`make bench-bireal18`: one whole Bi-Real-18 image at 224x224 through the full RTL network
in Verilator and through the g++ C-simulation of its HLS C++, every layer probed and compared
bit for bit with the golden model, with wall times (a bench, never a test).

The network has the authors' architecture with random weights of trained-like statistics
(negative BN scales included; no trained ImageNet checkpoint can be downloaded here); formats
are data-free, as for a user's checkpoint compiled with default options. Both backends fold
automatically for ``TARGET_CYCLES`` cycles per image under their own cycle models: about
1000 images/s at 200 MHz from about 12k PE*SIMD lanes and 11 Mbit of binary weights.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from bnn_hls.compiler.pipeline import CompiledModel, compile_model
from bnn_hls.model import birealnet18, randomise_birealnet

TARGET_CYCLES = 200_000


def bireal18_and_image(seed: int = 0) -> tuple[CompiledModel, np.ndarray]:
    compiled = compile_model(randomise_birealnet(birealnet18(), seed, stats_images=4))
    image = np.random.default_rng(seed).integers(0, 256, (1, 3, 224, 224), dtype=np.uint8)
    return compiled, image


def _verdict(exact_images: int, divergence) -> str:
    if exact_images == 1 and divergence is None:
        return "bit-exact at every probed layer"
    return "NOT bit-exact: " + (divergence.describe() if divergence else "logits differ")


def bench_rtl(compiled: CompiledModel, image: np.ndarray, workdir: Path,
              target_cycles: int = TARGET_CYCLES) -> None:
    from bnn_hls.tools.simulate import generate_rtl, simulate

    started = time.perf_counter()
    plan, _ = generate_rtl(compiled.graph, workdir, target_cycles=target_cycles)
    generated = time.perf_counter()
    print(f"Bi-Real-18 224x224 RTL at {target_cycles} target cycles/image: ideal "
          f"{plan.ideal_cycles} cycles/image, {len(plan.stages)} stages, generated in "
          f"{generated - started:.1f} s; building with Verilator and simulating")
    report = simulate(compiled.graph, workdir / "rtl", image, progress=True)
    wall = time.perf_counter() - generated
    print(report.summary(200.0))
    print(f"RTL simulation (Verilator build included): wall {wall:.0f} s, "
          f"{report.simulated_cycles:,} simulated cycles, "
          f"{report.simulated_cycles / wall:,.0f} cycles/s; "
          f"{_verdict(report.exact_images, report.divergence)}")


def bench_csim(compiled: CompiledModel, image: np.ndarray, workdir: Path,
               target_cycles: int = TARGET_CYCLES) -> None:
    from bnn_hls.backends.hls.cycles import HLS_CYCLES
    from bnn_hls.hw.folding import auto_folding, ideal_cycles
    from bnn_hls.tools.csim import CsimModel, csim, generate_hls

    graph = compiled.graph
    folding = auto_folding(graph, target_cycles, HLS_CYCLES)
    lanes = sum(f.pe * f.simd for f in folding.values())
    started = time.perf_counter()
    generate_hls(graph, workdir, folding)
    generate_seconds = time.perf_counter() - started
    model = CsimModel(workdir / "hls")
    started = time.perf_counter()
    model.predict(image)
    run_seconds = time.perf_counter() - started
    report = csim(graph, workdir / "hls", image, model)  # traced, every layer compared
    print(f"Bi-Real-18 224x224 HLS C-sim, 1 image ({lanes} PE*SIMD lanes, ideal "
          f"{ideal_cycles(graph, folding)} cycles at {target_cycles} target cycles/image): "
          f"C-sim {run_seconds:.1f} s, g++ build {model.build_seconds:.1f} s, generation "
          f"{generate_seconds:.1f} s; {_verdict(report.exact_images, report.divergence)}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target-cycles", type=int, default=TARGET_CYCLES)
    parser.add_argument("--workdir", type=Path,
                        help="keep the generated designs and builds here")
    parser.add_argument("--only", choices=("rtl", "csim"), help="run one backend")
    args = parser.parse_args(argv)
    compiled, image = bireal18_and_image()
    with tempfile.TemporaryDirectory() as scratch:
        workdir = args.workdir or Path(scratch)
        if args.only != "rtl":
            bench_csim(compiled, image, workdir, args.target_cycles)
        if args.only != "csim":
            bench_rtl(compiled, image, workdir, args.target_cycles)


if __name__ == "__main__":
    main()
