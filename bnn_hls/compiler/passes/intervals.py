"""Integer interval analysis: the exact worst-case range of every tensor and intermediate.

Each range is over every possible input image, so widths derived from it make overflow
impossible; saturating operators record whether saturation can happen at all.
"""

from __future__ import annotations

import numpy as np

from bnn_hls.compiler import ir
from bnn_hls.compiler.formats import Binary, Fixed, Integer, bits_for_range, rshift_round
from bnn_hls.errors import BnnHlsError

MAX_BITS = 62  # the golden model computes in int64


def analyse_intervals(graph: ir.Graph) -> dict[str, bool]:
    """Set ``interval`` and the integer format of every tensor.

    Returns, per saturating node, whether saturation is possible for some input.
    """
    per_channel: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    saturation = {}
    for node in graph.nodes:
        out = graph.tensors[node.output]
        lo, hi = _interval(graph, node, per_channel)
        if isinstance(node, ir.Affine):
            node.product_interval = _product_interval(node, *per_channel[node.inputs[0]])
        if isinstance(out.fmt, Fixed) and (node.saturate if isinstance(node, ir.Affine)
                                           else isinstance(node, ir.Add)):
            saturation[node.name] = bool(lo.min() < out.fmt.lo or hi.max() > out.fmt.hi)
            lo, hi = np.clip(lo, out.fmt.lo, out.fmt.hi), np.clip(hi, out.fmt.lo, out.fmt.hi)
        per_channel[node.output] = (lo, hi)
        out.interval = (int(lo.min()), int(hi.max()))
        _set_width(graph, node, out)
    return saturation


def _set_width(graph: ir.Graph, node: ir.Node, out: ir.Tensor) -> None:
    lo, hi = out.interval
    bits = bits_for_range(lo, hi)
    if isinstance(node, ir.Affine) and node.product_interval is not None:
        bits = max(bits, bits_for_range(*node.product_interval))
    if bits > MAX_BITS:
        raise BnnHlsError(f"layer '{node.name}': a {bits}-bit intermediate exceeds the "
                          f"{MAX_BITS} bits the golden model computes in; narrow "
                          "multiplier_bits or shortcut_bits")
    if isinstance(node, ir.Sign):
        out.fmt = Binary()
    elif isinstance(node, ir.Affine) and not node.saturate:
        frac = _frac_bits(out)
        out.fmt = Fixed(max(0, bits_for_range(lo, hi) - 1 - frac), frac)
    elif out.fmt is None or isinstance(out.fmt, Integer):
        out.fmt = Integer(bits_for_range(lo, hi))


def _frac_bits(out: ir.Tensor) -> int:
    return int(round(-np.log2(out.lsb[0])))


def _product_interval(node: ir.Affine, lo: np.ndarray, hi: np.ndarray) -> tuple[int, int]:
    a, b = node.mult * lo + node.bias, node.mult * hi + node.bias
    return int(np.minimum(a, b).min()), int(np.maximum(a, b).max())


def weighted_sum_interval(weight: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                          padded: bool) -> tuple[np.ndarray, np.ndarray]:
    """Per-output-channel range of sum(weight[o, c, ...] * x[c]) for x[c] in [lo[c], hi[c]];
    with ``padded``, any tap may be a padding tap contributing exactly 0."""
    in_shape = (1, -1) + (1,) * (weight.ndim - 2)
    a, b = weight * lo.reshape(in_shape), weight * hi.reshape(in_shape)
    low, high = np.minimum(a, b), np.maximum(a, b)
    if padded:
        low, high = np.minimum(low, 0), np.maximum(high, 0)
    axes = tuple(range(1, weight.ndim))
    return low.sum(axis=axes), high.sum(axis=axes)


def _interval(graph: ir.Graph, node: ir.Node, known) -> tuple[np.ndarray, np.ndarray]:
    channels = graph.tensors[node.output].channels
    if isinstance(node, ir.InputQuant):
        pixel_hi = (1 << node.pixel_bits) - 1
        return node.offset.copy(), (pixel_hi << node.frac_bits) + node.offset
    if isinstance(node, ir.Sign):
        return np.zeros(1, np.int64), np.ones(1, np.int64)
    lo, hi = known[node.inputs[0]]
    if isinstance(node, ir.BinaryConv):
        n = np.full(channels, node.fan_in, dtype=np.int64)
        return -n, n
    if isinstance(node, ir.Conv | ir.Linear):
        return weighted_sum_interval(node.weight, lo, hi, isinstance(node, ir.Conv) and node.pad)
    if isinstance(node, ir.Affine):
        plo, phi = node.mult * lo + node.bias, node.mult * hi + node.bias
        return (rshift_round(np.minimum(plo, phi), node.shift),
                rshift_round(np.maximum(plo, phi), node.shift))
    if isinstance(node, ir.MaxPool):
        return lo, hi
    if isinstance(node, ir.AvgPool2Sum):
        return 4 * lo, 4 * hi
    if isinstance(node, ir.GlobalSum):
        _, h, w = graph.tensors[node.inputs[0]].shape
        return h * w * lo, h * w * hi
    if isinstance(node, ir.Add):
        out_frac = graph.tensors[node.output].fmt.frac_bits
        total_lo = np.zeros(channels, np.int64)
        total_hi = np.zeros(channels, np.int64)
        for name in node.inputs:
            shift = _frac_bits(graph.tensors[name]) - out_frac
            in_lo, in_hi = known[name]
            total_lo = total_lo + rshift_round(in_lo, shift)
            total_hi = total_hi + rshift_round(in_hi, shift)
        return total_lo, total_hi
    raise ir.unsupported(node, "interval analysis")
