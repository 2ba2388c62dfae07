"""Lower every real-valued ScaleShift to an integer Affine.

Walks the graph tracking ``lsb``, the real value of integer 1 on each tensor. An affine
y = gain*x + offset from an input with step lsb_in to an output with step 2**-F becomes
rshift_round(M*x + B, S) with M = round(gain*lsb_in*2**(F+S)) and B = round(offset*2**(F+S)),
S being the largest shift that keeps every |M| within the multiplier width.
"""

from __future__ import annotations

import math

import numpy as np

from bnn_hls.compiler import ir
from bnn_hls.compiler.config import CompileConfig, Rounding
from bnn_hls.compiler.formats import Fixed
from bnn_hls.errors import BnnHlsError


def lower_affines(graph: ir.Graph, config: CompileConfig) -> None:
    for node in list(graph.nodes):
        out = graph.tensors[node.output]
        if isinstance(node, ir.ScaleShift):
            frac_bits, saturate = _target(graph, node, config)
            lsb_in = graph.tensors[node.inputs[0]].lsb
            graph.replace(node, [_affine(node, lsb_in, frac_bits, saturate, config)])
            out.lsb = np.full(out.channels, 2.0**-frac_bits)
        elif isinstance(node, ir.InputQuant | ir.Sign):
            continue  # the input unit's lsb is set when it is folded; bits have no lsb
        else:
            out.lsb = _output_lsb(graph, node)


def _output_lsb(graph: ir.Graph, node: ir.Node) -> np.ndarray:
    """The real value of integer 1 on a node's output, per channel."""
    out = graph.tensors[node.output]
    lsb_in = graph.tensors[node.inputs[0]].lsb
    if isinstance(node, ir.Conv | ir.Linear):
        if not np.allclose(lsb_in, lsb_in[0]):
            raise BnnHlsError(f"{node.name}: input channels have different scales")
        return node.weight_scale * lsb_in[0]
    if isinstance(node, ir.BinaryConv):
        return np.ones(out.channels)
    if isinstance(node, ir.AvgPool2Sum):
        return lsb_in / 4
    if isinstance(node, ir.GlobalSum):
        _, h, w = graph.tensors[node.inputs[0]].shape
        return lsb_in / (h * w)
    if isinstance(node, ir.MaxPool):
        return lsb_in
    if isinstance(node, ir.Add):
        return np.full(out.channels, 2.0**-out.fmt.frac_bits)
    raise ir.unsupported(node, "affine lowering")


def _target(graph: ir.Graph, node: ir.ScaleShift, config: CompileConfig) -> tuple[int, bool]:
    """Fraction bits of an affine's result and whether it saturates there.

    A stem affine writes a residual tensor directly (saturating to its format); a block's
    branch affine feeds the shortcut adder at the adder's precision (the adder saturates);
    the FC's affine produces the logits (never saturates: sized by interval analysis).
    """
    fmt = graph.tensors[node.output].fmt
    if isinstance(fmt, Fixed):
        return fmt.frac_bits, True
    consumers = graph.consumers(node.output)
    if len(consumers) == 1 and isinstance(consumers[0], ir.Add):
        return graph.tensors[consumers[0].output].fmt.frac_bits, False
    if node.output == graph.output:
        return config.logit_frac_bits, False
    raise BnnHlsError(f"{node.name}: cannot place this affine in the integer pipeline")


def _affine(node: ir.ScaleShift, lsb_in: np.ndarray, frac_bits: int, saturate: bool,
            config: CompileConfig) -> ir.Affine:
    real_mult = node.gain * lsb_in * 2.0**frac_bits
    real_bias = node.offset * 2.0**frac_bits
    mult_max = (1 << (config.multiplier_bits - 1)) - 1
    peak = float(np.abs(real_mult).max())
    shift = config.max_shift if peak == 0 else math.floor(math.log2(mult_max / peak))
    shift = min(shift, config.max_shift)
    if shift < 0:
        raise BnnHlsError(f"layer '{node.name}': scale {peak:.3g} needs more than "
                          f"{config.multiplier_bits} multiplier bits")
    scaled_bias = real_bias * 2.0**shift
    if np.abs(scaled_bias).max() >= 2.0**62:
        raise BnnHlsError(f"layer '{node.name}': bias needs more than 62 bits at shift {shift}; "
                          "narrow multiplier_bits or max_shift")
    mult = np.rint(real_mult * 2.0**shift).astype(np.int64)
    bias = np.rint(scaled_bias).astype(np.int64)
    if config.rounding is Rounding.FLOOR and shift > 0:
        bias -= 1 << (shift - 1)  # cancels the rounding constant of rshift_round
    return ir.Affine(name=node.name, inputs=node.inputs, output=node.output, mult=mult,
                     bias=bias, shift=shift, saturate=saturate)
