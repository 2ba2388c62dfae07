"""Checks shared by the tile test files: one Verilator harness run per tile family with each
tile's full-rate cycle window from the RTL cycle model, and the lint, Yosys and pyslang
read-back of every rendered parameterisation."""

from __future__ import annotations

import sys
from pathlib import Path

from bnn_hls.backends.rtl.axis_sim import (
    HARNESS_TOP,
    VECTORS_ENV,
    Placed,
    stream_vectors,
    write_harness,
    write_vectors,
)
from bnn_hls.backends.rtl.cycles import RTL_CYCLES
from bnn_hls.hw.layout import StreamLayout
from bnn_hls.hw.stages import PoolStage, Stage, WindowStage
from bnn_hls.tools.cocotb_run import run_cocotb
from bnn_hls.tools.slang import slang_errors
from bnn_hls.tools.vendor_models import SimModels
from bnn_hls.tools.verilator import lint
from bnn_hls.tools.yosys import run_yosys

HW_TESTS = Path(__file__).resolve().parent.parent / "hw_tests"
# The testbench modules are imported inside the simulator, which runs beside the tile sources
# and their ROM files; cocotb passes this process's sys.path on to it.
if str(HW_TESTS) not in sys.path:
    sys.path.insert(0, str(HW_TESTS))
SLACK = 8  # cycles of reset release and output handshake beyond the model's fill and drain


def tensor_beats(x, lanes: int, width: int) -> list[tuple[int, bool]]:
    """[N, C, ...] integers as (tdata, tlast) beats of ``lanes`` ``width``-bit lanes."""
    return StreamLayout(x.shape[1], lanes, width, signed=True).pack(x)


def cycle_window(stage: Stage, pixels: int, images: int) -> dict[str, int]:
    """When the last output beat of ``images`` back-to-back images of ``pixels`` input pixels
    may come at full rate, by the RTL cycle model: not before the images' work is done, not
    after it plus filling the first output's inputs, the latency and, for a window, emitting
    the last output row (its windows wait for the last input row)."""
    per_image = RTL_CYCLES.cycles_per_image(stage, pixels)
    fill, drain = stage.inputs[0].layout.beats_per_pixel, 0
    if isinstance(stage, WindowStage | PoolStage):
        fill *= stage.shape.last_needed_pixel(0, 0) + 1
        per_window = RTL_CYCLES.cycles_per_image(stage, 0) // stage.shape.out_pixels
        drain = stage.shape.out_width * per_window
    return {"min_cycles": (images - 1) * per_image,
            "max_cycles": (images * per_image + fill + drain + RTL_CYCLES.latency(stage)
                           + SLACK)}


def run_harness(tmp_path: Path, test_module: str, cases: list[tuple[Placed, dict]],
                timing: dict[str, dict[str, dict[str, int]]] | None = None,
                extra_env: dict[str, str] | None = None,
                models: SimModels | None = None) -> None:
    """Build one harness of all placed tiles and run ``test_module`` on their vectors.

    ``cases`` pairs each placed tile with {port name: beats} for all of its ports;
    ``timing`` gives, per instance and output port, the cycle window of its last beat at full
    rate (see :func:`cycle_window`); ``extra_env`` passes more settings to the testbench;
    ``models``: the vendor primitives technology-mapped tiles instantiate."""
    sources = write_harness([item for item, _ in cases], tmp_path / "src")
    streams = []
    for item, beats_by_port in cases:
        for outer, port in item.ports():
            stream = stream_vectors(outer, port, beats_by_port[port.name])
            stream.update((timing or {}).get(item.instance, {}).get(port.name, {}))
            streams.append(stream)
    vectors = write_vectors(tmp_path / "vectors.json", streams)
    result = run_cocotb([*sources, *(models.sources if models else ())], HARNESS_TOP,
                        test_module, tmp_path / "src", tmp_path / "build",
                        extra_env={VECTORS_ENV: str(vectors), **(extra_env or {})},
                        build_args=list(models.args) if models else None)
    assert result.ok, (f"{result.failed} failed, {result.skipped} skipped, {result.passed} "
                       f"passed; see {result.results_xml}")


def timing_of(placed: list[tuple[Placed, int, int]]) -> dict[str, dict[str, dict[str, int]]]:
    """{instance: {output port: cycle window}} for (tile, input pixels, images) triples."""
    return {item.instance: {port.name: cycle_window(item.tile.stage, pixels, images)
                            for port in item.tile.ports() if not port.is_input}
            for item, pixels, images in placed}


def assert_lint_clean(placed: list[Placed], tmp_path: Path) -> None:
    """Verilator -Wall clean, and no error from the strict pyslang front end."""
    for item in placed:
        source = write_harness([item], tmp_path)[0]
        assert lint([source], item.module) == "", item.module
        assert slang_errors([source], item.module) == [], item.module


def assert_read_by_yosys(placed: list[Placed], tmp_path: Path) -> None:
    sources = write_harness(placed, tmp_path)
    run_yosys(f"read_verilog -sv {' '.join(s.name for s in sources)}; "
              f"hierarchy -check -top {HARNESS_TOP}; proc", tmp_path)
