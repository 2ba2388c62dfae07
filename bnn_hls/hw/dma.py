"""How a stream of the plan travels through an AXI DMA to and from memory.

The Xilinx AXI DMA takes stream widths of 8 to 1024 bits in powers of two, so each top-level
stream's beat is padded with zero bits above its data to the next such width: one beat is
then ``beat_bytes`` bytes of a memory buffer, little-endian, the stream's lanes in its low
``data_bits`` bits. Vitis HLS rounds an AXI4-Stream port to whole bytes only
(``hls_tdata_bits``), so a block design around the HLS core converts between the two."""

from __future__ import annotations

from dataclasses import dataclass

from bnn_hls.hw.intervals import ceil_div
from bnn_hls.hw.layout import StreamLayout

DMA_TDATA_BITS = (8, 16, 32, 64, 128, 256, 512, 1024)  # stream widths the AXI DMA accepts


@dataclass(frozen=True)
class DmaStream:
    layout: StreamLayout

    def __post_init__(self):
        if self.data_bits > DMA_TDATA_BITS[-1]:
            raise ValueError(f"a {self.data_bits}-bit beat ({self.layout.describe()}) is wider "
                             f"than the AXI DMA's {DMA_TDATA_BITS[-1]} bits")

    @property
    def data_bits(self) -> int:
        return self.layout.beat_width

    @property
    def tdata_bits(self) -> int:
        """The padded beat the DMA moves."""
        return next(bits for bits in DMA_TDATA_BITS if bits >= self.data_bits)

    @property
    def beat_bytes(self) -> int:
        return self.tdata_bits // 8

    @property
    def hls_tdata_bits(self) -> int:
        """The width Vitis HLS gives the same stream on its AXI4-Stream port."""
        return 8 * ceil_div(self.data_bits, 8)
