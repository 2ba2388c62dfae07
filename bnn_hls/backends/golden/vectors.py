"""Test vectors for the hardware backends: inputs, every layer's output, hardware weights.

Layout of OUTDIR/vectors/:
  inputs.npy          raw pixels [N, C, H, W] uint8
  trace.npz           golden output of every layer, keyed by layer name (int64; bool for bits)
  weights/<layer>.mem binary conv weights, one line per output channel: the k*k*C bits in
                      stream order i = (kh*k + kw)*C + c, as hex with bit i at weight 2**i
  weights/<layer>.npz integer weights (conv, linear) and affine constants (mult, bias, shift)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bnn_hls.backends.golden.model import GoldenModel
from bnn_hls.compiler import ir


def binary_weight_lines(conv: ir.BinaryConv) -> list[str]:
    """Per output channel, the window-ordered weight bits as one hex number."""
    ordered = ir.window_matrix(conv.weight_bits)
    digits = -(-ordered.shape[1] // 4)
    lines = []
    for row in ordered:
        value = int("".join("1" if b else "0" for b in row[::-1]), 2)
        lines.append(f"{value:0{digits}x}")
    return lines


def write_vectors(graph: ir.Graph, pixels: np.ndarray, outdir: Path) -> Path:
    vectors = Path(outdir) / "vectors"
    weights = vectors / "weights"
    weights.mkdir(parents=True, exist_ok=True)
    np.save(vectors / "inputs.npy", np.asarray(pixels, np.uint8))
    _, trace = GoldenModel(graph).run(pixels, trace=True)
    np.savez_compressed(vectors / "trace.npz", **trace)
    for node in graph.nodes:
        if isinstance(node, ir.BinaryConv):
            (weights / f"{node.name}.mem").write_text("\n".join(binary_weight_lines(node)) + "\n")
        elif isinstance(node, ir.Conv | ir.Linear):
            np.savez(weights / f"{node.name}.npz", weight=node.weight)
        elif isinstance(node, ir.Affine):
            np.savez(weights / f"{node.name}.npz", mult=node.mult, bias=node.bias,
                     shift=node.shift, saturate=node.saturate)
        elif isinstance(node, ir.InputQuant):
            np.savez(weights / f"{node.name}.npz", offset=node.offset, frac_bits=node.frac_bits)
    return vectors
