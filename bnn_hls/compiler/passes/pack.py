"""Bit-pack binary weights into uint64 words along the input channels."""

from __future__ import annotations

from bnn_hls.compiler import ir
from bnn_hls.compiler.bits import pack_bits


def pack_binary_weights(graph: ir.Graph) -> None:
    for conv in graph.nodes_of(ir.BinaryConv):
        weights_hwc = conv.weight_bits.transpose(0, 2, 3, 1)  # [O, k, k, C]
        conv.packed = pack_bits(weights_hwc, axis=-1)
