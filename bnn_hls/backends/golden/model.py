"""The golden model: executes an integer IR graph with the operators of ops.py.

It is the definition of the hardware's arithmetic; every value is also checked against the
worst-case interval the compiler sized the hardware for.
"""

from __future__ import annotations

import numpy as np

from bnn_hls.backends.golden import ops
from bnn_hls.compiler import ir
from bnn_hls.compiler.formats import saturate


class IntervalViolation(AssertionError):
    """A value left its proven worst-case range: a compiler bug, never an input problem."""


def _run_node(graph: ir.Graph, node: ir.Node, values: dict[str, np.ndarray]) -> np.ndarray:
    x = values[node.inputs[0]]
    if isinstance(node, ir.InputQuant):
        return ops.input_quant(x, node.offset, node.frac_bits)
    if isinstance(node, ir.Conv):
        return ops.real_conv(x, node.weight, node.stride, node.pad)
    if isinstance(node, ir.Affine):
        y = ops.affine(x, node.mult, node.bias, node.shift)
        return saturate(y, graph.tensors[node.output].fmt) if node.saturate else y
    if isinstance(node, ir.MaxPool):
        return ops.max_pool(x, node.kernel, node.stride, node.pad)
    if isinstance(node, ir.Sign):
        return ops.sign_bits(x)
    if isinstance(node, ir.BinaryConv):
        return ops.binary_conv_packed(x, node.packed, node.stride, node.pad)
    if isinstance(node, ir.AvgPool2Sum):
        return ops.avg_pool_sum(x)
    if isinstance(node, ir.Add):
        a, b = (graph.tensors[name] for name in node.inputs)
        return ops.add_saturate(x, _frac(a), values[node.inputs[1]], _frac(b),
                                graph.tensors[node.output].fmt)
    if isinstance(node, ir.GlobalSum):
        return ops.global_sum(x)
    if isinstance(node, ir.Linear):
        return ops.linear(x, node.weight)
    raise ir.unsupported(node, "the golden model")


def _frac(tensor: ir.Tensor) -> int:
    return tensor.fmt.frac_bits


class GoldenModel:
    def __init__(self, graph: ir.Graph):
        if any(conv.packed is None for conv in graph.nodes_of(ir.BinaryConv)):
            raise ValueError("binary weights are not packed: run pack_binary_weights first")
        self.graph = graph

    def run(self, pixels: np.ndarray, trace: bool = False):
        """Raw pixels [N, C, H, W] -> integer logits [N, classes] (and the per-layer trace)."""
        values = {self.graph.input: np.asarray(pixels, np.int64)}
        for node in self.graph.nodes:
            out = _run_node(self.graph, node, values)
            self._check(node, out)
            values[node.output] = out
        logits = values[self.graph.output]
        if not trace:
            return logits
        return logits, {node.name: values[node.output] for node in self.graph.nodes}

    def predict(self, pixels: np.ndarray) -> np.ndarray:
        return np.argmax(self.run(pixels), axis=1)

    def _check(self, node: ir.Node, out: np.ndarray) -> None:
        tensor = self.graph.tensors[node.output]
        if tensor.interval is None or out.dtype == bool:
            return
        lo, hi = tensor.interval
        if out.size and (out.min() < lo or out.max() > hi):
            raise IntervalViolation(f"{node.name}: value range [{out.min()}, {out.max()}] "
                                    f"outside proven [{lo}, {hi}]")
