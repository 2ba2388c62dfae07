"""The Xilinx path, as far as it can be checked without Vivado or a board: every generated
Vivado script runs in plain tclsh with Vivado's commands recorded (Tcl syntax, the order of
the flow, every file it names exists); the aresetn wrapper lints; the board shells load."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from bnn_hls.boards import known_boards, load_board
from bnn_hls.boards.vivado import MAIN_SCRIPT, WRAPPER, write_vivado_project
from bnn_hls.boards.xilinx_shell import ProcessingSystem, VivadoShell
from bnn_hls.errors import BnnHlsError
from bnn_hls.tools.csim import generate_hls
from bnn_hls.tools.simulate import generate_rtl
from bnn_hls.tools.slang import slang_errors
from bnn_hls.tools.verilator import lint

DRY_RUN = Path(__file__).resolve().parent / "vivado_dry_run.tcl"
XILINX_BOARDS = ["kv260", "pynq-z2", "ultra96", "zcu104"]
# The flow every main script must walk through, in this order.
FLOW = ["create_project", "create_bd_design", "validate_bd_design", "make_wrapper",
        "launch_runs", "wait_on_run", "report_utilization", "report_timing_summary",
        "file copy", "file copy"]


@pytest.fixture(scope="module")
def tiny_out(tiny_compiled, tmp_path_factory):
    """The tiny network's RTL, and in hls_<board>/ its HLS project for each board's part."""
    out = tmp_path_factory.mktemp("tiny_xilinx")
    generate_rtl(tiny_compiled.graph, out, target_cycles=256)
    for name in XILINX_BOARDS:
        generate_hls(tiny_compiled.graph, out / f"hls_{name}", target_cycles=256,
                     part=load_board(name).part)
    return out


def dry_run(script: Path) -> list[str]:
    tclsh = shutil.which("tclsh")
    assert tclsh, "tclsh is needed to check the generated Vivado scripts"
    result = subprocess.run([tclsh, str(DRY_RUN), str(script)], capture_output=True,
                            text=True, cwd=script.parent)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def assert_runs_the_flow(lines: list[str]) -> list[str]:
    assert [line for line in lines if line.startswith("MISSING")] == []
    calls = [line.removeprefix("CALL ") for line in lines if line.startswith("CALL ")]
    remaining = iter(calls)
    assert all(step in remaining for step in FLOW), calls  # FLOW is a subsequence
    assert calls.count("file copy") == 2  # the bitstream and the .hwh
    return calls


@pytest.mark.parametrize("name", XILINX_BOARDS)
def test_rtl_project_scripts_run_in_tclsh_and_name_only_existing_files(tiny_out, name,
                                                                         tmp_path):
    board = load_board(name)
    main = write_vivado_project(tiny_out / "rtl", board, tmp_path / "vivado", 125.0, None)
    assert main == tmp_path / "vivado" / MAIN_SCRIPT
    calls = assert_runs_the_flow(dry_run(main))
    assert "ipx::package_project" in calls and "exec" not in calls
    design = (main.parent / "block_design.tcl").read_text()
    assert f"xilinx.com:ip:{board.vivado.processing_system.value}:*" in design
    clock = ("PCW_FPGA0_PERIPHERAL_FREQMHZ" if board.vivado.processing_system
             is ProcessingSystem.ZYNQ_7000 else "PSU__CRL_APB__PL0_REF_CTRL__FREQMHZ")
    assert f"CONFIG.{clock} {{125}}" in design
    assert f"set board_part {{{board.vivado.board_part}}}" in main.read_text()
    # The DMA's stream widths are the wrapper's padded ones, from the stream description.
    formats = json.loads((main.parent / "bnn_hls.json").read_text())
    for side, key in (("input", "mm2s"), ("output", "s2mm")):
        width = formats[side]["beat_bytes"] * 8
        assert f"CONFIG.c_{'m_axis_mm2s' if key == 'mm2s' else 's_axis_s2mm'}_tdata_width " \
               f"{{{width}}}" in design
    for driver_file in ("pynq_driver.py", "pynq_stream.py", "bnn_accel.v", "bnn_hls.xdc"):
        assert (main.parent / driver_file).is_file()


def test_a_weight_port_gets_its_own_dma_and_the_driver_its_weights(tiny_compiled, tmp_path):
    generate_rtl(tiny_compiled.graph, tmp_path, target_cycles=256, load_weights=True)
    load = json.loads((tmp_path / "rtl" / "manifest.json").read_text())["weight_load"]
    main = write_vivado_project(tmp_path / "rtl", load_board("zcu104"), tmp_path / "vivado",
                                150.0, None)
    assert_runs_the_flow(dry_run(main))
    design = (main.parent / "block_design.tcl").read_text()
    assert "create_bd_cell -type ip -vlnv xilinx.com:ip:axi_dma:* weight_dma" in design
    assert ("connect_bd_intf_net [get_bd_intf_pins weight_dma/M_AXIS_MM2S] "
            "[get_bd_intf_pins accel/s_axis_weights]") in design
    assert "[get_bd_intf_pins weight_dma/M_AXI_MM2S] [get_bd_intf_pins mem_interconnect/S02_AXI]" \
        in design
    formats = json.loads((main.parent / "bnn_hls.json").read_text())
    assert formats["weights"] == {"file": "weights.bin", "beats": load["beats"]}
    assert (main.parent / "weights.bin").stat().st_size == 8 * load["beats"]
    wrapper = (main.parent / f"{WRAPPER}.v").read_text()
    assert "ASSOCIATED_BUSIF s_axis:m_axis:s_axis_weights" in wrapper
    manifest = json.loads((tmp_path / "rtl" / "manifest.json").read_text())
    sources = [tmp_path / "rtl" / name for name in manifest["sources"]] + [
        main.parent / f"{WRAPPER}.v"]
    assert lint(sources, WRAPPER) == "" and slang_errors(sources, WRAPPER) == []


def test_the_dry_run_reports_a_missing_source(tiny_out, tmp_path):
    rtl = tmp_path / "rtl"
    shutil.copytree(tiny_out / "rtl", rtl)
    main = write_vivado_project(rtl, load_board("pynq-z2"), tmp_path / "vivado", 100.0, None)
    first = json.loads((rtl / "manifest.json").read_text())["sources"][0]
    (rtl / first).unlink()
    assert f"MISSING ../rtl/{first} (add_files)" in dry_run(main)


@pytest.mark.parametrize("name", XILINX_BOARDS)
def test_hls_project_runs_the_hls_export_and_pads_to_dma_widths(tiny_out, name, tmp_path):
    hls_dir = tiny_out / f"hls_{name}" / "hls"
    main = write_vivado_project(tiny_out / "rtl", load_board(name), tmp_path / "vivado",
                                200.0, hls_dir)
    calls = assert_runs_the_flow(dry_run(main))
    assert "exec" in calls and "ipx::package_project" not in calls
    assert not (main.parent / f"{WRAPPER}.v").exists()
    hls = json.loads((hls_dir / "manifest.json").read_text())
    formats = json.loads((main.parent / "bnn_hls.json").read_text())
    assert formats["accelerator"] == "hls"
    assert formats["output"]["lanes"] == hls["output"]["lanes"]
    design = (main.parent / "block_design.tcl").read_text()
    out_bits = hls["output"]["lanes"] * hls["output"]["width"]
    hls_bytes, dma_bytes = -(-out_bits // 8), formats["output"]["beat_bytes"]
    assert hls_bytes != dma_bytes  # 5 logits: Vitis HLS rounds to bytes, the DMA to 2^n
    assert f"CONFIG.S_TDATA_NUM_BYTES {{{hls_bytes}}}" in design
    assert f"CONFIG.M_TDATA_NUM_BYTES {{{dma_bytes}}}" in design


def test_hls_project_for_another_part_is_one_line(tiny_out, tmp_path):
    with pytest.raises(BnnHlsError) as error:
        write_vivado_project(tiny_out / "rtl", load_board("pynq-z2"), tmp_path, 100.0,
                             tiny_out / "hls_zcu104" / "hls")
    message = str(error.value)
    assert "\n" not in message and "xczu7ev-ffvc1156-2-e" in message
    assert "--part xc7z020clg400-1" in message


def test_a_board_without_vivado_shell_is_one_line(tiny_out, tmp_path):
    with pytest.raises(BnnHlsError, match="ulx3s.*no Vivado shell"):
        write_vivado_project(tiny_out / "rtl", load_board("ulx3s"), tmp_path, 100.0, None)


def test_a_directory_without_manifest_is_one_line(tmp_path):
    with pytest.raises(BnnHlsError, match="manifest.json: cannot read"):
        write_vivado_project(tmp_path / "rtl", load_board("pynq-z2"), tmp_path, 100.0, None)
    (tmp_path / "rtl").mkdir()
    (tmp_path / "rtl" / "manifest.json").write_text(json.dumps({"top": "bnn_top"}))
    with pytest.raises(BnnHlsError, match="manifest.json: no 'in_channels'"):
        write_vivado_project(tmp_path / "rtl", load_board("pynq-z2"), tmp_path, 100.0, None)


def test_wrapper_is_lint_clean(tiny_out, tmp_path):
    write_vivado_project(tiny_out / "rtl", load_board("kv260"), tmp_path, 100.0, None)
    manifest = json.loads((tiny_out / "rtl" / "manifest.json").read_text())
    sources = [tiny_out / "rtl" / name for name in manifest["sources"]]
    sources.append(tmp_path / f"{WRAPPER}.v")
    assert lint(sources, WRAPPER) == ""
    assert slang_errors(sources, WRAPPER) == []


def test_xilinx_boards_have_a_vivado_shell_and_the_others_none():
    for name in known_boards():
        board = load_board(name)
        assert (board.vivado is not None) == (name in XILINX_BOARDS), name
    assert load_board("pynq-z2").vivado.processing_system is ProcessingSystem.ZYNQ_7000
    assert load_board("pynq-z2").vivado.hp_port_bits == 64
    assert load_board("kv260").vivado.board_part == "xilinx.com:kv260_som:part0:1.3"
    assert load_board("zcu104").vivado.processing_system \
        is ProcessingSystem.ZYNQ_ULTRASCALE_PLUS


def test_a_bad_vivado_section_names_the_key():
    good = {"board_part": "tul.com.tw:pynq-z2:part0:1.0", "processing_system":
            "processing_system7", "hp_port_bits": 64, "pl_clock_mhz": 100}
    assert VivadoShell.from_yaml(good).pl_clock_mhz == 100.0
    with pytest.raises(ValueError, match="microblaze"):
        VivadoShell.from_yaml({**good, "processing_system": "microblaze"})
    with pytest.raises(ValueError, match="hp_port_bits 48"):
        VivadoShell.from_yaml({**good, "hp_port_bits": 48})
    with pytest.raises(KeyError, match="board_parts"):
        VivadoShell.from_yaml({**good, "board_parts": "x"})
