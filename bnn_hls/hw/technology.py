"""FPGA technology families: what a resource estimate, a fit check and a technology-mapped
popcount depend on. A board names its family; a design without a board is generic."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Technology(enum.Enum):
    GENERIC = "generic"
    XILINX_7SERIES = "xilinx-7series"
    XILINX_ULTRASCALE_PLUS = "xilinx-ultrascale-plus"
    LATTICE_ECP5 = "lattice-ecp5"

    @property
    def lut_inputs(self) -> int:
        return 4 if self is Technology.LATTICE_ECP5 else 6

    @property
    def carry_positions(self) -> int:
        """Positions per carry-chain primitive: CARRY4, CARRY8, CCU2C (generic: none)."""
        return {Technology.XILINX_7SERIES: 4, Technology.XILINX_ULTRASCALE_PLUS: 8,
                Technology.LATTICE_ECP5: 2}.get(self, 0)

    @property
    def is_xilinx(self) -> bool:
        return self in (Technology.XILINX_7SERIES, Technology.XILINX_ULTRASCALE_PLUS)


@dataclass(frozen=True)
class Resources:
    """Counts of a device's (or a design's) resources. Memory is in bits so that block RAM of
    different families (DP16KD 18 Kbit, RAMB36 36 Kbit, URAM 288 Kbit) compare directly."""

    luts: int = 0
    ffs: int = 0
    bram_bits: int = 0
    uram_bits: int = 0
    lutram_bits: int = 0
    dsps: int = 0

    def __add__(self, other: Resources) -> Resources:
        return Resources(
            luts=self.luts + other.luts,
            ffs=self.ffs + other.ffs,
            bram_bits=self.bram_bits + other.bram_bits,
            uram_bits=self.uram_bits + other.uram_bits,
            lutram_bits=self.lutram_bits + other.lutram_bits,
            dsps=self.dsps + other.dsps,
        )
