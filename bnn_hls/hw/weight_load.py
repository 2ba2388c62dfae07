"""Weights loaded at start-up through the accelerator's weight port instead of the bitstream.

UltraRAM powers up cleared and has no initial contents in an UltraScale+ bitstream, so a
weight ROM the placement rule (:func:`bnn_hls.hw.estimates.place_memory`) puts in UltraRAM is
a RAM that the host fills before the first image. Any design can also have all its weight
memories loaded (``bnn-hls compile --rtl --load-weights``: new weights without a new
bitstream).

The load stream: 64-bit beats, the loaded memories in plan order, each memory's rows in
address order, each row as ``ceil(width / 64)`` beats, least significant first. A matrix-vector
unit's memory row is its whole weight step: an XNOR unit's PE words side by side (PE p at bits
[p*SIMD +: SIMD]), a real unit's ROM row (:func:`bnn_hls.hw.weights.rom_row_words`). A memory
of one row is never loaded: its weights are constants of the unit.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np

from bnn_hls.hw.estimates import (
    Memory,
    Placement,
    adder_luts,
    compare_luts,
    counter_bits,
    fabric,
    place_memory,
)
from bnn_hls.hw.intervals import ceil_div
from bnn_hls.hw.layout import LIMB_BITS, LIMB_MASK
from bnn_hls.hw.plan import DataflowPlan
from bnn_hls.hw.stages import RealMvuStage, Stage, XnorMvuStage
from bnn_hls.hw.technology import Resources, Technology
from bnn_hls.hw.weights import rom_row_words

LOAD_BEAT_BITS = LIMB_BITS  # the Zynq shells' AXI DMA stream width
LOADER_INSTANCE = "weight_loader"  # the loader's RTL instance, and its row in the estimates


class WeightStore(enum.Enum):
    """Where a matrix-vector unit keeps its weights."""

    ROM = "rom"  # initialised by the bitstream (or constants)
    LOADED = "loaded"  # a RAM the weight port fills
    LOADED_URAM = "loaded-uram"  # the same, in UltraRAM


def has_weight_memory(stage: Stage) -> bool:
    return isinstance(stage, XnorMvuStage | RealMvuStage) and stage.steps_per_pixel > 1


def weight_rows(stage: XnorMvuStage | RealMvuStage) -> list[int]:
    """The rows of a matrix-vector unit's weight memory as integers."""
    if isinstance(stage, XnorMvuStage):
        words = stage.rom_words
        return [sum(int(words[pe, step]) << (pe * stage.simd) for pe in range(stage.pe))
                for step in range(stage.steps_per_pixel)]
    return rom_row_words(stage.rom_rows, stage.weight_width)


def row_width(stage: XnorMvuStage | RealMvuStage) -> int:
    """Bits of one weight step of a matrix-vector unit."""
    if isinstance(stage, XnorMvuStage):
        return stage.pe * stage.simd
    return stage.pe * stage.simd * stage.weight_width


def in_uram(stage: XnorMvuStage | RealMvuStage, technology: Technology) -> bool:
    """Whether the placement rule puts the unit's weight ROM(s) in UltraRAM (an XNOR unit
    has one ROM per PE, all of one shape)."""
    width = stage.simd if isinstance(stage, XnorMvuStage) else row_width(stage)
    rom = Memory(stage.steps_per_pixel, width, writable=False)
    return place_memory(rom, fabric(technology)) is Placement.URAM


@dataclass(frozen=True)
class LoadedMemory:
    stage: str  # the plan stage (the RTL instance) whose weights it holds
    depth: int  # rows
    width: int  # bits per row
    uram: bool  # placed in UltraRAM

    @property
    def beats_per_row(self) -> int:
        return ceil_div(self.width, LOAD_BEAT_BITS)

    @property
    def beats(self) -> int:
        return self.depth * self.beats_per_row


@dataclass(frozen=True)
class WeightLoad:
    """The memories a design loads at start-up, in stream order (empty: none)."""

    memories: tuple[LoadedMemory, ...] = ()

    @classmethod
    def for_plan(cls, plan: DataflowPlan, technology: Technology,
                 everything: bool = False) -> WeightLoad:
        """The weight memories of ``plan`` placed in UltraRAM on ``technology``, or with
        ``everything`` every weight memory."""
        memories = []
        for name, placed in plan.stages.items():
            stage = placed.stage
            if not has_weight_memory(stage):
                continue
            uram = in_uram(stage, technology)
            if everything or uram:
                memories.append(LoadedMemory(name, stage.steps_per_pixel, row_width(stage),
                                             uram))
        return cls(tuple(memories))

    def __bool__(self) -> bool:
        return bool(self.memories)

    def store(self, stage: str) -> WeightStore:
        memory = next((m for m in self.memories if m.stage == stage), None)
        if memory is None:
            return WeightStore.ROM
        return WeightStore.LOADED_URAM if memory.uram else WeightStore.LOADED

    @property
    def beats(self) -> int:
        return sum(m.beats for m in self.memories)

    @property
    def bits(self) -> int:
        return sum(m.depth * m.width for m in self.memories)

    def stream(self, plan: DataflowPlan) -> np.ndarray:
        """The load stream's beats (uint64), as the host sends them."""
        beats = np.zeros(self.beats, dtype=np.uint64)
        index = 0
        for memory in self.memories:
            for row in weight_rows(plan.stages[memory.stage].stage):
                for k in range(memory.beats_per_row):
                    beats[index] = (row >> (LOAD_BEAT_BITS * k)) & LIMB_MASK
                    index += 1
        return beats

    def to_json(self) -> dict:
        return {"beat_bits": LOAD_BEAT_BITS, "beats": self.beats,
                "memories": [{"stage": m.stage, "depth": m.depth, "width": m.width,
                              "uram": m.uram} for m in self.memories]}


def loader_resources(load: WeightLoad, technology: Technology) -> Resources:
    """templates/rtl/weight_loader.sv.j2 for ``load``: the memory, row and beat counters, the
    last-beat and last-row compares, the row assembled from its beats (the bits of the widest
    row), the registered write (enables, address, data), the commit flags and the flag that
    the last beat is taken. A LUT4 fabric clears a counter through a LUT4 per bit."""
    fab = fabric(technology)
    memories = load.memories
    count = len(memories)
    memory_w = max(1, counter_bits(count))
    addr_w = max(max(1, counter_bits(m.depth)) for m in memories)
    row_beats = max(m.beats_per_row for m in memories)
    beat_w = counter_bits(row_beats)  # a constant 0 (dropped) when every row is one beat
    data_w = max(m.width for m in memories)
    clears = (addr_w + beat_w) if fab.lut_inputs == 4 else 0
    counters = adder_luts(memory_w, fab) + adder_luts(addr_w, fab) + adder_luts(beat_w, fab)
    # last beat and last row: one function each of its counter and the memory number (the
    # per-memory constants and their select merge)
    select_w = counter_bits(count)
    last_compares = compare_luts(beat_w + select_w, fab) + compare_luts(addr_w + select_w, fab)
    decodes = ((row_beats if row_beats > 1 else 0) * compare_luts(beat_w + 1, fab)
               + count * compare_luts(memory_w + 1, fab))
    # Each slot of the row takes the beat under its decoded enable: no LUT per row bit.
    return Resources(luts=counters + clears + last_compares + decodes + 4,
                     ffs=2 * data_w + 3 * addr_w + 2 * memory_w + beat_w + count + 5)
