"""Folding passes: input normalisation into the stem, BatchNorm and alpha into affines."""

from __future__ import annotations

import numpy as np

from bnn_hls.compiler import ir
from bnn_hls.compiler.formats import Integer, bits_for_range


def fold_input_normalisation(graph: ir.Graph, frac_bits: int) -> None:
    """InputNormalize -> InputQuant, with the per-channel gain scale/std folded into the stem.

    x_c = (p*scale - mean_c)/std_c = (scale/std_c) * (p - mean_c/scale). The input unit makes
    q = p*2**F - round(mean_c/scale * 2**F), so q = 0 is exactly x = 0 and the stem's zero
    padding in q means what zero padding of the normalised input means in PyTorch.
    """
    (norm,) = graph.nodes_of(ir.InputNormalize)
    (stem,) = graph.consumers(norm.output)
    pixel_fmt = graph.tensors[graph.input].fmt
    gain = norm.scale / norm.std
    stem.weight = stem.weight * gain[None, :, None, None]
    offset = -np.rint(norm.mean / norm.scale * 2.0**frac_bits).astype(np.int64)
    lo = int(offset.min())
    hi = int((pixel_fmt.hi << frac_bits) + offset.max())
    out = graph.tensors[norm.output]
    out.fmt = Integer(bits_for_range(min(lo, 0), hi))
    out.lsb = np.full(out.channels, 2.0**-frac_bits)
    graph.replace(norm, [ir.InputQuant(name="input_quant", inputs=norm.inputs,
                                       output=norm.output, offset=offset, frac_bits=frac_bits,
                                       pixel_bits=pixel_fmt.bits)])


def fold_batchnorm(graph: ir.Graph) -> None:
    """BatchNorm (eval mode) -> ScaleShift(gain = gamma/sigma, offset = beta - gain*mean)."""
    for bn in graph.nodes_of(ir.BatchNorm):
        gain = bn.gamma / np.sqrt(bn.var + bn.eps)
        graph.replace(bn, [ir.ScaleShift(name=bn.name, inputs=bn.inputs, output=bn.output,
                                          gain=gain, offset=bn.beta - gain * bn.mean)])


def fold_binary_scale(graph: ir.Graph) -> None:
    """Move alpha_c from each BinaryConv into the following ScaleShift's gain.

    The binary conv then outputs the plain integer dot product; a negative BN gain stays a
    negative multiplier (never an input flip), so the sign of every channel is preserved.
    """
    for conv in graph.nodes_of(ir.BinaryConv):
        if conv.alpha is None:
            continue
        (follower,) = graph.consumers(conv.output)
        if not isinstance(follower, ir.ScaleShift):
            raise ValueError(f"{conv.name}: expected BatchNorm after the binary conv")
        follower.gain = follower.gain * conv.alpha
        conv.alpha = None
