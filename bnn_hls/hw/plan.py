"""``build_plan``: an integer IR graph + folding -> the dataflow plan every backend renders.

Every IR node becomes a short chain of stages; every tensor travels on one stream in the
layout of :mod:`bnn_hls.hw.layout`. A tensor read by two layers (the residual feeding both
the binary branch and the shortcut) goes through a fork, and the channel into the shortcut
adder's skip input gets the FIFO depth that :mod:`bnn_hls.hw.skip` proves deadlock-free.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Protocol

from bnn_hls.compiler import ir
from bnn_hls.compiler.ir import window_matrix
from bnn_hls.errors import BnnHlsError
from bnn_hls.hw.folding import Fold, WindowCosts, ideal_cycles
from bnn_hls.hw.intervals import Interval
from bnn_hls.hw.layout import StreamLayout
from bnn_hls.hw.skip import identity_branch, skip_fifo_depth
from bnn_hls.hw.stages import (
    AffineStage,
    BinariseStage,
    ForkStage,
    GlobalSumStage,
    PoolKind,
    PoolStage,
    Port,
    RealMvuStage,
    RelaneStage,
    ShortcutStage,
    Stage,
    WindowStage,
    XnorMvuStage,
)


class CycleModel(WindowCosts, Protocol):
    """What a backend's implementation of each stage costs; supplied by the backend."""

    name: str

    def cycles_per_image(self, stage: Stage, pixels: int) -> int:
        """Cycles per image at full rate with nothing stalling it, for ``pixels`` input
        pixels per image (windows, for a matrix-vector unit)."""

    def latency(self, stage: Stage) -> int:
        """Cycles from the input beat that completes an output to that output's first beat."""

    def needs_register_slice(self, source: Stage, sink: Stage) -> bool:
        """Whether a plain stream from ``source`` into ``sink`` needs a register slice to
        keep the ready path within one stage."""


@dataclass(frozen=True)
class Endpoint:
    stage: str
    port: str


@dataclass(frozen=True)
class Channel:
    """A stream from one stage's output port to another's input port. ``depth``: beats of
    buffering it needs beyond what the stages hold (0: none, a plain connection).
    ``register_slice``: an unbuffered channel whose ready path the backend cuts with a
    register slice (RegisterSliceStage)."""

    source: Endpoint
    sink: Endpoint
    layout: StreamLayout
    depth: int = 0
    register_slice: bool = False


@dataclass(frozen=True)
class Probe:
    """The stream carrying one IR layer's output, recorded to localise mismatches."""

    layer: str
    source: Endpoint
    layout: StreamLayout


@dataclass(frozen=True)
class PlacedStage:
    name: str  # instance name, unique in the plan
    layer: str  # the IR node it implements (part of)
    stage: Stage


@dataclass
class DataflowPlan:
    name: str
    model: str
    backend: str
    folding: dict[str, Fold]
    stages: dict[str, PlacedStage] = field(default_factory=dict)
    channels: list[Channel] = field(default_factory=list)
    probes: list[Probe] = field(default_factory=list)
    input: Endpoint | None = None  # the stage input the plan's input stream feeds
    output: Endpoint | None = None  # the stage output that is the plan's output stream
    ideal_cycles: int = 0  # max over layers of MACs / (PE*SIMD)
    expected_cycles: dict[str, int] = field(default_factory=dict)  # per stage, per image

    def port(self, endpoint: Endpoint) -> Port:
        return self.stages[endpoint.stage].stage.port(endpoint.port)

    @property
    def input_layout(self) -> StreamLayout:
        return self.port(self.input).layout

    @property
    def output_layout(self) -> StreamLayout:
        return self.port(self.output).layout

    @property
    def expected_cycles_per_image(self) -> int:
        """The slowest stage's cycles per image: what the whole dataflow can sustain."""
        return max(self.expected_cycles.values())


def check_link(carried: StreamLayout, taken: StreamLayout, where: str) -> None:
    """A channel joins only equal layouts: channels, lanes, element width, signedness and
    valid bits, not just the same number of tdata bits."""
    if carried != taken:
        raise ValueError(f"{where}: the stream carries {carried.describe()} but the port "
                         f"takes {taken.describe()}")


