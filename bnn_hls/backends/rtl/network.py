"""The RTL backend: an integer IR graph + folding -> tiles wired into a streaming top level.

Every IR node becomes a short chain of tiles; every tensor travels on one AXI4-Stream in the
shared layout (raster pixels, ``lanes`` channels per beat). A tensor read by two layers (the
residual feeding both the binary branch and the shortcut) goes through a fork, and the
shortcut adder's skip FIFO is sized so that no backpressure pattern can deadlock the design.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from bnn_hls.backends.render import render
from bnn_hls.backends.rtl.folding import Fold
from bnn_hls.backends.rtl.mvu import MvuParams
from bnn_hls.backends.rtl.mvu_real import MvuRealParams
from bnn_hls.backends.rtl.pointwise import AffineParams, BinariseParams, ShortcutParams
from bnn_hls.backends.rtl.pool import GlobalSumParams, PoolKind, PoolParams
from bnn_hls.backends.rtl.streams import StreamForkParams, WidthConverterParams
from bnn_hls.backends.rtl.swg import SwgParams
from bnn_hls.backends.rtl.tiles import Interval, StreamPort, Tile
from bnn_hls.compiler import ir
from bnn_hls.compiler.ir import window_matrix
from bnn_hls.errors import BnnHlsError

PIPELINE_SLACK_PIXELS = 16  # registers along a branch, counted generously in input pixels
MEMORY_DIR = "mem"  # ROM files, relative to the directory holding the Verilog


@dataclass(frozen=True)
class Stream:
    """Where a tensor's stream leaves a tile, and how it is laid out."""

    instance: str
    port: StreamPort
    lanes: int  # channels per beat (a binary tensor packs all channels in one beat)
    width: int  # bits per lane


@dataclass(frozen=True)
class Probe:
    """An internal stream carrying one IR layer's output, for localising mismatches."""

    layer: str
    instance: str
    port: str
    lanes: int
    width: int
    channels: int
    signed: bool


@dataclass
class NetworkDesign:
    name: str
    model: str
    tiles: dict[str, Tile] = field(default_factory=dict)  # instance -> tile
    links: list[tuple[Stream, str, StreamPort]] = field(default_factory=list)
    probes: list[Probe] = field(default_factory=list)
    input_stream: tuple[str, StreamPort] | None = None
    output: Stream | None = None
    in_lanes: int = 1
    pixel_bits: int = 8

    def module(self, instance: str) -> str:
        return self.tiles[instance].module_name(instance)

    def render_top(self) -> str:
        wires, bound = [], {}  # bound: (instance, port) -> the wire it connects to
        for source, dst, dst_port in self.links:
            name = f"{source.instance}_{source.port.name}"
            if (source.instance, source.port.name) not in bound:
                wires.append(_Wire(name, source.port.width, source.port.last))
                bound[(source.instance, source.port.name)] = name
            bound[(dst, dst_port.name)] = name
        in_inst, in_port = self.input_stream
        input_wire = f"{in_inst}_{in_port.name}"
        wires.append(_Wire(input_wire, in_port.width, True))
        bound[(in_inst, in_port.name)] = input_wire
        output_wire = f"{self.output.instance}_{self.output.port.name}"
        if (self.output.instance, self.output.port.name) not in bound:
            wires.append(_Wire(output_wire, self.output.port.width, self.output.port.last))
            bound[(self.output.instance, self.output.port.name)] = output_wire
        instances = []
        for instance, tile in self.tiles.items():
            ports = [(p, bound[(instance, p.name)], p.last) for p in tile.ports()]
            instances.append(_Instance(self.module(instance), instance, ports))
        return render("rtl/network_top.v.j2", module=self.name, model=self.model,
                      in_lanes=self.in_lanes, pixel_bits=self.pixel_bits,
                      out_lanes=self.output.lanes, out_width=self.output.width, wires=wires,
                      instances=instances, input_wire=input_wire, output_wire=output_wire,
                      unlast_wires=[w.name for w in wires if not w.last])

    def write(self, directory: Path) -> list[Path]:
        """Every tile as <module>.v, the top as <name>.v, ROM files, and manifest.json."""
        directory.mkdir(parents=True, exist_ok=True)
        sources = []
        for instance, tile in self.tiles.items():
            path = directory / f"{self.module(instance)}.v"
            path.write_text(tile.render(instance))
            if isinstance(tile, MvuParams):
                replace(tile, memory_dir=str(directory / tile.memory_dir)).write_memory_files(
                    instance)
            sources.append(path)
        top = directory / f"{self.name}.v"
        top.write_text(self.render_top())
        manifest = {"top": self.name, "sources": [p.name for p in [*sources, top]],
                    "in_lanes": self.in_lanes, "pixel_bits": self.pixel_bits,
                    "out_lanes": self.output.lanes, "out_width": self.output.width,
                    "probes": [p.__dict__ for p in self.probes]}
        (directory / "manifest.json").write_text(json.dumps(manifest, indent=1))
        return [*sources, top]


