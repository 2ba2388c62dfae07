"""The hardware plan (bnn_hls.hw): layouts, widths from intervals, folded weights, links and
errors, independent of any backend's rendering."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from bnn_hls.backends.golden.model import GoldenModel
from bnn_hls.backends.rtl.cycles import RTL_CYCLES
from bnn_hls.compiler import ir
from bnn_hls.errors import BnnHlsError
from bnn_hls.hw.folding import auto_folding, ideal_cycles
from bnn_hls.hw.intervals import Interval
from bnn_hls.hw.layout import MISSING, StreamLayout, pack_lanes
from bnn_hls.hw.plan import build_plan, check_link
from bnn_hls.hw.stages import (
    AffineStage,
    GlobalSumStage,
    PoolKind,
    PoolStage,
    RealMvuStage,
    ShortcutStage,
    XnorMvuStage,
)
from bnn_hls.hw.weights import fold_binary, fold_real


@pytest.fixture(scope="module")
def digits_plan(digits_compiled):
    graph = digits_compiled.graph
    return graph, build_plan(graph, auto_folding(graph, 2048, RTL_CYCLES), RTL_CYCLES)


def test_layout_pack_and_unpack_round_trip():
    rng = np.random.default_rng(0)
    for layout in (StreamLayout(10, 4, 7, True), StreamLayout(3, 3, 5, False),
                   StreamLayout(70, 70, 1, False)):
        full = Interval.of_width(layout.width, layout.signed)
        x = rng.integers(full.lo, full.hi + 1, (2, layout.channels, 3, 2))
        beats = layout.pack(x)
        assert len(beats) == 2 * 6 * layout.beats_per_pixel
        assert [last for _, last in beats].count(True) == 2 and beats[-1][1]
        assert np.array_equal(layout.unpack([w for w, _ in beats], x.shape), x)
        short = layout.unpack([w for w, _ in beats[:-1]], x.shape)
        assert (short == MISSING).any() and (short[0] == x[0]).all()


# (channels, lanes, width, signed): one-limb beats, lanes across a limb boundary (19 x 4,
# 40 x 3), a padded last fold (9 channels in lanes of 4), whole-limb lanes.
LIMB_LAYOUTS = [(1, 1, 8, False), (3, 3, 8, False), (10, 1, 19, True), (10, 4, 19, True),
                (7, 3, 40, True), (9, 4, 17, False), (5, 5, 64, True)]


@pytest.mark.parametrize("channels, lanes, width, signed", LIMB_LAYOUTS)
def test_vectorised_beats_are_the_lanes_packed_one_by_one(channels, lanes, width, signed):
    layout = StreamLayout(channels, lanes, width, signed)
    full = Interval.of_width(width, signed)
    x = np.random.default_rng(width).integers(full.lo, full.hi, (3, channels, 2, 2),
                                              endpoint=True)
    x[0, 0, 0, 0], x[-1, -1, -1, -1] = full.lo, full.hi
    pixels = np.moveaxis(x.reshape(3, channels, -1), 1, -1).reshape(-1, channels)
    padded = np.zeros((len(pixels), layout.beats_per_pixel * lanes), dtype=np.int64)
    padded[:, :channels] = pixels
    expected = [pack_lanes(beat, width) for beat in padded.reshape(-1, lanes)]
    assert [word for word, _ in layout.pack(x)] == expected
    logits = x[:, :, 0, 0]
    assert (layout.unpack_limbs(layout.pack_limbs(logits), logits.shape) == logits).all()


def test_a_batch_of_other_channels_is_refused():
    with pytest.raises(ValueError, match="2 channels on a stream of 3"):
        StreamLayout(3, 3, 8, False).pack_limbs(np.zeros((1, 2, 4, 4), dtype=np.int64))


def test_every_link_joins_equal_layouts(digits_plan):
    _, plan = digits_plan
    for channel in plan.channels:
        assert plan.port(channel.sink).layout == channel.layout
        assert plan.port(channel.source).layout == channel.layout
    # the same 16 tdata bits, other lanes: refused
    with pytest.raises(ValueError, match="carries 4 ch as 2 x 2 lanes of signed 4 bits"):
        check_link(StreamLayout(4, 2, 4, True), StreamLayout(4, 4, 2, True), "a -> b")
    with pytest.raises(ValueError, match="unsigned"):
        check_link(StreamLayout(4, 4, 4, True), StreamLayout(4, 4, 4, False), "a -> b")


def test_widths_come_from_the_proven_intervals(digits_plan):
    graph, plan = digits_plan
    for placed in plan.stages.values():
        stage = placed.stage
        if isinstance(stage, AffineStage):
            node = graph.node(placed.layer)
            if isinstance(node, ir.Affine):
                assert stage.in_range == Interval(*graph.tensors[node.inputs[0]].interval)
                assert stage.product.width <= 64
        if isinstance(stage, PoolStage) and stage.kind is PoolKind.SUM:
            out = graph.tensors[graph.node(placed.layer).output]
            assert stage.out_range == Interval(*out.interval).with_zero()
        if isinstance(stage, GlobalSumStage):
            out = graph.tensors[graph.node(placed.layer).output]
            assert stage.out_width == Interval(*out.interval).with_zero().width
        if isinstance(stage, XnorMvuStage):
            out = graph.tensors[graph.node(placed.layer).output]
            assert stage.dot_range == Interval(*out.interval)
        if isinstance(stage, ShortcutStage):
            node = graph.node(placed.layer)
            assert stage.conv_range == Interval(*graph.tensors[node.inputs[0]].interval)
            assert stage.skip_range == Interval(*graph.tensors[node.inputs[1]].interval)


def test_mvu_accumulators_cover_every_partial_sum():
    # inputs never 0 but partial sums start there: the width must hold 0 .. and the total
    mvu = RealMvuStage(np.array([[3, 3, 3]]), 1, 1, 8, Interval(50, 100))
    assert mvu.acc_range == Interval(0, 900) and mvu.out_width == 11


def test_folded_weights_follow_the_rom_order():
    rng = np.random.default_rng(1)
    bits = rng.random((5, 11)) < 0.5
    words = fold_binary(bits, pe=2, simd=4)  # NF 3, SF 3
    assert words.shape == (2, 9)
    for pe in range(2):
        for nf in range(3):
            for sf in range(3):
                channel = nf * 2 + pe
                expect = 0
                for s in range(4):
                    i = sf * 4 + s
                    if channel < 5 and i < 11 and bits[channel, i]:
                        expect |= 1 << s
                assert words[pe, nf * 3 + sf] == expect
    ints = rng.integers(-8, 8, (5, 11))
    rows = fold_real(ints, pe=2, simd=4)
    assert rows.shape == (9, 2, 4)
    assert rows[1 * 3 + 2, 1, 2] == ints[3, 10] and rows[2 * 3 + 2, 1, 2] == 0


def test_plan_cycles_and_probes(digits_plan):
    graph, plan = digits_plan
    assert plan.ideal_cycles == ideal_cycles(graph, plan.folding) == 2048
    assert plan.expected_cycles_per_image == 2048
    assert [p.layer for p in plan.probes] == [n.name for n in graph.nodes]
    golden_shape = {name: value.shape for name, value in
                    GoldenModel(graph).run(np.zeros((1, 1, 8, 8), np.int64), trace=True)[1]
                    .items()}
    for probe in plan.probes:
        assert probe.layout.channels == golden_shape[probe.layer][1]


def test_an_unknown_node_is_one_error_naming_the_layer(digits_compiled):
    class Mystery(ir.Node):
        pass

    graph = copy.deepcopy(digits_compiled.graph)
    graph.tensors["m"] = ir.Tensor("m", graph.tensors[graph.input].shape)
    graph.nodes.insert(1, Mystery(name="mystery", inputs=(graph.input,), output="m"))
    with pytest.raises(BnnHlsError, match="layer 'mystery': the hardware plan does not "
                                          "support Mystery nodes"):
        build_plan(graph, auto_folding(digits_compiled.graph, 2048, RTL_CYCLES), RTL_CYCLES)
