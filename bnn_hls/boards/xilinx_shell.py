"""The Vivado shell of a Zynq board: what a block design around the accelerator needs to know
about the board (its board-part VLNV, which processing system it has, the width of the PS
port the DMA writes memory through, the PL clock it runs at by default)."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class ProcessingSystem(enum.Enum):
    """The Zynq family's processing-system IP, by its Vivado IP name."""

    ZYNQ_7000 = "processing_system7"
    ZYNQ_ULTRASCALE_PLUS = "zynq_ultra_ps_e"


@dataclass(frozen=True)
class VivadoShell:
    board_part: str  # VLNV of the Vivado board file, e.g. tul.com.tw:pynq-z2:part0:1.0
    processing_system: ProcessingSystem
    hp_port_bits: int  # data width of the PS high-performance slave port
    pl_clock_mhz: float  # the PL clock when no other is asked for

    @classmethod
    def from_yaml(cls, data: dict) -> VivadoShell:
        """The board file's ``vivado:`` section; KeyError/ValueError/TypeError on bad input."""
        unknown = set(data) - {"board_part", "processing_system", "hp_port_bits",
                               "pl_clock_mhz"}
        if unknown:
            raise KeyError(f"unknown vivado key(s) {', '.join(sorted(unknown))}")
        shell = cls(board_part=str(data["board_part"]),
                    processing_system=ProcessingSystem(data["processing_system"]),
                    hp_port_bits=int(data["hp_port_bits"]),
                    pl_clock_mhz=float(data["pl_clock_mhz"]))
        if shell.hp_port_bits not in (32, 64, 128):
            raise ValueError(f"hp_port_bits {shell.hp_port_bits} is not 32, 64 or 128")
        return shell