@dataclass(frozen=True)
class _Wire:
    name: str
    width: int
    last: bool


@dataclass(frozen=True)
class _Instance:
    module: str
    name: str
    ports: list


def _instance_name(layer: str, role: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", f"{layer}_{role}")


class _Builder:
    def __init__(self, graph: ir.Graph, folding: dict[str, Fold], name: str):
        self.graph = graph
        self.folding = folding
        self.design = NetworkDesign(name=name, model=graph.name)
        self.streams: dict[str, Stream] = {}  # tensor -> the stream carrying it
        self.pending_reads: dict[str, list[Stream]] = {}  # tensor -> fork outputs not yet used

    # --- plumbing -----------------------------------------------------------------------
    def add(self, layer: str, role: str, tile: Tile, source: Stream | None,
            lanes: int, width: int) -> Stream:
        instance = _instance_name(layer, role)
        self.design.tiles[instance] = tile
        inputs = [p for p in tile.ports() if p.is_input]
        if source is not None:
            self.link(source, instance, inputs[0])
        output = next(p for p in tile.ports() if not p.is_input)
        return Stream(instance, output, lanes, width)

    def link(self, source: Stream, instance: str, port: StreamPort) -> None:
        if port.width != source.port.width:
            raise ValueError(f"{source.instance}.{source.port.name} is {source.port.width} "
                             f"bits but {instance}.{port.name} takes {port.width}")
        if port.last and not source.port.last:
            raise ValueError(f"{instance}.{port.name} needs tlast from {source.instance}")
        self.design.links.append((source, instance, port))

    def read(self, tensor: str) -> Stream:
        """The stream of ``tensor`` for one consumer, forking it for tensors read twice."""
        if tensor not in self.pending_reads:
            stream = self.streams[tensor]
            readers = len(self.graph.consumers(tensor))
            if readers == 1:
                return stream
            fork = StreamForkParams(stream.port.width, readers)
            fork_out = self.add(tensor, "fork", fork, stream, stream.lanes, stream.width)
            outputs = [p for p in fork.ports() if not p.is_input]
            self.pending_reads[tensor] = [Stream(fork_out.instance, p, stream.lanes,
                                                 stream.width) for p in outputs]
        return self.pending_reads[tensor].pop(0)

    def relane(self, stream: Stream, channels: int, lanes: int, layer: str, role: str) -> Stream:
        if stream.lanes == lanes:
            return stream
        converter = WidthConverterParams(channels, stream.lanes, lanes, stream.width)
        return self.add(layer, role, converter, stream, lanes, stream.width)

    def publish(self, node: ir.Node, stream: Stream, signed: bool = True) -> None:
        self.streams[node.output] = stream
        tensor = self.graph.tensors[node.output]
        self.design.probes.append(Probe(node.name, stream.instance, stream.port.name,
                                        stream.lanes, stream.width, tensor.channels, signed))

    def interval(self, tensor: str) -> Interval:
        return Interval(*self.graph.tensors[tensor].interval)

    # --- layers --------------------------------------------------------------------------
    def build(self) -> NetworkDesign:
        for node in self.graph.nodes:
            try:
                getattr(self, f"_{type(node).__name__}")(node)
            except ValueError as exc:  # a tile refusing these parameters
                raise BnnHlsError(f"layer '{node.name}': no RTL for this shape: {exc}") from None
        out = self.streams[self.graph.output]
        self.design.output = out
        return self.design

    def _InputQuant(self, node: ir.InputQuant) -> None:
        channels = len(node.offset)
        affine = AffineParams(channels, channels, node.pixel_bits + 1,
                              [1 << node.frac_bits] * channels, node.offset, 0,
                              out_format=self.graph.tensors[node.output].fmt,
                              in_range=Interval(0, (1 << node.pixel_bits) - 1))
        stream = self.add(node.name, "unit", affine, None, channels, affine.out_width)
        self.design.input_stream = (stream.instance, affine.ports()[0])
        self.design.in_lanes = channels
        self.design.pixel_bits = node.pixel_bits
        self.publish(node, stream)

    def _Conv(self, node: ir.Conv) -> None:
        fold = self.folding[node.name]
        source = self.read(node.inputs[0])
        in_tensor = self.graph.tensors[node.inputs[0]]
        channels, height, width = in_tensor.shape
        elem_width = source.width  # the producing tile's lanes, which may exceed the format
        weights = window_matrix(node.weight)
        if node.kernel > 1:
            source = self.relane(source, channels, channels, node.name, "pack")
            swg = SwgParams(channels, height, width, node.kernel, node.stride, node.pad,
                            fold.simd, elem_width)
            source = self.add(node.name, "swg", swg, source, fold.simd, elem_width)
            with_valid = True
        else:
            source = self.relane(source, channels, fold.simd, node.name, "simd")
            with_valid = False
        _, out_h, out_w = self.graph.tensors[node.output].shape
        mvu = MvuRealParams.from_weights(weights, fold.pe, fold.simd, elem_width,
                                         self.interval(node.inputs[0]), with_valid,
                                         out_h * out_w)
        self.publish(node, self.add(node.name, "mvu", mvu, source, fold.pe, mvu.out_width))

    def _Linear(self, node: ir.Linear) -> None:
        fold = self.folding[node.name]
        channels = node.weight.shape[1]
        source = self.relane(self.read(node.inputs[0]), channels, fold.simd, node.name, "simd")
        mvu = MvuRealParams.from_weights(node.weight, fold.pe, fold.simd, source.width,
                                         self.interval(node.inputs[0]), False, 1)
        self.publish(node, self.add(node.name, "mvu", mvu, source, fold.pe, mvu.out_width))

    def _Affine(self, node: ir.Affine) -> None:
        source = self.read(node.inputs[0])
        tensor = self.graph.tensors[node.output]
        affine = AffineParams(tensor.channels, source.lanes, source.width, node.mult,
                              node.bias, node.shift, out_format=tensor.fmt,
                              in_range=self.interval(node.inputs[0]))
        self.publish(node, self.add(node.name, "affine", affine, source, source.lanes,
                                    affine.out_width))

    def _MaxPool(self, node: ir.MaxPool) -> None:
        source = self.read(node.inputs[0])
        channels, height, width = self.graph.tensors[node.inputs[0]].shape
        pool = PoolParams(PoolKind.MAX, channels, source.lanes, source.width, height, width,
                          node.kernel, node.stride, node.pad)
        self.publish(node, self.add(node.name, "pool", pool, source, source.lanes,
                                    pool.out_width))

    def _Sign(self, node: ir.Sign) -> None:
        source = self.read(node.inputs[0])
        channels = self.graph.tensors[node.inputs[0]].channels
        binarise = BinariseParams(channels, source.lanes, source.width)
        self.publish(node, self.add(node.name, "binarise", binarise, source, channels, 1),
                     signed=False)

    def _BinaryConv(self, node: ir.BinaryConv) -> None:
        fold = self.folding[node.name]
        source = self.read(node.inputs[0])
        channels, height, width = self.graph.tensors[node.inputs[0]].shape
        swg = SwgParams(channels, height, width, node.kernel, node.stride, node.pad, fold.simd)
        source = self.add(node.name, "swg", swg, source, fold.simd, 1)
        weights = window_matrix(node.weight_bits)
        # ROM files are named relative to the RTL directory, where simulators and Yosys run.
        mvu = replace(MvuParams.from_weights(weights, fold.pe, fold.simd, "."),
                      memory_dir=MEMORY_DIR)
        self.publish(node, self.add(node.name, "mvu", mvu, source, fold.pe, mvu.dot_width))

    def _AvgPool2Sum(self, node: ir.AvgPool2Sum) -> None:
        source = self.read(node.inputs[0])
        channels, height, width = self.graph.tensors[node.inputs[0]].shape
        pool = PoolParams.avg_pool_sum(channels, source.lanes, source.width, height, width)
        self.publish(node, self.add(node.name, "pool", pool, source, source.lanes,
                                    pool.out_width))

    def _GlobalSum(self, node: ir.GlobalSum) -> None:
        source = self.read(node.inputs[0])
        channels, height, width = self.graph.tensors[node.inputs[0]].shape
        pool = GlobalSumParams(channels, source.lanes, source.width, height, width)
        self.publish(node, self.add(node.name, "sum", pool, source, source.lanes,
                                    pool.out_width))

    def _Add(self, node: ir.Add) -> None:
        branch_name, skip_name = node.inputs
        branch = self.read(branch_name)
        tensor = self.graph.tensors[node.output]
        skip = self.relane(self.read(skip_name), tensor.channels, branch.lanes, node.name,
                           "skip_lanes")
        adder = ShortcutParams(tensor.channels, branch.lanes,
                               self.graph.tensors[branch_name].fmt,
                               self.graph.tensors[skip_name].fmt, tensor.fmt,
                               self.skip_depth(node, branch.lanes))
        stream = self.add(node.name, "adder", adder, branch, branch.lanes,
                          tensor.fmt.width)
        self.link(skip, stream.instance, adder.ports()[1])
        self.publish(node, stream)

    def skip_depth(self, node: ir.Add, lanes: int) -> int:
        """Beats the skip FIFO must hold so the fork never waits on a full skip path while the
        binary branch still needs input: every input pixel the branch's SWG row buffer can
        take in before its first output (as skip pixels: 1/stride**2 of them), plus the
        registers along the branch."""
        affine = self.graph.producer(node.inputs[0])
        conv = self.graph.producer(affine.inputs[0])
        sign = self.graph.producer(conv.inputs[0])
        if not (isinstance(affine, ir.Affine) and isinstance(conv, ir.BinaryConv)
                and isinstance(sign, ir.Sign)):
            raise BnnHlsError(f"layer '{node.name}': expected sign -> binary conv -> affine "
                              "on the adder's first input")
        channels, height, width = self.graph.tensors[sign.inputs[0]].shape
        swg = SwgParams(channels, height, width, conv.kernel, conv.stride, conv.pad, 1)
        buffered = -(-swg.geometry.rows * width // conv.stride**2)
        pixels = buffered + PIPELINE_SLACK_PIXELS
        return max(2, pixels * -(-self.graph.tensors[node.output].channels // lanes))


def build_network(graph: ir.Graph, folding: dict[str, Fold],
                  name: str = "bnn_top") -> NetworkDesign:
    return _Builder(graph, folding, name).build()

