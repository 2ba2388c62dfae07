"""A small typed dataflow graph for Bi-Real networks.

Import produces float nodes (Conv, BatchNorm, BinaryConv with alpha, Linear with bias);
passes fold and quantise them until every node is an integer operator of docs/numerics.md.
Tensors carry their shape, numeric format, the real value of one integer step per channel
(``lsb``) while lowering, and the worst-case integer range once interval analysis has run.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from bnn_hls.compiler.formats import Format
from bnn_hls.errors import BnnHlsError


def window_matrix(weights: np.ndarray) -> np.ndarray:
    """[O, C, k, k] -> [O, k*k*C] with column i = (kh*k + kw)*C + c: a window's element order
    as the sliding-window generator streams it and the hardware stores weights."""
    return weights.transpose(0, 2, 3, 1).reshape(weights.shape[0], -1)


@dataclass
class Tensor:
    name: str
    shape: tuple[int, ...]  # (C, H, W) for feature maps, (C,) for vectors
    fmt: Format | None = None
    lsb: np.ndarray | None = None  # real value of integer 1, per channel (lowering only)
    interval: tuple[int, int] | None = None  # worst case over every possible input

    @property
    def channels(self) -> int:
        return self.shape[0]


@dataclass
class Node:
    name: str
    inputs: tuple[str, ...]
    output: str


# ----------------------------------------------------------------------------- float nodes
@dataclass
class InputNormalize(Node):
    """Raw pixels -> (p * scale - mean[c]) / std[c]; removed by fold_input_normalisation."""

    scale: float = 1.0
    mean: np.ndarray = field(default_factory=lambda: np.zeros(1))
    std: np.ndarray = field(default_factory=lambda: np.ones(1))


@dataclass
class BatchNorm(Node):
    gamma: np.ndarray = None
    beta: np.ndarray = None
    mean: np.ndarray = None
    var: np.ndarray = None
    eps: float = 1e-5


@dataclass
class ScaleShift(Node):
    """Per-channel y = gain[c] * x + offset[c] in real terms; lowered to an integer Affine."""

    gain: np.ndarray = None
    offset: np.ndarray = None


# --------------------------------------------------------------- nodes of both phases
@dataclass
class Conv(Node):
    """Real-valued convolution (stem k x k, downsample 1x1) with zero padding.

    Float weights until quantize_real_weights; then integer weights whose real value is
    weight * weight_scale[o].
    """

    weight: np.ndarray = None  # [O, C, k, k]
    stride: int = 1
    pad: int = 0
    weight_scale: np.ndarray | None = None

    @property
    def kernel(self) -> int:
        return self.weight.shape[-1]


@dataclass
class Linear(Node):
    weight: np.ndarray = None  # [O, C]
    bias: np.ndarray | None = None
    weight_scale: np.ndarray | None = None


@dataclass
class BinaryConv(Node):
    """XNOR-popcount convolution: bit 1 = +1; output is the integer dot product.

    ``alpha`` (mean|W| per output channel) is moved into the following affine by
    fold_binary_scale and is None afterwards.
    """

    weight_bits: np.ndarray = None  # bool [O, C, k, k]
    stride: int = 1
    pad: int = 1
    alpha: np.ndarray | None = None
    packed: np.ndarray | None = None  # uint64 [O, k, k, words] once packed

    @property
    def kernel(self) -> int:
        return self.weight_bits.shape[-1]

    @property
    def fan_in(self) -> int:
        return int(np.prod(self.weight_bits.shape[1:]))


@dataclass
class Sign(Node):
    pass


@dataclass
class MaxPool(Node):
    kernel: int = 3
    stride: int = 2
    pad: int = 1


@dataclass
class AvgPool2Sum(Node):
    """2x2 stride-2 average pool computed as an exact sum; the 1/4 lives in ``lsb``."""


@dataclass
class GlobalSum(Node):
    """Global average pool computed as an exact sum; the 1/(H*W) lives in ``lsb``."""


@dataclass
class Add(Node):
    """Shortcut adder: aligns both inputs to the output's fraction bits, adds, saturates."""


# ----------------------------------------------------------------------- integer nodes
@dataclass
class InputQuant(Node):
    """Raw pixel p -> p * 2**frac_bits + offset[c], so that 0 is exactly a normalised 0."""

    offset: np.ndarray = None  # int64 [C]
    frac_bits: int = 8
    pixel_bits: int = 8


@dataclass
class Affine(Node):
    """Per-channel rshift_round(mult[c] * x + bias[c], shift), then saturation if asked."""

    mult: np.ndarray = None  # int64 [C]
    bias: np.ndarray = None  # int64 [C]
    shift: int = 0
    saturate: bool = False
    product_interval: tuple[int, int] | None = None  # of mult*x + bias, worst case


INTEGER_NODES = (InputQuant, Conv, Affine, MaxPool, Sign, BinaryConv, AvgPool2Sum, Add,
                 GlobalSum, Linear)  # every node type of a fully lowered graph


@dataclass
class Graph:
    tensors: dict[str, Tensor]
    nodes: list[Node]
    input: str
    output: str
    name: str = "model"

    def producer(self, tensor: str) -> Node:
        for node in self.nodes:
            if node.output == tensor:
                return node
        raise KeyError(tensor)

    def consumers(self, tensor: str) -> list[Node]:
        return [n for n in self.nodes if tensor in n.inputs]

    def node(self, name: str) -> Node:
        for node in self.nodes:
            if node.name == name:
                return node
        raise KeyError(name)

    def replace(self, old: Node, new: list[Node]) -> None:
        index = self.nodes.index(old)
        self.nodes[index:index + 1] = new

    def nodes_of(self, kind: type) -> list:
        return [n for n in self.nodes if isinstance(n, kind)]

    def dump(self) -> str:
        """Human-readable listing: one line per node with output shape and format."""
        lines = [f"graph {self.name}: input {self.input} -> output {self.output}"]
        for node in self.nodes:
            out = self.tensors[node.output]
            fmt = out.fmt.describe() if out.fmt is not None else "float"
            rng = f" range [{out.interval[0]}, {out.interval[1]}]" if out.interval else ""
            lines.append(f"  {node.name:<28} {type(node).__name__:<12} "
                         f"{','.join(node.inputs):<28} -> {list(out.shape)} {fmt}{rng}")
        return "\n".join(lines)


def unsupported(node: Node, stage: str) -> BnnHlsError:
    """The one error for an IR node type a stage has no rule for."""
    return BnnHlsError(f"layer '{node.name}': {stage} does not support "
                       f"{type(node).__name__} nodes")
