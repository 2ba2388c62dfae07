"""`bnn-hls build` for ECP5 boards: the PLL from yowasp-ecppll, the wrapper and LPF, and (slow)
the whole open flow to a bitstream with nextpnr's figures."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
from conftest import WORST_CASE

from bnn_hls.backends.golden.vectors import write_vectors
from bnn_hls.boards import load_board
from bnn_hls.boards.ecp5 import write_board_rtl
from bnn_hls.boards.pll import configure_pll
from bnn_hls.cli import main
from bnn_hls.compiler.pipeline import compile_model
from bnn_hls.compiler.serialize import save_graph
from bnn_hls.model import birealnet, randomise_birealnet
from bnn_hls.model.config import ArchConfig, InputNorm, StageConfig, StemConfig
from bnn_hls.tools.simulate import generate_rtl


def test_ecppll_dividers_make_the_clock_they_claim(tmp_path):
    pll = configure_pll(25, 50, tmp_path)
    d = pll.dividers
    # CLKOP feedback: f_out = f_in / CLKI_DIV * CLKFB_DIV, f_vco = f_out * CLKOP_DIV
    assert pll.output_mhz == pytest.approx(25 / d["CLKI_DIV"] * d["CLKFB_DIV"])
    assert pll.vco_mhz == pytest.approx(pll.output_mhz * d["CLKOP_DIV"])
    text = pll.render("board_pll")
    assert "EHXPLLL" in text and f".CLKOP_DIV({d['CLKOP_DIV']})" in text


@pytest.fixture
def compiled_out(tiny_compiled, tmp_path):
    graph = tiny_compiled.graph
    write_vectors(graph, np.zeros((2, *graph.tensors[graph.input].shape), np.uint8), tmp_path)
    save_graph(graph, tmp_path)
    generate_rtl(graph, tmp_path)
    return tmp_path


def test_wrapper_and_lpf_place_every_port_on_the_board_pins(compiled_out):
    board = load_board("ulx3s")
    sources, clock_mhz, lpf = write_board_rtl(compiled_out, board, 40, 115200)
    assert clock_mhz == pytest.approx(40, rel=0.01)
    text = lpf.read_text()
    for port, site in (("clk_in", "G2"), ("uart_tx", "L4"), ("uart_rx", "M1"),
                       ("reset_button", "R1"), ("led[0]", "B2"), ("led[1]", "C2")):
        assert f'LOCATE COMP "{port}" SITE "{site}";' in text
    assert 'FREQUENCY PORT "clk_in" 25 MHZ;' in text
    assert sources[-1].name == "board_top.sv" and all(s.is_file() for s in sources)
    link = json.loads((lpf.parent / "link.json").read_text())
    assert link["baud"] == 115200 and link["clock_mhz"] == clock_mhz


def test_build_without_rtl_or_for_an_unknown_board_is_one_line(tmp_path, capsys):
    assert main(["build", str(tmp_path), "--board", "ulx3s"]) == 1
    assert main(["build", str(tmp_path), "--board", "de10-nano"]) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 2 and "compile with --rtl" in lines[0] and "de10-nano" in lines[1]


def test_a_design_with_a_weight_port_is_refused_by_the_uart_wrapper(tiny_compiled, tmp_path,
                                                                    capsys):
    generate_rtl(tiny_compiled.graph, tmp_path, target_cycles=256, load_weights=True)
    assert main(["build", str(tmp_path), "--board", "ulx3s"]) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "s_axis_weights" in lines[0] and "manifest.json" in lines[0]


ONE_BLOCK_ARCH = ArchConfig(  # the smallest Bi-Real net: stem and one binary block
    name="one_block", in_channels=1, input_size=6, num_classes=3,
    stem=StemConfig(channels=8, kernel=3, stride=1, maxpool=None),
    stages=(StageConfig(channels=8, blocks=1, stride=1),),
    input_norm=InputNorm(scale=1 / 255, mean=(0.5,), std=(0.25,), pixel_bits=8),
)


@pytest.mark.slow  # synth_ecp5 + nextpnr of ~4.5 k LUT4: minutes on 2 shared cores
def test_one_block_network_builds_a_ulx3s_bitstream(tmp_path, capsys):
    net = randomise_birealnet(birealnet(ONE_BLOCK_ARCH), seed=7)
    graph = compile_model(copy.deepcopy(net), WORST_CASE).graph
    write_vectors(graph, np.zeros((1, *graph.tensors[graph.input].shape), np.uint8), tmp_path)
    save_graph(graph, tmp_path)
    generate_rtl(graph, tmp_path)
    assert main(["build", str(tmp_path), "--board", "ulx3s", "--clock-mhz", "25"]) == 0
    printed = capsys.readouterr().out
    build = tmp_path / "board-ulx3s"
    report = json.loads((build / "report.json").read_text())
    comb = report["utilization"]["TRELLIS_COMB"]
    assert 0 < comb["used"] < comb["available"] == 83640
    assert report["utilization"]["EHXPLLL"]["used"] == 1
    (clock, fmax), = ((c, f) for c, f in report["fmax"].items() if "clk" in c)
    assert fmax["achieved"] >= fmax["constraint"] == pytest.approx(25, rel=0.01)
    assert f"{fmax['achieved']:.1f} MHz" in printed and "place-and-route" in printed
    assert (build / "board_top.bit").stat().st_size > 100_000


def test_run_without_a_board_is_one_line_naming_the_port(compiled_out, capsys):
    assert main(["run", str(compiled_out), "--port", "/dev/ttyUSB0"]) == 1  # no build yet
    write_board_rtl(compiled_out, load_board("ulx3s"), 25, 115200)
    assert main(["run", str(compiled_out), "--port", "/dev/no-such-port", "-n", "1"]) == 1
    first, second = capsys.readouterr().err.strip().splitlines()
    assert "bnn-hls build" in first and "/dev/no-such-port" in second


def test_build_for_a_zynq_board_writes_the_vivado_project(compiled_out, capsys):
    assert main(["build", str(compiled_out), "--board", "pynq-z2"]) == 0
    printed = capsys.readouterr().out
    script = compiled_out / "board-pynq-z2" / "bnn_hls.tcl"
    assert script.is_file() and "xc7z020clg400-1" in script.read_text()
    assert "not run: no Vivado here" in printed and "vivado -mode batch" in printed
    assert main(["build", str(compiled_out), "--board", "kv260", "--hls"]) == 1
    assert main(["build", str(compiled_out), "--board", "ulx3s", "--hls"]) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 2 and "compile with --hls --part xck26" in lines[0]
    assert "needs a Vivado (Zynq) board" in lines[1]
