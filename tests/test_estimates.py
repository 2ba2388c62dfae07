"""Resource estimates and the fit check: the memory placement rule on known shapes, a tile's
estimate against Yosys, `bnn-hls fit` on the digits network and on Bi-Real-18 (slow), and
its bad-input lines."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from test_cli import assert_one_line_error, run_cli

from bnn_hls.backends.rtl.cycles import RTL_CYCLES
from bnn_hls.backends.rtl.network import tile_for
from bnn_hls.bench_estimates import FLOWS, measure, synthesized
from bnn_hls.compiler.pipeline import compile_model
from bnn_hls.compiler.serialize import save_graph
from bnn_hls.hw.estimates import (
    Memory,
    Placement,
    estimate_stage,
    fabric,
    place_memory,
    stage_memories,
)
from bnn_hls.hw.folding import auto_folding, load_folding, mvu_shapes
from bnn_hls.hw.layout import StreamLayout
from bnn_hls.hw.plan import build_plan
from bnn_hls.hw.plan_estimates import estimate_plan
from bnn_hls.hw.stages import FifoStage, RegisterSliceStage, WindowStage, XnorMvuStage
from bnn_hls.hw.technology import Resources, Technology
from bnn_hls.hw.timing import RtlTiming
from bnn_hls.hw.weight_load import (
    LOADER_INSTANCE,
    LoadedMemory,
    WeightLoad,
    has_weight_memory,
)
from bnn_hls.model import birealnet18
from bnn_hls.tools.yosys import synth

DIGITS_CHECKPOINT = Path(__file__).resolve().parents[1] / "examples/digits/birealnet_digits.pt"
XC7, ECP5, ZUP = (fabric(t) for t in (Technology.XILINX_7SERIES, Technology.LATTICE_ECP5,
                                      Technology.XILINX_ULTRASCALE_PLUS))


@pytest.mark.parametrize("memory, fab, placement", [
    (Memory(144, 32, False), XC7, Placement.LOGIC),  # 4608 bits / 64 per LUT < one RAMB18
    (Memory(144, 32, False), ECP5, Placement.BLOCK),  # / 16 per LUT4 > one DP16KD
    (Memory(576, 64, False), XC7, Placement.BLOCK),
    (Memory(3, 192, True), XC7, Placement.LUTRAM),
    (Memory(2304, 64, False), ZUP, Placement.URAM),  # 8 blocks cost more than one URAM
    (Memory(2304, 64, False), XC7, Placement.BLOCK),
])
def test_memory_placement(memory, fab, placement):
    assert place_memory(memory, fab) is placement


def test_block_count_takes_the_best_aspect_ratio():
    assert Memory(576, 64, False).blocks == 4  # 512x36 blocks, 2 x 2
    assert Memory(2048, 16, False).blocks == 2  # 2048x9
    assert Memory(16384, 1, False).blocks == 1


@pytest.mark.parametrize("stage", [
    # Mapped lanes pipelined (2 ranks at 200 MHz), the replay RAM in LUTRAM, the ROMs in logic.
    XnorMvuStage(np.random.default_rng(0).integers(0, 2, (16, 72)).astype(bool),
                 pe=4, simd=8, pixels_per_image=64),
    # The row buffer's slots in LUTRAM, the window's merged valid registers.
    WindowStage(16, 8, 8, 3, 1, 1, simd=16),
], ids=["xnor_mvu", "window"])
def test_estimate_within_25_percent_of_yosys_ecp5(stage, tmp_path):
    """Small tiles as an ECP5 build renders them (the MVU's mapped lanes) through
    synth_ecp5 (the faster flow), built for the default clock whose register ranks the
    estimate counts; the bench covers the rest."""
    timing = RtlTiming()
    flow, technology = FLOWS["ecp5"]
    tile = tile_for(stage, timing, technology)
    for name, text in tile.memory_files("dut").items():
        (tmp_path / name).write_text(text)
    source = tmp_path / "dut.sv"
    source.write_text(tile.render("dut"))
    measured = synthesized(synth([source], tile.module_name("dut"), tmp_path, flow), flow)
    estimate = estimate_stage(stage, technology, timing)
    assert abs(estimate.luts - measured.luts) <= 0.25 * measured.luts, (estimate, measured)
    assert abs(estimate.ffs - measured.ffs) <= 0.25 * measured.ffs, (estimate, measured)
    assert (estimate.bram_bits, estimate.lutram_bits) == (measured.bram_bits,
                                                          measured.lutram_bits)


@pytest.mark.parametrize("tile_type, stage", [
    # A DP16KD FIFO: its output register is the head, no bypass, one column of 1024 x 18.
    ("fifo", FifoStage(StreamLayout(64, 16, 8, True), 600)),
    # The weight port's loader, rows of two beats (slow suite: 10-40 s of synthesis).
    pytest.param("loader", WeightLoad((LoadedMemory("mvu", 36, 96, False),)),
                 marks=pytest.mark.slow),
], ids=["dp16kd_fifo", "weight_loader"])
def test_ecp5_build_estimate_against_synth_ecp5(tile_type, stage, tmp_path):
    """Tiles as an ECP5 build renders them: flip-flops and block RAM exact, LUTs within
    25 %."""
    result = measure(tile_type, stage, "ecp5", tmp_path / "work", None)
    estimate, measured = result.estimate, result.synthesis
    assert (estimate.ffs, estimate.bram_bits) == (measured.ffs, measured.bram_bits)
    assert abs(estimate.luts - measured.luts) <= 0.25 * measured.luts, (estimate, measured)


def test_estimate_counts_the_clock_s_popcount_ranks():
    """A faster clock adds popcount register ranks: the estimate gains exactly their
    flip-flops (lanes and the control bits beside them) and no LUTs (the behavioural tree,
    generic)."""
    stage = XnorMvuStage(np.random.default_rng(0).integers(0, 2, (16, 72)).astype(bool),
                         pe=4, simd=8, pixels_per_image=64)
    slow, fast = RtlTiming(clock_mhz=50), RtlTiming(clock_mhz=200)
    assert (slow.popcount_stages(8), fast.popcount_stages(8)) == (0, 2)
    a, b = (estimate_stage(stage, Technology.GENERIC, t) for t in (slow, fast))
    assert b.luts == a.luts
    # Per lane (4 XNOR + the valid count) the 8-bit tree's 11 register bits, and 5 control
    # bits per rank.
    assert b.ffs - a.ffs == 5 * 11 + 2 * 5


def test_plan_estimates_count_the_register_slices(digits_compiled):
    graph = digits_compiled.graph
    plan = build_plan(graph, auto_folding(graph, 2048, RTL_CYCLES), RTL_CYCLES)
    estimates = {e.name: e.resources for e in estimate_plan(plan, Technology.LATTICE_ECP5)}
    sliced = [c for c in plan.channels if c.register_slice]
    assert len(sliced) > 10
    for c in sliced:
        bits = c.layout.beat_width + 1  # tdata and tlast, held and selected, and full flag
        assert estimates[f"{c.sink.stage}_{c.sink.port}_slice"] == \
            Resources(luts=bits + 2, ffs=bits + 1)
    # the skid buffer's count equals synth_xilinx's and is 1 LUT4 short of synth_ecp5's
    # (python -m bnn_hls.bench_estimates --tile slice)
    assert estimate_stage(RegisterSliceStage(StreamLayout(16, 16, 9, True)),
                          Technology.XILINX_7SERIES) == Resources(luts=147, ffs=146)


def test_loaded_weights_are_estimated_as_the_rams_the_rtl_builds(tmp_path):
    """--load-weights: each PE's memory is a RAM the weight port writes (LUTRAM here, where a
    ROM would be logic); the estimate against synth_ecp5 of the tile built that way."""
    stage = XnorMvuStage(np.random.default_rng(7).integers(0, 2, (16, 72)).astype(bool),
                         pe=4, simd=8, pixels_per_image=64, weights_loaded=True)
    assert all(m.writable for m in stage_memories(stage))
    result = measure("xnor_mvu", stage, "ecp5", tmp_path / "work", None)
    estimate, measured = result.estimate, result.synthesis
    assert measured.lutram_bits > 0 and estimate.lutram_bits == measured.lutram_bits
    assert abs(estimate.luts - measured.luts) <= 0.25 * measured.luts, (estimate, measured)
    assert abs(estimate.ffs - measured.ffs) <= 0.25 * measured.ffs, (estimate, measured)


def test_plan_estimates_with_every_weight_loaded(digits_compiled):
    graph = digits_compiled.graph
    plan = build_plan(graph, auto_folding(graph, 2048, RTL_CYCLES), RTL_CYCLES)
    technology = Technology.XILINX_7SERIES
    roms = {e.name: e.resources for e in estimate_plan(plan, technology)}
    loaded = {e.name: e.resources for e in estimate_plan(plan, technology, load_weights=True)}
    assert LOADER_INSTANCE in loaded and LOADER_INSTANCE not in roms
    with_memory = [p for p in plan.stages.values() if has_weight_memory(p.stage)]
    assert with_memory
    for placed in with_memory:
        assert loaded[placed.name] == estimate_stage(replace(placed.stage, weights_loaded=True),
                                                     technology)
        assert loaded[placed.name] != roms[placed.name]
    others = set(roms) - {p.name for p in with_memory}
    assert all(loaded[name] == roms[name] for name in others)


@pytest.fixture(scope="module")
def digits_out(digits_compiled, tmp_path_factory):
    out = tmp_path_factory.mktemp("digits_fit")
    save_graph(digits_compiled.graph, out)
    return out


def test_fit_digits_on_ulx3s_writes_a_usable_folding(digits_out, digits_compiled, capsys):
    code, stdout, _ = run_cli(["fit", digits_out, "--board", "ulx3s"], capsys)
    assert code == 0
    assert "LUTs" in stdout and "OVERFLOWS" not in stdout
    graph = digits_compiled.graph
    written = yaml.safe_load((digits_out / "folding-ulx3s.yaml").read_text())
    shapes = mvu_shapes(graph)
    assert set(written) == {s.name for s in shapes}
    folding = load_folding(digits_out / "folding-ulx3s.yaml", graph, 2048, RTL_CYCLES)
    for shape in shapes:
        assert shape.out_channels % folding[shape.name].pe == 0
        assert shape.fan_in % folding[shape.name].simd == 0


def test_fit_unknown_board(digits_out, capsys):
    code, _, err = run_cli(["fit", digits_out, "--board", "nope"], capsys)
    assert_one_line_error(code, err, "unknown board 'nope'", "zcu104")


def test_fit_without_saved_ir(tmp_path, capsys):
    code, _, err = run_cli(["fit", tmp_path, "--board", "zcu104"], capsys)
    assert_one_line_error(code, err, "ir.json")


@pytest.fixture(scope="module")
def bireal18_out(tmp_path_factory):
    torch.manual_seed(0)
    out = tmp_path_factory.mktemp("bireal18_fit")
    save_graph(compile_model(birealnet18().eval()).graph, out)
    return out


@pytest.mark.slow
@pytest.mark.parametrize("board", ["zcu104", "kv260"])
def test_fit_bireal18_fits_zynq_ultrascale_boards(bireal18_out, board, capsys):
    code, stdout, _ = run_cli(["fit", bireal18_out, "--board", board], capsys)
    assert code == 0 and "OVERFLOWS" not in stdout, stdout
    folding = yaml.safe_load((bireal18_out / f"folding-{board}.yaml").read_text())
    assert len(folding) == 21  # stem, 16 binary convs, 3 downsample convs, fc


@pytest.mark.slow
def test_fit_bireal18_pynq_z2_lacks_memory(bireal18_out, capsys):
    code, _, err = run_cli(["fit", bireal18_out, "--board", "pynq-z2"], capsys)
    assert_one_line_error(code, err, "lacks the memory")


def test_hardware_report_of_a_compiled_design(digits_out, digits_compiled, capsys):
    code, stdout, _ = run_cli(["report", digits_out, "--board", "ulx3s"], capsys)
    assert code == 0, stdout
    report = digits_out / "report"
    document = json.loads((report / "report.json").read_text())
    plan = build_plan(digits_compiled.graph, auto_folding(digits_compiled.graph, 2048,
                                                          RTL_CYCLES), RTL_CYCLES)
    assert document["cycles_per_image"]["value"] == plan.expected_cycles_per_image
    assert document["cycles_per_image"]["source"].startswith("estimate")
    layers = {entry["layer"] for entry in document["layers"]}
    assert layers == {placed.layer for placed in plan.stages.values()}
    lut_total = sum(entry["resources"]["luts"] for entry in document["layers"])
    assert lut_total == document["resources"]["total"]["luts"] > 0
    for png in ("cycles.png", "luts.png", "bram.png"):
        assert (report / png).read_bytes()[:4] == b"\x89PNG"
    assert "estimate" in (report / "report.md").read_text()


def test_report_sweeps_accuracy_against_shortcut_bits(tmp_path, capsys):
    # The 16-bit point is the compiled design itself: the same accuracy compile measured.
    out = tmp_path / "digits"
    assert run_cli(["compile", str(DIGITS_CHECKPOINT), "-o", out, "--vectors", "1"],
                   capsys)[0] == 0
    code, stdout, _ = run_cli(["report", out], capsys)
    assert code == 0 and "accuracy.png" in stdout
    sweep = json.loads((out / "report" / "report.json").read_text())["accuracy_vs_shortcut_bits"]
    assert sweep["source"].startswith("simulation")
    points = {p["shortcut_bits"]: p for p in sweep["points"]}
    compiled = json.loads((out / "summary.json").read_text())["faithfulness"]
    assert points[16]["golden_accuracy"] == compiled["golden_accuracy"]
    assert points[16]["agreement"] == compiled["agreement"]
    assert "cannot hold" in points[4]["refused"] and points[4]["agreement"] is None
    assert points[6]["agreement"] < points[12]["agreement"]
    assert (out / "report" / "accuracy.png").read_bytes()[:4] == b"\x89PNG"


def test_hardware_report_without_saved_ir(tmp_path, capsys):
    code, _, err = run_cli(["report", tmp_path], capsys)
    assert_one_line_error(code, err, "ir.json")
