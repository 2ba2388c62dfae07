"""Weights loaded at start-up through the top's weight port (bnn_hls.hw.weight_load): the
load stream's order, and a micro network whose every weight memory is filled through the port
(no ROM file at all), bit-exact with the golden model under stalls and resets; one wrong
weight beat shows up at its layer. Bi-Real-18 on the ZCU104 (slow): the weights its fit puts
in UltraRAM are the ones the port loads."""

from __future__ import annotations

import json

import numpy as np
import pytest
from test_pynq_stream import MICRO_ARCH

from bnn_hls.backends.rtl.cycles import RTL_CYCLES
from bnn_hls.backends.rtl.network import WEIGHTS_FILE, RtlDesign
from bnn_hls.boards import load_board
from bnn_hls.compiler.pipeline import compile_model
from bnn_hls.hw.folding import auto_folding
from bnn_hls.hw.layout import LIMB_BITS
from bnn_hls.hw.plan import build_plan
from bnn_hls.hw.stages import XnorMvuStage
from bnn_hls.hw.technology import Technology
from bnn_hls.hw.weight_load import WeightLoad, has_weight_memory, weight_rows
from bnn_hls.model import birealnet, birealnet18, randomise_birealnet
from bnn_hls.tools.fit import FoldingSweep, fastest_fit
from bnn_hls.tools.report import design_loads_weights, write_report
from bnn_hls.tools.simulate import generate_rtl, simulate
from bnn_hls.tools.slang import slang_errors
from bnn_hls.tools.vendor_models import sim_models
from bnn_hls.tools.verilator import lint

TARGET_CYCLES = 64  # folds every layer of the micro network: each has a weight memory


@pytest.fixture(scope="module")
def small_graph():
    return compile_model(randomise_birealnet(birealnet(MICRO_ARCH), seed=2)).graph


@pytest.fixture(scope="module")
def loaded_design(small_graph, tmp_path_factory):
    out = tmp_path_factory.mktemp("weight_port")
    plan, sources = generate_rtl(small_graph, out, target_cycles=TARGET_CYCLES,
                                 load_weights=True)
    return plan, out / "rtl", sources


def test_the_report_estimates_a_loaded_design_with_rams(loaded_design, small_graph, tmp_path):
    out = loaded_design[1].parent
    assert design_loads_weights(out) and not design_loads_weights(tmp_path)
    document = json.loads((write_report(out, small_graph, TARGET_CYCLES, None)
                           / "report.json").read_text())
    assert document["weights_loaded"] is True


def test_the_load_stream_is_every_memory_row_by_row(small_graph):
    plan = build_plan(small_graph, auto_folding(small_graph, TARGET_CYCLES, RTL_CYCLES),
                      RTL_CYCLES)
    assert not WeightLoad.for_plan(plan, Technology.XILINX_7SERIES)  # no UltraRAM: none
    load = WeightLoad.for_plan(plan, Technology.GENERIC, everything=True)
    assert [m.stage for m in load.memories] == [
        name for name, p in plan.stages.items() if has_weight_memory(p.stage)]
    assert len(load.memories) == 3  # stem, binary conv, fc
    beats = iter(load.stream(plan).tolist())
    for memory in load.memories:
        stage = plan.stages[memory.stage].stage
        rows = [sum(next(beats) << (LIMB_BITS * k) for k in range(memory.beats_per_row))
                for _ in range(memory.depth)]
        assert rows == weight_rows(stage)
        if isinstance(stage, XnorMvuStage):  # PE p's ROM word at bits [p*SIMD +: SIMD]
            mask = (1 << stage.simd) - 1
            assert [[(row >> (p * stage.simd)) & mask for row in rows]
                    for p in range(stage.pe)] == stage.rom_words.tolist()
    assert next(beats, None) is None


def test_a_design_with_a_weight_port_is_lint_clean_and_has_no_rom_file(loaded_design):
    _, rtl, sources = loaded_design
    manifest = json.loads((rtl / "manifest.json").read_text())
    assert manifest["memory_files"] == []
    load = manifest["weight_load"]
    assert len(load["memories"]) == 3 and not any(m["uram"] for m in load["memories"])
    assert (rtl / WEIGHTS_FILE).stat().st_size == 8 * load["beats"]
    assert lint(sources, manifest["top"]) == ""
    assert slang_errors(sources, manifest["top"]) == []


def test_an_ecp5_build_with_a_weight_port_lints(small_graph, tmp_path):
    # Its real MVUs multiply on MULT18X18D; the loaded weights are inferred RAMs.
    _, sources = generate_rtl(small_graph, tmp_path, target_cycles=TARGET_CYCLES,
                              technology=Technology.LATTICE_ECP5, load_weights=True)
    models = sim_models(Technology.LATTICE_ECP5, tmp_path / "models")
    warnings = models.own_warnings(lint([*sources, *models.sources], "bnn_top",
                                        list(models.args)))
    assert not warnings, "\n".join(warnings)


@pytest.mark.slow  # its own Verilator build; make test loads weights through the DMA-like
# run of tests/test_pynq_stream.py
def test_weights_through_the_port_are_bit_exact_after_every_reset(loaded_design, small_graph):
    _, rtl, _ = loaded_design
    pixels = np.random.default_rng(0).integers(0, 256, (4, 3, 4, 4))
    report = simulate(small_graph, rtl, pixels, frame_groups=2, stall_in=0.3, stall_out=0.3)
    assert report.exact_images == 4 and report.divergence is None, report.summary(200)

    # One wrong bit in the last memory's first beat: the fc layer's weights.
    stream = np.fromfile(rtl / WEIGHTS_FILE, dtype="<u8")
    manifest = json.loads((rtl / "manifest.json").read_text())
    last = manifest["weight_load"]["memories"][-1]
    stream[-last["depth"] * -(-last["width"] // 64)] ^= np.uint64(1)
    stream.tofile(rtl / WEIGHTS_FILE)
    report = simulate(small_graph, rtl, pixels[:1])
    assert report.divergence is not None and report.divergence.layer == "fc", \
        report.summary(200)


@pytest.mark.slow  # the Bi-Real-18 fit search: about a minute
def test_bireal18_on_zcu104_loads_its_ultraram_weights_through_the_port(tmp_path):
    import torch

    torch.manual_seed(0)
    graph = compile_model(birealnet18().eval()).graph
    board = load_board("zcu104")
    fit = fastest_fit(FoldingSweep(graph), board).best
    assert fit is not None and fit.load_bits > 0
    design = RtlDesign(fit.plan, technology=board.technology)
    assert all(m.uram for m in design.load.memories)
    assert design.load.bits == fit.load_bits  # what the fit found in UltraRAM, all of it
    name = design.load.memories[0].stage
    source = tmp_path / f"{design.module(name)}.sv"
    source.write_text(design.tiles[name].render(name))
    assert '(* ram_style = "ultra" *)' in source.read_text()
    models = sim_models(board.technology, tmp_path)  # lanes on LUT6_2 and CARRY8
    warnings = models.own_warnings(lint([source, *models.sources], design.module(name),
                                        list(models.args)))
    assert not warnings, "\n".join(warnings)
