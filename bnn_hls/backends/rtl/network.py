"""The RTL backend: a dataflow plan -> tiles wired into a streaming SystemVerilog top level.

Every plan stage becomes one tile; every channel a wire bundle, with a stream FIFO where the
plan asks for buffering (the skip FIFOs). ``RtlDesign.write`` emits one ``.sv`` file per
tile, the top, the ROM files and ``manifest.json`` naming the language, the sources in
compile order and the memory files.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

from bnn_hls.backends.render import render
from bnn_hls.backends.rtl.mvu import XnorMvuTile
from bnn_hls.backends.rtl.mvu_real import RealMvuTile
from bnn_hls.backends.rtl.pointwise import AffineTile, BinariseTile, ShortcutTile
from bnn_hls.backends.rtl.pool import GlobalSumTile, PoolTile
from bnn_hls.backends.rtl.streams import FifoTile, ForkTile, RegisterSliceTile, RelaneTile
from bnn_hls.backends.rtl.swg import SwgTile
from bnn_hls.backends.rtl.tiles import StreamPort, Tile, rtl_port_name
from bnn_hls.backends.rtl.weight_loader import WeightLoader, WriteBus
from bnn_hls.errors import BnnHlsError
from bnn_hls.hw.plan import DataflowPlan, Endpoint
from bnn_hls.hw.stages import (
    AffineStage,
    BinariseStage,
    FifoStage,
    ForkStage,
    GlobalSumStage,
    PoolStage,
    RealMvuStage,
    RegisterSliceStage,
    RelaneStage,
    ShortcutStage,
    Stage,
    WindowStage,
    XnorMvuStage,
)
from bnn_hls.hw.technology import Technology
from bnn_hls.hw.timing import DEFAULT_TIMING, RtlTiming
from bnn_hls.hw.weight_load import WeightLoad, WeightStore

LANGUAGE = "SystemVerilog-2012"
WEIGHTS_FILE = "weights.bin"  # the weight port's load stream, 64-bit little-endian beats
TILES: dict[type[Stage], type[Tile]] = {
    AffineStage: AffineTile, BinariseStage: BinariseTile, ShortcutStage: ShortcutTile,
    WindowStage: SwgTile, PoolStage: PoolTile, GlobalSumStage: GlobalSumTile,
    XnorMvuStage: XnorMvuTile, RealMvuStage: RealMvuTile, RelaneStage: RelaneTile,
    ForkStage: ForkTile, FifoStage: FifoTile, RegisterSliceStage: RegisterSliceTile,
}


def tile_for(stage: Stage, timing: RtlTiming = DEFAULT_TIMING,
             technology: Technology = Technology.GENERIC,
             store: WeightStore = WeightStore.ROM) -> Tile:
    """The stage's tile; the tiles with a ``technology`` build on its primitives (the XNOR
    MVU's popcount lanes, ECP5 block RAM), and only the MVUs keep weights (``store``)."""
    tile = TILES[type(stage)].for_timing(stage, timing)
    if hasattr(tile, "technology"):
        tile = replace(tile, technology=technology)
    if isinstance(tile, XnorMvuTile | RealMvuTile):
        tile = replace(tile, store=store)
    return tile


@dataclass(frozen=True)
class _Wire:
    name: str
    width: int


@dataclass(frozen=True)
class _Instance:
    module: str
    name: str
    ports: list[tuple[StreamPort, str]]  # port, wire bundle it connects to
    write_bus: WriteBus | None = None  # the weight port's writes into its memory


