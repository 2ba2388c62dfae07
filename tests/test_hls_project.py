"""`bnn-hls compile --hls` and `bnn-hls csim`: the Vitis HLS project files, the C++ testbench
over the test vectors (built and run here with g++ on the C-sim headers), and the command's
agreement report and one-line errors."""

import subprocess
from pathlib import Path

import pytest

from bnn_hls.cli import main
from bnn_hls.tools.gxx import STANDARD, WARNINGS, ap_types_dir, compiler

# One xdist worker runs the whole module: its build, in a module fixture's directory, once.
pytestmark = pytest.mark.xdist_group("hls_project")

SHIPPED = Path(__file__).resolve().parent.parent / "examples" / "digits" / "birealnet_digits.pt"


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    out = tmp_path_factory.mktemp("hls_project") / "out"
    assert main(["compile", str(SHIPPED), "-o", str(out), "--hls", "--vectors", "5",
                 "--part", "xcku5p-ffvb676-2-e", "--clock-ns", "4"]) == 0
    return out


def test_project_files_name_part_clock_top_and_sources(compiled):
    hls = compiled / "hls"
    config = (hls / "hls_config.cfg").read_text()
    for line in ("part=xcku5p-ffvb676-2-e", "clock=4ns", "syn.top=bnn_top",
                 "syn.file=bnn_top.cpp", "tb.file=bnn_top_tb.cpp"):
        assert line in config.splitlines()
    tcl = (hls / "run_hls.tcl").read_text()
    for command in ("set_top bnn_top", "set_part {xcku5p-ffvb676-2-e}",
                    "create_clock -period 4 -name default", "csim_design", "csynth_design",
                    "cosim_design", "export_design -format ip_catalog"):
        assert command in tcl
    assert len((compiled / "vectors" / "hls_input_beats.txt").read_text().split()) == 5 * 64


def test_testbench_passes_on_the_vectors_and_fails_on_a_wrong_one(compiled, tmp_path):
    hls = compiled / "hls"
    binary = tmp_path / "tb"
    subprocess.run([compiler(), STANDARD, "-O1", *WARNINGS, f"-I{hls / 'csim'}", f"-I{hls}",
                    "-isystem", str(ap_types_dir()), str(hls / "bnn_top.cpp"),
                    str(hls / "bnn_top_tb.cpp"), "-o", str(binary)], check=True)
    result = subprocess.run([str(binary)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "5 images, 0 output beats differ from the golden model" in result.stdout
    expected = compiled / "vectors" / "hls_output_beats.txt"
    original = expected.read_text()
    first, rest = original.split("\n", 1)
    expected.write_text(f"{int(first, 16) ^ 1:x}\n{rest}")
    try:
        result = subprocess.run([str(binary)], capture_output=True, text=True)
    finally:
        expected.write_text(original)
    assert result.returncode == 1 and "1 output beats differ" in result.stdout


def test_csim_command_reports_agreement(compiled, capsys):
    assert main(["csim", str(compiled), "-n", "12"]) == 0
    out = capsys.readouterr().out
    assert "12/12 images bit-exact with the golden model" in out
    assert "peak" in out and "depth" in out


def test_csim_without_hls_is_one_line(tmp_path, capsys):
    assert main(["csim", str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"bnn-hls: error: {tmp_path}: no hls/; compile with --hls first"]
