"""Quantise the real-valued layers (stem, downsample 1x1, FC) to integer weights."""

from __future__ import annotations

import numpy as np

from bnn_hls.compiler import ir


def quantize_symmetric(weight: np.ndarray, bits: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-output-channel symmetric quantisation: weight ~= q * scale[o], |q| < 2**(bits-1)."""
    qmax = (1 << (bits - 1)) - 1
    peak = np.abs(weight.reshape(weight.shape[0], -1)).max(axis=1)
    scale = np.where(peak > 0, peak / qmax, 1.0)
    shape = (-1,) + (1,) * (weight.ndim - 1)
    q = np.clip(np.rint(weight / scale.reshape(shape)), -qmax, qmax).astype(np.int64)
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
