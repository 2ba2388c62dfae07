"""The RTL of a design's weight port: the loader that fills the loaded weight memories
(:mod:`bnn_hls.hw.weight_load`) from ``s_axis_weights``, and the write bus it drives into the
matrix-vector units."""

from __future__ import annotations

from dataclasses import dataclass

from bnn_hls.backends.rtl.tiles import counter_bits, render_tile
from bnn_hls.hw.weight_load import LOAD_BEAT_BITS, LOADER_INSTANCE, LoadedMemory, WeightLoad


@dataclass(frozen=True)
class WriteBus:
    """What a unit's ``wl_en``/``wl_addr``/``wl_data`` connect to: its enable bit of the
    loader's and the low bits of the shared address and data."""

    enable: int
    addr_width: int
    data_width: int


def write_bus_widths(memory: LoadedMemory) -> tuple[int, int]:
    """(address, data) bits of a memory's write port."""
    return counter_bits(memory.depth), memory.width


@dataclass(frozen=True)
class WeightLoader:
    load: WeightLoad
    beat_bits: int = LOAD_BEAT_BITS

    @property
    def addr_width(self) -> int:
        return max(write_bus_widths(m)[0] for m in self.load.memories)

    @property
    def data_width(self) -> int:
        return max(m.width for m in self.load.memories)

    def bus(self, stage: str) -> WriteBus:
        index = next(i for i, m in enumerate(self.load.memories) if m.stage == stage)
        return WriteBus(index, *write_bus_widths(self.load.memories[index]))

    def module_name(self) -> str:
        return LOADER_INSTANCE

    def render(self) -> str:
        memories = self.load.memories
        return render_tile(
            "weight_loader.sv.j2", module=self.module_name(), memories=memories,
            beats=self.load.beats, beat_bits=self.beat_bits,
            memory_w=counter_bits(len(memories)), addr_w=self.addr_width,
            data_w=self.data_width, row_beats=max(m.beats_per_row for m in memories),
            beat_w=counter_bits(max(m.beats_per_row for m in memories)))
