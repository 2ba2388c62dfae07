"""FPGA boards the tool builds for: one YAML file per board in this package, read into a
:class:`Board` (part, technology family, clock, resources). An unknown name is one line
listing the known ones."""

from __future__ import annotations

from dataclasses import dataclass, fields
from importlib import resources as package_files

from bnn_hls.boards.ecp5_board import Ecp5Board
from bnn_hls.boards.xilinx_shell import VivadoShell
from bnn_hls.errors import BnnHlsError
from bnn_hls.hw.technology import Resources, Technology
from bnn_hls.yaml_file import load_yaml


@dataclass(frozen=True)
class Board:
    name: str
    title: str
    technology: Technology
    part: str
    clock_mhz: float
    """The board's reference oscillator, in MHz."""
    resources: Resources
    vivado: VivadoShell | None = None
    """How a Vivado block design sits on the board (Zynq boards only)."""
    ecp5: Ecp5Board | None = None
    """Pins and nextpnr device of a board the open ECP5 flow builds for."""


def known_boards() -> list[str]:
    return sorted(
        entry.name.removesuffix(".yaml")
        for entry in package_files.files(__package__).iterdir()
        if entry.name.endswith(".yaml")
    )


def load_board(name: str) -> Board:
    known = known_boards()
    if name not in known:
        raise BnnHlsError(f"unknown board '{name}'; known boards: {', '.join(known)}")
    path = package_files.files(__package__) / f"{name}.yaml"
    with package_files.as_file(path) as file:
        data = load_yaml(file, "board file")
    try:
        return Board(
            name=name,
            title=data["title"],
            technology=Technology(data["technology"]),
            part=data["part"],
            clock_mhz=float(data["clock_mhz"]),
            resources=Resources(**data["resources"]),
            vivado=VivadoShell.from_yaml(data["vivado"]) if "vivado" in data else None,
            ecp5=Ecp5Board.parse(data["ecp5"], data["part"]) if "ecp5" in data else None,
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        allowed = ", ".join(f.name for f in fields(Resources))
        raise BnnHlsError(
            f"{path}: bad board description ({exc}); resources may name {allowed}"
        ) from None
