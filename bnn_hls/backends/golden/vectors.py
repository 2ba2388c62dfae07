"""Test vectors for the hardware backends: inputs, every layer's output, hardware weights.

Layout of OUTDIR/vectors/:
  inputs.npy          raw pixels [N, C, H, W] uint8
  trace.npz           golden output of every layer, keyed by layer name, uncompressed, each in
                      the narrowest integer type holding its proven range (bool for bits)
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
    # big-endian bytes of each row's bits: bit i of the number is element i
    as_bytes = np.packbits(ordered[:, ::-1], axis=1, bitorder="big")
    shift = -ordered.shape[1] % 8  # packbits pads at the end: the padding is the low bits
    return [f"{int.from_bytes(row.tobytes(), 'big') >> shift:0{digits}x}" for row in as_bytes]


def narrowest(values: np.ndarray, interval: tuple[int, int] | None) -> np.ndarray:
    """``values`` in the smallest NumPy integer type holding ``interval`` (bits stay bool)."""
    if values.dtype == bool or interval is None:
        return values
    for dtype in (np.int8, np.int16, np.int32):
        if np.iinfo(dtype).min <= interval[0] and interval[1] <= np.iinfo(dtype).max:
            return values.astype(dtype)
    return values


def write_vectors(graph: ir.Graph, pixels: np.ndarray, outdir: Path) -> Path:
    vectors = Path(outdir) / "vectors"
    weights = vectors / "weights"
    weights.mkdir(parents=True, exist_ok=True)
    np.save(vectors / "inputs.npy", np.asarray(pixels, np.uint8))
    _, trace = GoldenModel(graph).run(pixels, trace=True)
    np.savez(vectors / "trace.npz", **{layer: narrowest(values, graph.tensors[
        graph.node(layer).output].interval) for layer, values in trace.items()})
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
