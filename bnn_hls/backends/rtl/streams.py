"""Stream plumbing between tiles: re-folding a pixel's channels to another lane count,
broadcasting one stream to several consumers, the stream FIFO of a buffered channel, and the
register slice that cuts a ready path."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from bnn_hls.backends.rtl.block_ram import Ecp5BlockRam, block_ram
from bnn_hls.backends.rtl.tiles import Tile, counter_bits, render_tile, with_helpers
from bnn_hls.hw.intervals import clog2
from bnn_hls.hw.rtl_structure import (
    fifo_capacity,
    relane_capacity,
    relane_fill_levels,
    relane_fill_step,
    relane_fill_width,
)
from bnn_hls.hw.stages import FifoStage, ForkStage, RegisterSliceStage, RelaneStage
from bnn_hls.hw.technology import Technology


@dataclass(frozen=True)
class RelaneTile(Tile):
    """A lane buffer (relane_capacity lanes) between the two sides lets each run at one beat
    per cycle: ``max(in_folds, out_folds)`` cycles per pixel. Latency 1 cycle; both tready and
    tvalid come from registers."""

    stage: RelaneStage

    prefix: ClassVar[str] = "width_converter"

    @property
    def shifts(self) -> list[int]:
        """The lane counts a beat leaving drops: a pixel's last beat may carry fewer."""
        p = self.stage
        if p.out_folds == 1 or p.out_last_lanes == p.out_lanes:
            return [p.out_last_lanes]
        return [p.out_lanes, p.out_last_lanes]

    def render(self, instance: str) -> str:
        p, module = self.stage, self.module_name(instance)
        levels, boundary = relane_fill_levels(p), f"{module}_selects"
        main = render_tile("width_converter.sv.j2", module=module, p=p,
                           capacity=relane_capacity(p), step=relane_fill_step(p), levels=levels,
                           shifts=self.shifts, boundary_module=boundary,
                           cycles_per_pixel=max(p.in_folds, p.out_folds),
                           fill_w=relane_fill_width(p),
                           in_fold_w=counter_bits(p.in_folds),
                           out_fold_w=counter_bits(p.out_folds))
        return with_helpers(main, render_tile("kept_boundary.sv.j2", module=boundary,
                                              width=levels + len(self.shifts)))


@dataclass(frozen=True)
class ForkTile(Tile):
    """The input beat completes once every output has taken it; each output may take it in a
    different cycle (per-output 'taken' flags), none twice. No registers on the data path:
    latency 0, s_axis_tready waits for the last output to take the beat."""

    stage: ForkStage

    prefix: ClassVar[str] = "stream_fork"

    def render(self, instance: str) -> str:
        return render_tile("stream_fork.sv.j2", module=self.module_name(instance),
                           width=self.stage.layout.beat_width, outputs=self.stage.branches)


@dataclass(frozen=True)
class FifoTile(Tile):
    """Synchronous stream FIFO: 1 beat/cycle in and out, the memory's read register and a
    head register after it (BRAM-friendly; on ECP5, where Yosys would use block RAM, a DP16KD
    whose output register is the head). Latency FIFO_LATENCY; s_axis_tready is "not full" (a
    register compare, no path from m_axis)."""

    stage: FifoStage
    technology: Technology = Technology.GENERIC

    prefix: ClassVar[str] = "stream_fifo"

    @property
    def capacity(self) -> int:
        return fifo_capacity(self.stage.depth)

    @property
    def block_ram(self) -> Ecp5BlockRam | None:
        return block_ram(self.technology, self.stage.layout.beat_width + 1, self.capacity)

    def render(self, instance: str) -> str:
        depth, ram = self.capacity, self.block_ram
        module = self.module_name(instance)
        ram_module = f"{module}_ram"
        main = render_tile("stream_fifo.sv.j2", module=module,
                           width=self.stage.layout.beat_width, depth=depth,
                           addr_w=counter_bits(depth), count_w=clog2(depth + 1),
                           ram_module=ram_module if ram else None)
        return with_helpers(main, ram.render(ram_module)) if ram else main


@dataclass(frozen=True)
class RegisterSliceTile(Tile):
    """Skid buffer: latency 0, s_axis_tready from a register. The RTL design puts one on
    every channel the plan marks (``register_slice``, from RtlCycles.needs_register_slice),
    so no ready path spans two tiles."""

    stage: RegisterSliceStage

    prefix: ClassVar[str] = "stream_skid"

    def render(self, instance: str) -> str:
        return render_tile("stream_skid.sv.j2", module=self.module_name(instance),
                           width=self.stage.layout.beat_width)
