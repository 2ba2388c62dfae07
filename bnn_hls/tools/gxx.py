"""g++ for C-simulation: the Xilinx ap_types headers (from ``$XILINX_HLS/include`` or the
PyPI hls4ml wheel, found without importing it) and a shared-library build of a design.

The open-source ap_private.h declares ``clearUnusedBits() volatile``: every ap_int
constructor and operator then stores and reloads its value through memory, most of the
C-sim time (3-4x on the digits model). The build puts a copy of that one header, with the
qualifier dropped, ahead of the vendor folder: the same code and the same arithmetic, the
value just stays in a register. Nothing in the project or its C-sim uses a volatile ap_int.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import uuid
from pathlib import Path

from bnn_hls.errors import BnnHlsError

STANDARD = "-std=c++14"
# The project's own code is warning-free; vendor headers come in with -isystem, and
# `#pragma HLS` is for Vitis only. ap_private.h's constructors leave VAL unset before an
# assignment, which g++ 12 flags inside our code once inlined: those two are vendor noise.
WARNINGS = ("-Wall", "-Wextra", "-Werror", "-Wno-unknown-pragmas", "-Wno-uninitialized",
            "-Wno-maybe-uninitialized")


def ap_types_dir() -> Path:
    """The folder holding ap_int.h: $XILINX_HLS/include when set, else hls4ml's copy."""
    xilinx = os.environ.get("XILINX_HLS")
    if xilinx:
        candidate = Path(xilinx) / "include"
    else:
        spec = importlib.util.find_spec("hls4ml")
        if spec is None or not spec.submodule_search_locations:
            raise BnnHlsError("C-simulation needs the ap_types headers: install hls4ml==1.3.0 "
                              "or set XILINX_HLS")
        candidate = Path(spec.submodule_search_locations[0]) / "templates/vivado/ap_types"
    if not (candidate / "ap_int.h").is_file():
        raise BnnHlsError(f"{candidate}: no ap_int.h")
    return candidate


AP_PRIVATE = Path("etc/ap_private.h")
VOLATILE_CLEAR = "INLINE void clearUnusedBits(void) volatile"
VOLATILE_CLEARS = 2  # the one-word and the multi-word ap_private


def ap_types_include(build_dir: Path) -> list[Path]:
    """The ``-isystem`` folders of ap_types for a build under ``build_dir``: the vendor folder,
    after a non-volatile ``clearUnusedBits`` copy of its ap_private.h where it has the
    open-source one (Vitis's own headers are used as they are)."""
    vendor = ap_types_dir()
    source = (vendor / AP_PRIVATE).read_text() if (vendor / AP_PRIVATE).is_file() else ""
    if source.count(VOLATILE_CLEAR) != VOLATILE_CLEARS:
        return [vendor]
    patched = build_dir / "ap_types"
    (patched / AP_PRIVATE).parent.mkdir(parents=True, exist_ok=True)
    (patched / AP_PRIVATE).write_text(source.replace(VOLATILE_CLEAR,
                                                     VOLATILE_CLEAR.removesuffix(" volatile")))
    return [patched, vendor]


def compiler() -> str:
    found = shutil.which(os.environ.get("CXX", "g++"))
    if found is None:
        raise BnnHlsError("C-simulation needs g++ (or $CXX) on PATH")
    return found


def build_shared_library(sources: list[Path], include_dirs: list[Path], build_dir: Path,
                         defines: dict[str, int] | None = None, optimise: str = "-O3") -> Path:
    """Compile ``sources`` into a new shared library under ``build_dir`` (a fresh file name
    per build, so a process can load a rebuilt design). Own headers come first on the
    include path, so the C-sim stand-ins shadow any vendor header of the same name."""
    build_dir.mkdir(parents=True, exist_ok=True)
    library = build_dir / f"csim_{uuid.uuid4().hex[:8]}.so"
    # -fno-gnu-unique: each library keeps its own C-sim registry (the static locals of inline
    # functions are otherwise shared by every design loaded into the process).
    command = [compiler(), STANDARD, optimise, "-fPIC", "-shared", "-fno-gnu-unique", *WARNINGS,
               *(f"-D{k}={v}" for k, v in (defines or {}).items()),
               *(f"-I{d}" for d in include_dirs),
               *(f"-isystem{d}" for d in ap_types_include(build_dir)),
               *(str(s) for s in sources), "-o", str(library)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode:
        log = build_dir / "gxx.log"
        log.write_text(" ".join(command) + "\n" + result.stderr)
        first = next((line for line in result.stderr.splitlines() if "error" in line),
                     result.stderr.strip()[:200])
        raise BnnHlsError(f"g++ failed ({log}): {first}")
    return library
