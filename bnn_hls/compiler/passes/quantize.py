"""Quantise the real-valued layers (stem, downsample 1x1, FC) to integer weights."""

from __future__ import annotations

import numpy as np

from bnn_hls.compiler import ir


def quantize_symmetric(weight: np.ndarray, bits: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-output-channel symmetric quantisation: weight ~= q * scale[o], |q| < 2**(bits-1).

    An all-zero channel gets scale 0: its accumulator is always 0, and a zero scale keeps it
    out of the choice of the following affine's shift (which it would otherwise shrink).
    """
    qmax = (1 << (bits - 1)) - 1
    peak = np.abs(weight.reshape(weight.shape[0], -1)).max(axis=1)
    scale = peak / qmax
    shape = (-1,) + (1,) * (weight.ndim - 1)
    safe = np.where(scale > 0, scale, 1.0).reshape(shape)
    q = np.clip(np.rint(weight / safe), -qmax, qmax).astype(np.int64)
    return q, scale


def quantize_real_weights(graph: ir.Graph, bits: int) -> None:
    """Conv and Linear weights -> int ``bits`` with a per-channel scale; FC bias -> ScaleShift."""
    for node in graph.nodes_of(ir.Conv) + graph.nodes_of(ir.Linear):
        node.weight, node.weight_scale = quantize_symmetric(node.weight, bits)
    for fc in graph.nodes_of(ir.Linear):
        if fc.bias is None:
            continue
        logits = fc.output
        acc = graph.tensors[logits]
        renamed = f"{fc.name}.acc"
        graph.tensors[renamed] = ir.Tensor(renamed, acc.shape)
        fc.output = renamed
        bias = ir.ScaleShift(name=f"{fc.name}.bias", inputs=(renamed,), output=logits,
                             gain=np.ones(acc.channels), offset=fc.bias)
        graph.nodes.insert(graph.nodes.index(fc) + 1, bias)
        fc.bias = None
