"""Faithfulness: how closely the integer golden model tracks the float PyTorch model."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import torch

from bnn_hls.backends.golden.model import GoldenModel
from bnn_hls.compiler.config import CompileConfig
from bnn_hls.compiler.pipeline import CompiledModel, compile_model
from bnn_hls.errors import BnnHlsError
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


def _top1(logits: np.ndarray, classes: np.ndarray) -> float:
    return float((logits.argmax(1) == classes).mean())


def measure_faithfulness(compiled: CompiledModel, pixels: np.ndarray,
                         labels: np.ndarray) -> Faithfulness:
    reference = float_logits(compiled.network, pixels)
    golden = golden_logits_real(compiled, pixels)
    return Faithfulness(
        images=len(labels),
        float_accuracy=_top1(reference, labels),
        golden_accuracy=_top1(golden, labels),
        agreement=_top1(golden, reference.argmax(1)),
        max_logit_error=float(np.abs(golden - reference).max()),
    )


SHORTCUT_SWEEP_BITS = (4, 6, 8, 10, 12, 14, 16, 20)


@dataclass(frozen=True)
class ShortcutPoint:
    """The golden model (the hardware, bit for bit) compiled with one shortcut width."""
    shortcut_bits: int
    agreement: float | None  # top-1 agreement with the float model; None: not compilable
    golden_accuracy: float | None  # None without labels or when not compilable
    refused: str | None = None  # why the compiler refused this width


def shortcut_bits_sweep(compiled: CompiledModel, calibration: np.ndarray | None,
                        pixels: np.ndarray, labels: np.ndarray | None,
                        bits: tuple[int, ...] = SHORTCUT_SWEEP_BITS) -> list[ShortcutPoint]:
    """Recompile ``compiled``'s network at every shortcut width in ``bits`` (all other options
    as compiled) and measure the golden model on ``pixels``: what narrower shortcut adders and
    FIFOs cost in accuracy."""
    reference = float_logits(compiled.network, pixels).argmax(1)
    points = []
    for width in bits:
        config: CompileConfig = replace(compiled.config, shortcut_bits=width)
        try:
            narrowed = compile_model(compiled.network, config, calibration)
        except BnnHlsError as error:
            points.append(ShortcutPoint(width, None, None, str(error)))
            continue
        golden = golden_logits_real(narrowed, pixels)
        points.append(ShortcutPoint(width, _top1(golden, reference),
                                    None if labels is None else _top1(golden, labels)))
    return points
