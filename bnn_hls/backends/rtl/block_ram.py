"""Memories on ECP5 DP16KD block RAM, instantiated with the read port's output register.

Yosys's ECP5 memory mapping never enables DP16KD's output register (REGMODE_B = OUTREG), so
an inferred block RAM starts every path with its long clock-to-out. The tiles' memories are
already read into a register and then registered again; on ECP5 that second register moves
into the block (same latency), written out as DP16KD instances here. A generic build keeps
the inferred memory.

One block is a simple dual-port memory: written on port A, read on port B (the read address
latched with ``rd_en``, the output register loaded with ``out_en``). The widest
configuration whose depth holds the memory's (1024 x 18 ... 16384 x 1) is tiled across the
width. ROM contents use the 1024 x 18 configuration only, whose INITVAL layout Yosys's own
mapping (techlibs/lattice/brams_map_16kd.v) uses: 16 words of 18 bits in 20 per 320-bit row.
"""

from __future__ import annotations

from dataclasses import dataclass

from bnn_hls.backends.rtl.tiles import counter_bits, render_tile
from bnn_hls.hw.estimates import Memory, fabric, on_block_primitive
from bnn_hls.hw.rtl_structure import DP16KD_ADDRESS_BITS as ADDRESS_BITS
from bnn_hls.hw.rtl_structure import dp16kd_column_blocks, dp16kd_column_fits, dp16kd_config
from bnn_hls.hw.technology import Technology

INIT_WIDTH = 18
INIT_ROWS = 64  # INITVAL_00 .. INITVAL_3F
INIT_WORDS_PER_ROW = 16
INIT_WORD_STRIDE = 20


@dataclass(frozen=True)
class Ecp5BlockRam:
    """``depth`` words of ``width`` bits on DP16KD blocks; ``init``: a ROM's words (then no
    write port)."""

    width: int
    depth: int
    init: tuple[int, ...] = ()

    def __post_init__(self):
        if not dp16kd_column_fits(self.width, self.depth, bool(self.init)):
            raise ValueError(f"a {self.depth} x {self.width} memory is not one DP16KD column")

    @property
    def data_width(self) -> int:
        """Bits per block: the widest configuration holding the depth."""
        return self.config[0]

    @property
    def config(self) -> tuple[int, int]:
        return dp16kd_config(self.depth)

    @property
    def low_address_bits(self) -> int:
        return self.config[1]

    @property
    def addr_w(self) -> int:
        return counter_bits(self.depth)

    @property
    def blocks(self) -> int:
        return dp16kd_column_blocks(self.width, self.depth)

    def block_width(self, block: int) -> int:
        return min(self.data_width, self.width - block * self.data_width)

    def initvals(self, block: int) -> list[str]:
        """The block's INITVAL_00..3F as 320-bit hex literals (its slice of every word)."""
        lsb, mask = block * self.data_width, (1 << self.block_width(block)) - 1
        rows = []
        for row in range(INIT_ROWS):
            value = 0
            for i in range(INIT_WORDS_PER_ROW):
                address = row * INIT_WORDS_PER_ROW + i
                if address < len(self.init):
                    value |= ((self.init[address] >> lsb) & mask) << (i * INIT_WORD_STRIDE)
            rows.append(f"320'h{value:080x}")
        return rows

    def render(self, module: str) -> str:
        return render_tile("ecp5_block_ram.sv.j2", module=module, ram=self,
                           rows=INIT_ROWS, address_bits=ADDRESS_BITS)


def block_ram(technology: Technology, width: int, depth: int,
              init: tuple[int, ...] = ()) -> Ecp5BlockRam | None:
    """The DP16KD memory an ECP5 build puts where Yosys would map block RAM (the estimates'
    placement rule, hw.estimates.on_block_primitive), else None: the tile infers its memory."""
    memory = Memory(depth, width, writable=not init, primitive=True)
    if not on_block_primitive(memory, fabric(technology)):
        return None
    return Ecp5BlockRam(width, depth, init)