class RtlDesign:
    """The tiles of a plan and the wiring between them, pipelined for ``timing`` (the
    timing of the cycle model the plan was built with), the popcounts mapped onto
    ``technology``'s primitives (pipelined or not). Weights the placement puts in UltraRAM,
    or all with ``load_weights``, come through the weight port (bnn_hls.hw.weight_load)."""

    def __init__(self, plan: DataflowPlan, timing: RtlTiming = DEFAULT_TIMING,
                 technology: Technology = Technology.GENERIC, load_weights: bool = False):
        self.plan = plan
        self.technology = technology
        self.load = WeightLoad.for_plan(plan, technology, everything=load_weights)
        self.tiles: dict[str, Tile] = {}
        for placed in plan.stages.values():
            try:
                self.tiles[placed.name] = tile_for(placed.stage, timing, technology,
                                                   self.load.store(placed.name))
            except ValueError as exc:  # a tile refusing a shape it cannot build
                raise BnnHlsError(f"layer '{placed.layer}': no RTL for this shape: "
                                  f"{exc}") from None
        # (sink stage, sink port) -> (source stage, source RTL port); a buffered channel
        # gets its own FIFO tile in between.
        self.sources: dict[tuple[str, str], tuple[str, str]] = {}
        for channel in plan.channels:
            source = (channel.source.stage, self._rtl_port(channel.source))
            between = f"{channel.sink.stage}_{channel.sink.port}"
            if channel.depth:
                buffer: Tile | None = FifoTile(FifoStage(channel.layout, channel.depth),
                                               technology)
                between += "_fifo"
            elif channel.register_slice:
                buffer = RegisterSliceTile(RegisterSliceStage(channel.layout))
                between += "_slice"
            else:
                buffer = None
            if buffer:
                self.tiles[between] = buffer
                self.sources[(between, "s_axis")] = source
                source = (between, "m_axis")
            self.sources[(channel.sink.stage, self._rtl_port(channel.sink))] = source

    def _rtl_port(self, endpoint: Endpoint) -> str:
        return rtl_port_name(self.plan.port(endpoint))

    def module(self, instance: str) -> str:
        return self.tiles[instance].module_name(instance)

    @property
    def input(self) -> tuple[str, str]:
        return self.plan.input.stage, self._rtl_port(self.plan.input)

    @property
    def output(self) -> tuple[str, str]:
        return self.plan.output.stage, self._rtl_port(self.plan.output)

    def render_top(self) -> str:
        # (instance, port) -> bundle; with a weight port, images wait in "images" until loaded
        bound = {self.input: "images" if self.load else "s_axis", self.output: "m_axis"}
        wires = [_Wire("images", self.plan.input_layout.beat_width)] if self.load else []
        for (instance, port), source in self.sources.items():
            if source not in bound:
                bound[source] = f"{source[0]}_{source[1]}"
                width = next(p.width for p in self.tiles[source[0]].ports()
                             if p.name == source[1])
                wires.append(_Wire(bound[source], width))
            bound[(instance, port)] = bound[source]
        loader = WeightLoader(self.load) if self.load else None
        instances = [_Instance(self.module(name), name,
                               [(p, bound[(name, p.name)]) for p in tile.ports()],
                               loader.bus(name) if loader and self.load.store(name)
                               is not WeightStore.ROM else None)
                     for name, tile in self.tiles.items()]
        return render("rtl/network_top.sv.j2", module=self.plan.name, model=self.plan.model,
                      input=self.plan.input_layout, output=self.plan.output_layout,
                      wires=wires, instances=instances, loader=loader)

    def write(self, directory: Path) -> list[Path]:
        """Every tile as <module>.sv, the top as <name>.sv, the ROM files beside them, and
        manifest.json; returns the sources in compile order."""
        directory.mkdir(parents=True, exist_ok=True)
        sources, memories = [], []
        for instance, tile in self.tiles.items():
            path = directory / f"{self.module(instance)}.sv"
            path.write_text(tile.render(instance))
            sources.append(path)
            for name, text in tile.memory_files(instance).items():  # bare names
                (directory / name).write_text(text)
                memories.append(name)
        if self.load:
            loader = WeightLoader(self.load)
            path = directory / f"{loader.module_name()}.sv"
            path.write_text(loader.render())
            sources.append(path)
            (directory / WEIGHTS_FILE).write_bytes(self.load.stream(self.plan).tobytes())
        top = directory / f"{self.plan.name}.sv"
        top.write_text(self.render_top())
        sources.append(top)
        (directory / "manifest.json").write_text(json.dumps(self.manifest(sources, memories),
                                                            indent=1))
        return sources

    def manifest(self, sources: list[Path], memories: list[str]) -> dict:
        plan = self.plan
        probes = []
        for probe in plan.probes:
            layout = probe.layout
            probes.append({"layer": probe.layer, "instance": probe.source.stage,
                           "port": self._rtl_port(probe.source), "lanes": layout.lanes,
                           "width": layout.width, "channels": layout.channels,
                           "signed": layout.signed})
        return {"top": plan.name, "language": LANGUAGE, "technology": self.technology.value,
                "sources": [p.name for p in sources], "memory_files": memories,
                "in_channels": plan.input_layout.channels, "in_lanes": plan.input_layout.lanes,
                "pixel_bits": plan.input_layout.width,
                "out_channels": plan.output_layout.channels,
                "out_lanes": plan.output_layout.lanes, "out_width": plan.output_layout.width,
                "ideal_cycles_per_image": plan.ideal_cycles,
                "expected_cycles_per_image": plan.expected_cycles_per_image,
                "probes": probes,
                "weight_load": {**self.load.to_json(), "file": WEIGHTS_FILE} if self.load
                else None}
