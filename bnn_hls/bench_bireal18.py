"""`make bench-bireal18`: one whole Bi-Real-18 image at 224x224 through the full RTL network
in Verilator, every layer probed and compared bit for bit with the golden model.

The network has the authors' architecture with random weights of trained-like statistics (no
trained ImageNet checkpoint can be downloaded here); formats are data-free, as for a user's
checkpoint compiled with default options. The folding is the automatic one for
``TARGET_CYCLES`` cycles per image under the RTL cycle model.
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
    exact = report.exact_images == 1 and report.divergence is None
    print(report.summary(200.0))
    print(f"RTL simulation (Verilator build included): wall {wall:.0f} s, "
          f"{report.simulated_cycles:,} simulated cycles, "
          f"{report.simulated_cycles / wall:,.0f} cycles/s; "
          f"{'bit-exact at every layer' if exact else 'NOT bit-exact'}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target-cycles", type=int, default=TARGET_CYCLES)
    parser.add_argument("--workdir", type=Path,
                        help="keep the generated design and simulator build here")
    args = parser.parse_args(argv)
    compiled, image = bireal18_and_image()
    with tempfile.TemporaryDirectory() as scratch:
        bench_rtl(compiled, image, args.workdir or Path(scratch), args.target_cycles)


if __name__ == "__main__":
    main()
