"""Faithfulness: how closely the integer golden model tracks the float PyTorch model."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from bnn_hls.backends.golden.model import GoldenModel
from bnn_hls.compiler.pipeline import CompiledModel
from bnn_hls.model.birealnet import BiRealNet, normalise_pixels


@dataclass(frozen=True)
class Faithfulness:
    images: int
    float_accuracy: float
    golden_accuracy: float
    agreement: float  # fraction of images whose top-1 class is the same
    max_logit_error: float  # largest |golden - float| logit, in real units

    def summary(self) -> str:
        return (f"{self.images} images: float top-1 {100 * self.float_accuracy:.2f}%, "
                f"golden top-1 {100 * self.golden_accuracy:.2f}% "
                f"(drop {100 * (self.float_accuracy - self.golden_accuracy):+.2f} points), "
                f"top-1 agreement {100 * self.agreement:.2f}%, "
                f"max |logit error| {self.max_logit_error:.4f}")


def float_logits(network: BiRealNet, pixels: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return network(normalise_pixels(torch.from_numpy(pixels), network.cfg)).double().numpy()


def golden_logits_real(compiled: CompiledModel, pixels: np.ndarray) -> np.ndarray:
    """Golden integer logits in real units (one LSB = 2**-logit_frac_bits)."""
    logits = GoldenModel(compiled.graph).run(pixels)
    return logits * compiled.graph.tensors[compiled.graph.output].lsb[0]


def measure_faithfulness(compiled: CompiledModel, pixels: np.ndarray,
                         labels: np.ndarray) -> Faithfulness:
    reference = float_logits(compiled.network, pixels)
    golden = golden_logits_real(compiled, pixels)
    return Faithfulness(
        images=len(labels),
        float_accuracy=float((reference.argmax(1) == labels).mean()),
        golden_accuracy=float((golden.argmax(1) == labels).mean()),
        agreement=float((reference.argmax(1) == golden.argmax(1)).mean()),
        max_logit_error=float(np.abs(golden - reference).max()),
    )
