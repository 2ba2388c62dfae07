"""Checks shared by the tile test files: one Verilator harness run per tile family, and the
lint and Yosys read-back of every rendered parameterisation."""

from __future__ import annotations

from pathlib import Path

from bnn_hls.backends.rtl.axis_sim import (
    HARNESS_TOP,
    VECTORS_ENV,
    Placed,
    stream_vectors,
    write_harness,
    write_vectors,
)
from bnn_hls.tools.cocotb_run import run_cocotb
from bnn_hls.tools.verilator import lint
from bnn_hls.tools.yosys import run_yosys

HW_TESTS = Path(__file__).resolve().parent.parent / "hw_tests"


def run_harness(tmp_path: Path, test_module: str, cases: list[tuple[Placed, dict]],
                max_cycles: dict[str, dict[str, int]] | None = None,
                extra_env: dict[str, str] | None = None) -> None:
    """Build one harness of all placed tiles and run ``test_module`` on their vectors.

    ``cases`` pairs each placed tile with {port name: beats} for all of its ports;
    ``max_cycles`` optionally bounds, per instance and output port, when its last beat may
    arrive at full rate; ``extra_env`` passes more settings to the testbench."""
    sources = write_harness([item for item, _ in cases], tmp_path / "src")
    streams = []
    for item, beats_by_port in cases:
        for outer, port in item.ports():
            stream = stream_vectors(outer, port, beats_by_port[port.name])
            bound = (max_cycles or {}).get(item.instance, {}).get(port.name)
            if bound is not None:
                stream["max_cycles"] = bound
            streams.append(stream)
    vectors = write_vectors(tmp_path / "vectors.json", streams)
    result = run_cocotb(sources, HARNESS_TOP, test_module, HW_TESTS, tmp_path / "build",
                        extra_env={VECTORS_ENV: str(vectors), **(extra_env or {})})
    assert result.ok, (f"{result.failed} failed, {result.skipped} skipped, {result.passed} "
                       f"passed; see {result.results_xml}")


def assert_lint_clean(placed: list[Placed], tmp_path: Path) -> None:
    for item in placed:
        source = tmp_path / f"{item.module}.v"
        source.write_text(item.tile.render(item.instance))
        assert lint([source], item.module) == "", item.module


def assert_read_by_yosys(placed: list[Placed], tmp_path: Path) -> None:
    sources = write_harness(placed, tmp_path)
    run_yosys(f"read_verilog -sv {' '.join(s.name for s in sources)}; "
              f"hierarchy -check -top {HARNESS_TOP}; proc", tmp_path)
