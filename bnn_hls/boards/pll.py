"""The ECP5 PLL (EHXPLLL) for a wanted clock: ``yowasp-ecppll`` finds the dividers, this module
reads them from its output and renders the project's own PLL module (templates/boards)."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from bnn_hls.backends.render import render
from bnn_hls.errors import BnnHlsError
from bnn_hls.tools.yosys import find_yowasp

ECPPLL_VERILOG = "ecppll.v"  # ecppll's own module, kept in the build directory as a record
ECPPLL_LOG = "ecppll.log"
DIVIDERS = ("CLKI_DIV", "CLKFB_DIV", "CLKOP_DIV", "CLKOP_CPHASE", "CLKOP_FPHASE")
ANALOG = ("ICP_CURRENT", "LPF_RESISTOR", "MFG_ENABLE_FILTEROPAMP", "MFG_GMCREF_SEL")


@dataclass(frozen=True)
class PllConfig:
    input_mhz: float
    output_mhz: float  # what the dividers achieve, which may differ from what was asked
    vco_mhz: float
    dividers: dict[str, int]  # EHXPLLL parameters, by name
    analog: dict[str, int]  # loop filter attributes, by name

    @classmethod
    def parse(cls, verilog: str, log: str, input_mhz: float) -> PllConfig:
        dividers = {name: int(value) for name, value in
                    re.findall(r"\.(\w+)\((\d+)\)", verilog) if name in DIVIDERS}
        analog = {name: int(value) for name, value in
                  re.findall(r'(\w+)="(\d+)"', verilog) if name in ANALOG}
        output = re.search(r"clkout0 frequency: ([\d.]+) MHz", log)
        vco = re.search(r"VCO frequency: ([\d.]+)", log)
        if set(dividers) != set(DIVIDERS) or set(analog) != set(ANALOG) or not output or not vco:
            raise BnnHlsError(f"could not read the PLL settings from {ECPPLL_VERILOG} and "
                              f"{ECPPLL_LOG} (yowasp-ecppll changed its output?)")
        return cls(input_mhz, float(output.group(1)), float(vco.group(1)), dividers, analog)

    def render(self, module: str) -> str:
        return render("boards/ecp5_pll.sv.j2", module=module, pll=self)


def configure_pll(input_mhz: float, output_mhz: float, build_dir: Path) -> PllConfig:
    """Run ``yowasp-ecppll`` in ``build_dir`` for ``output_mhz`` from ``input_mhz``."""
    argv = [str(find_yowasp("yowasp-ecppll")), "-i", f"{input_mhz:g}", "-o", f"{output_mhz:g}",
            "-f", ECPPLL_VERILOG]
    out = subprocess.run(argv, cwd=build_dir, capture_output=True, text=True)
    log = out.stdout + out.stderr
    (build_dir / ECPPLL_LOG).write_text(log)
    if out.returncode:
        raise BnnHlsError(f"yowasp-ecppll found no PLL setting for {output_mhz:g} MHz from "
                          f"{input_mhz:g} MHz; see {build_dir / ECPPLL_LOG}")
    return PllConfig.parse((build_dir / ECPPLL_VERILOG).read_text(), log, input_mhz)
