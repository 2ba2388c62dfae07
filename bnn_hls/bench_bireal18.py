"""One Bi-Real-18 224x224 image through the g++ C-simulation of its HLS C++, bit-exact check
against the golden model at every probed layer, with the wall times printed (a bench, never
a test: generation, g++ build and run take minutes on 2 cores).

The network is the authors' Bi-Real-18 (``bnn_hls.model.birealnet18``) with random weights
and trained-like BatchNorm statistics (negative scales included), folded automatically for
``TARGET_CYCLES`` cycles per image under the HLS cycle model: about 1000 images/s at 200 MHz
from about 12k PE*SIMD lanes and 11 Mbit of binary weights, which by estimate (no synthesis
here) fits the LUT and BRAM/URAM budget of a ZCU104-class part (XCZU7EV); the RTL bench
plans the same target.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from bnn_hls.backends.hls.cycles import HLS_CYCLES
from bnn_hls.compiler.pipeline import compile_model
from bnn_hls.hw.folding import auto_folding, ideal_cycles
from bnn_hls.model import birealnet18
from bnn_hls.tools.csim import CsimModel, csim, generate_hls

TARGET_CYCLES = 200_000
IMAGE_SIZE = 224


def random_bireal18(seed: int = 0) -> torch.nn.Module:
    """Bi-Real-18 with random binary weights and trained-like BatchNorm statistics."""
    torch.manual_seed(seed)
    net = birealnet18()
    for module in net.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.weight.data.uniform_(-1, 1)
            module.bias.data.normal_(0, 0.3)
            module.running_var.uniform_(0.5, 2)
    for name, param in net.named_parameters():
        if name.endswith("binary_conv.weights"):
            param.data.normal_(0, 1)
    return net.eval()


def bench_bireal18_csim(target_cycles: int = TARGET_CYCLES) -> None:
    pixels = np.random.default_rng(0).integers(0, 256, (1, 3, IMAGE_SIZE, IMAGE_SIZE),
                                               dtype=np.uint8)
    compiled = compile_model(random_bireal18(), calibration_pixels=pixels)
    graph = compiled.graph
    folding = auto_folding(graph, target_cycles, HLS_CYCLES)
    lanes = sum(f.pe * f.simd for f in folding.values())
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        generate_hls(graph, Path(out), folding)
        generate_seconds = time.perf_counter() - started
        model = CsimModel(Path(out) / "hls")
        started = time.perf_counter()
        model.predict(pixels)
        run_seconds = time.perf_counter() - started
        report = csim(graph, Path(out) / "hls", pixels, model)
    verdict = ("bit-exact at every probed layer" if report.divergence is None
               and report.exact_images == 1 else report.summary())
    print(f"Bi-Real-18 {IMAGE_SIZE}x{IMAGE_SIZE} HLS C-sim, 1 image (random weights, auto "
          f"folding at {target_cycles} cycles/image: {lanes} PE*SIMD lanes, ideal "
          f"{ideal_cycles(graph, folding)} cycles): C-sim {run_seconds:.1f} s, g++ build "
          f"{model.build_seconds:.1f} s, generation {generate_seconds:.1f} s; {verdict}")


if __name__ == "__main__":
    bench_bireal18_csim()