def instance_name(layer: str, role: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", f"{layer}_{role}")


@dataclass(frozen=True)
class _Stream:
    """Where a tensor's stream leaves a stage."""

    source: Endpoint
    layout: StreamLayout
    pixels: int  # per image


def output_pixels(stage: Stage, in_pixels: int) -> int:
    """Pixels per image on a stage's output stream."""
    if isinstance(stage, WindowStage | PoolStage):
        return stage.shape.out_pixels
    if isinstance(stage, GlobalSumStage):
        return 1
    return in_pixels


class _Builder:
    def __init__(self, graph: ir.Graph, folding: dict[str, Fold], model: CycleModel,
                 name: str):
        self.graph = graph
        self.folding = folding
        self.model = model
        self.plan = DataflowPlan(name=name, model=graph.name, backend=model.name,
                                 folding=dict(folding), ideal_cycles=ideal_cycles(graph,
                                                                                  folding))
        self.streams: dict[str, _Stream] = {}  # tensor -> the stream carrying it
        self.pending_reads: dict[str, list[_Stream]] = {}  # tensor -> fork outputs unused

    # --- plumbing --------------------------------------------------------------------------
    def add(self, layer: str, role: str, stage: Stage, source: _Stream | None,
            pixels: int = 0) -> _Stream:
        """Place ``stage``, fed by ``source`` (or by the plan's input, ``pixels`` per image)."""
        name = instance_name(layer, role)
        self.plan.stages[name] = PlacedStage(name, layer, stage)
        if source is not None:
            pixels = source.pixels
            self.link(source, Endpoint(name, stage.inputs[0].name))
        self.plan.expected_cycles[name] = self.model.cycles_per_image(stage, pixels)
        out = stage.outputs[0]
        return _Stream(Endpoint(name, out.name), out.layout, output_pixels(stage, pixels))

    def link(self, source: _Stream, sink: Endpoint, depth: int = 0) -> None:
        check_link(source.layout, self.plan.port(sink).layout,
                   f"{source.source.stage}.{source.source.port} -> {sink.stage}.{sink.port}")
        sliced = not depth and self.model.needs_register_slice(
            self.plan.stages[source.source.stage].stage, self.plan.stages[sink.stage].stage)
        self.plan.channels.append(Channel(source.source, sink, source.layout, depth, sliced))

    def read(self, tensor: str) -> _Stream:
        """The stream of ``tensor`` for one consumer, forking it for tensors read twice."""
        if tensor not in self.pending_reads:
            stream = self.streams[tensor]
            readers = len(self.graph.consumers(tensor))
            if readers == 1:
                return stream
            fork = ForkStage(stream.layout, readers)
            name = self.add(tensor, "fork", fork, stream).source.stage
            self.pending_reads[tensor] = [_Stream(Endpoint(name, p.name), p.layout,
                                                  stream.pixels) for p in fork.outputs]
        return self.pending_reads[tensor].pop(0)

    def relane(self, stream: _Stream, lanes: int, layer: str, role: str) -> _Stream:
        layout = stream.layout
        if layout.lanes == lanes:
            return stream
        stage = RelaneStage(layout.channels, layout.lanes, lanes, layout.width, layout.signed)
        return self.add(layer, role, stage, stream)

    def publish(self, node: ir.Node, stream: _Stream) -> None:
        self.streams[node.output] = stream
        self.plan.probes.append(Probe(node.name, stream.source, stream.layout))

    def interval(self, tensor: str) -> Interval:
        return Interval(*self.graph.tensors[tensor].interval)

    # --- layers ----------------------------------------------------------------------------
    def build(self) -> DataflowPlan:
        for node in self.graph.nodes:
            handler = getattr(self, f"_{type(node).__name__}", None)
            if handler is None:
                raise ir.unsupported(node, "the hardware plan")
            try:
                handler(node)
            except ValueError as exc:  # a stage refusing these parameters
                raise BnnHlsError(f"layer '{node.name}': no hardware for this shape: "
                                  f"{exc}") from None
        self.plan.output = self.streams[self.graph.output].source
        return self.plan

    def _InputQuant(self, node: ir.InputQuant) -> None:
        channels = len(node.offset)
        unit = AffineStage(channels, channels, node.pixel_bits, [1 << node.frac_bits] * channels,
                           node.offset, 0, out_format=self.graph.tensors[node.output].fmt,
                           in_signed=False)
        _, height, width = self.graph.tensors[node.output].shape
        stream = self.add(node.name, "unit", unit, None, height * width)
        self.plan.input = Endpoint(stream.source.stage, "in")
        self.publish(node, stream)

    def _Conv(self, node: ir.Conv) -> None:
        fold = self.folding[node.name]
        source = self.read(node.inputs[0])
        channels, height, width = self.graph.tensors[node.inputs[0]].shape
        elem_width = source.layout.width  # the producer's lanes may exceed the format
        windowed = node.kernel > 1 or node.stride > 1  # a strided 1x1 conv skips pixels
        if windowed:
            source = self.relane(source, channels, node.name, "pack")
            window = WindowStage(channels, height, width, node.kernel, node.stride, node.pad,
                                 fold.simd, elem_width)
            source = self.add(node.name, "swg", window, source)
        else:
            source = self.relane(source, fold.simd, node.name, "simd")
        _, out_h, out_w = self.graph.tensors[node.output].shape
        mvu = RealMvuStage(window_matrix(node.weight), fold.pe, fold.simd, elem_width,
                           self.interval(node.inputs[0]), windowed, out_h * out_w)
        self.publish(node, self.add(node.name, "mvu", mvu, source))

    def _Linear(self, node: ir.Linear) -> None:
        fold = self.folding[node.name]
        source = self.relane(self.read(node.inputs[0]), fold.simd, node.name, "simd")
        mvu = RealMvuStage(node.weight, fold.pe, fold.simd, source.layout.width,
                           self.interval(node.inputs[0]))
        self.publish(node, self.add(node.name, "mvu", mvu, source))

    def _Affine(self, node: ir.Affine) -> None:
        source = self.read(node.inputs[0])
        tensor = self.graph.tensors[node.output]
        affine = AffineStage(tensor.channels, source.layout.lanes, source.layout.width,
                             node.mult, node.bias, node.shift, out_format=tensor.fmt,
                             in_range=self.interval(node.inputs[0]))
        self.publish(node, self.add(node.name, "affine", affine, source))

    def _MaxPool(self, node: ir.MaxPool) -> None:
        self.publish(node, self._pool(node, PoolKind.MAX, node.kernel, node.stride, node.pad))

    def _AvgPool2Sum(self, node: ir.AvgPool2Sum) -> None:
        self.publish(node, self._pool(node, PoolKind.SUM, 2, 2, 0))

    def _pool(self, node: ir.Node, kind: PoolKind, kernel: int, stride: int,
              pad: int) -> _Stream:
        source = self.read(node.inputs[0])
        channels, height, width = self.graph.tensors[node.inputs[0]].shape
        pool = PoolStage(kind, channels, source.layout.lanes, source.layout.width, height,
                         width, kernel, stride, pad, self.interval(node.inputs[0]))
        return self.add(node.name, "pool", pool, source)

    def _Sign(self, node: ir.Sign) -> None:
        source = self.read(node.inputs[0])
        layout = source.layout
        self.publish(node, self.add(node.name, "binarise",
                                    BinariseStage(layout.channels, layout.lanes, layout.width),
                                    source))

    def _BinaryConv(self, node: ir.BinaryConv) -> None:
        fold = self.folding[node.name]
        source = self.read(node.inputs[0])
        channels, height, width = self.graph.tensors[node.inputs[0]].shape
        window = WindowStage(channels, height, width, node.kernel, node.stride, node.pad,
                             fold.simd)
        source = self.add(node.name, "swg", window, source)
        _, out_h, out_w = self.graph.tensors[node.output].shape
        mvu = XnorMvuStage(window_matrix(node.weight_bits), fold.pe, fold.simd, out_h * out_w)
        self.publish(node, self.add(node.name, "mvu", mvu, source))

    def _GlobalSum(self, node: ir.GlobalSum) -> None:
        source = self.read(node.inputs[0])
        channels, height, width = self.graph.tensors[node.inputs[0]].shape
        pool = GlobalSumStage(channels, source.layout.lanes, source.layout.width, height,
                              width, self.interval(node.inputs[0]))
        self.publish(node, self.add(node.name, "sum", pool, source))

    def _Add(self, node: ir.Add) -> None:
        branch_name, skip_name = node.inputs
        branch, skip = self.read(branch_name), self.read(skip_name)
        identity = identity_branch(self.graph, node) is not None
        # An identity shortcut keeps the residual's lanes so its skip path holds only the
        # FIFO; a downsample shortcut is re-laned to the branch instead.
        lanes = skip.layout.lanes if identity else branch.layout.lanes
        branch = self.relane(branch, lanes, node.name, "conv_lanes")
        skip = self.relane(skip, lanes, node.name, "skip_lanes")
        tensor = self.graph.tensors[node.output]
        adder = ShortcutStage(tensor.channels, lanes, self.graph.tensors[branch_name].fmt,
                              self.graph.tensors[skip_name].fmt, tensor.fmt,
                              self.interval(branch_name), self.interval(skip_name),
                              branch.layout.width, skip.layout.width)
        stream = self.add(node.name, "adder", adder, branch)
        depth = (skip_fifo_depth(self.graph, node, self.plan, self.model,
                                 stream.source.stage, skip.layout) if identity else 0)
        self.link(skip, Endpoint(stream.source.stage, "skip"), depth)
        self.publish(node, stream)


def build_plan(graph: ir.Graph, folding: dict[str, Fold], model: CycleModel,
               name: str = "bnn_top") -> DataflowPlan:
    return _Builder(graph, folding, model, name).build()
