"""Choose the fixed-point format of every real-valued shortcut (residual) tensor.

Walks the graph once, propagating worst-case real intervals (over every possible input pixel)
and, where calibration data was given, the largest magnitude seen on it. Integer bits are the
fewer of the two needs, so a tensor either can never saturate or saturates only beyond
``headroom`` times anything calibration saw; fraction bits get the rest of the width.
"""

from __future__ import annotations

import math

import numpy as np

from bnn_hls.compiler import ir
from bnn_hls.compiler.config import CompileConfig
from bnn_hls.compiler.formats import Fixed
from bnn_hls.compiler.passes.intervals import weighted_sum_interval
from bnn_hls.errors import BnnHlsError


def residual_tensors(graph: ir.Graph) -> list[str]:
    """The shortcut path: the stem's output and every block's sum."""
    first_sign = graph.nodes_of(ir.Sign)[0]
    return [first_sign.inputs[0]] + [add.output for add in graph.nodes_of(ir.Add)]


def int_bits_for(magnitude: float) -> int:
    """Integer bits so that +-magnitude fits: the range is [-2**I, 2**I), open at the top,
    so a magnitude of exactly 2**k needs k+1 bits."""
    return math.floor(math.log2(magnitude)) + 1 if magnitude >= 1 else 0


def choose_formats(graph: ir.Graph, config: CompileConfig,
                   calibrated_max: dict[str, float] | None = None) -> None:
    residual = set(residual_tensors(graph))
    intervals: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for node in graph.nodes:
        lo, hi = _real_interval(graph, node, intervals)
        if node.output in residual:
            worst = float(max(np.abs(lo).max(), np.abs(hi).max()))
            fmt = _residual_format(node.output, worst, calibrated_max, config)
            graph.tensors[node.output].fmt = fmt
            _tensor_above(graph, node).fmt = fmt  # a max pool keeps its input's format
            limit = 2.0**fmt.int_bits
            lo, hi = np.clip(lo, -limit, limit), np.clip(hi, -limit, limit)
        intervals[node.output] = (lo, hi)


def _tensor_above(graph: ir.Graph, node: ir.Node) -> ir.Tensor:
    if isinstance(node, ir.MaxPool):
        return graph.tensors[node.inputs[0]]
    return graph.tensors[node.output]


def _residual_format(name: str, worst: float, calibrated_max: dict[str, float] | None,
                     config: CompileConfig) -> Fixed:
    if config.shortcut_int_bits is not None:
        int_bits = config.shortcut_int_bits
    else:
        int_bits = int_bits_for(worst)
        if calibrated_max is not None and name in calibrated_max:
            seen = calibrated_max[name] * config.calibration_headroom
            int_bits = min(int_bits, int_bits_for(seen))
    frac_bits = config.shortcut_bits - 1 - int_bits
    if frac_bits < 0:
        raise BnnHlsError(f"tensor '{name}': {config.shortcut_bits} shortcut bits cannot hold "
                          f"{int_bits} integer bits; raise shortcut_bits")
    return Fixed(int_bits, frac_bits)


def _real_interval(graph: ir.Graph, node: ir.Node, intervals) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel worst-case real range of a node's output (float weights, exact inputs)."""
    if isinstance(node, ir.InputQuant):
        pixel_hi = (1 << node.pixel_bits) - 1
        step = 2.0**-node.frac_bits
        return node.offset * step, (pixel_hi * 2.0**node.frac_bits + node.offset) * step
    if isinstance(node, ir.Sign):
        return np.array([-1.0]), np.array([1.0])
    lo, hi = intervals[node.inputs[0]]
    if isinstance(node, ir.BinaryConv):
        n = np.full(graph.tensors[node.output].channels, float(node.fan_in))
        return -n, n
    if isinstance(node, (ir.Conv, ir.Linear)):
        weight = node.weight * node.weight_scale.reshape((-1,) + (1,) * (node.weight.ndim - 1))
        return weighted_sum_interval(weight, lo, hi, isinstance(node, ir.Conv) and node.pad)
    if isinstance(node, ir.ScaleShift):
        a, b = node.gain * lo + node.offset, node.gain * hi + node.offset
        return np.minimum(a, b), np.maximum(a, b)
    if isinstance(node, ir.Add):
        lo2, hi2 = intervals[node.inputs[1]]
        return lo + lo2, hi + hi2
    if isinstance(node, (ir.MaxPool, ir.AvgPool2Sum, ir.GlobalSum)):
        return lo, hi  # a max or a mean stays inside its inputs' range
    raise ir.unsupported(node, "shortcut format choice")
