"""The skip FIFO of an identity shortcut is sized exactly (bnn_hls.hw.skip): the geometric need
is the threshold between a design that cannot deadlock and one that does, and the plan adds
only the slack that keeps the fork from stalling at full rate."""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
import pytest

from bnn_hls.backends.rtl.cycles import RTL_CYCLES
from bnn_hls.backends.rtl.network import RtlDesign
from bnn_hls.compiler import ir
from bnn_hls.compiler.pipeline import compile_model
from bnn_hls.hw.folding import auto_folding
from bnn_hls.hw.plan import build_plan
from bnn_hls.hw.skip import geometric_need_pixels, window_span_pixels
from bnn_hls.hw.stages import WindowShape
from bnn_hls.model import ArchConfig, birealnet, randomise_birealnet
from bnn_hls.tools.simulate import simulate

# One identity block on a 6x5 map: its skip FIFO is the only one in the design.
ONE_BLOCK = ArchConfig.from_dict({
    "name": "one-block", "in_channels": 1, "input_size": 6, "num_classes": 3,
    "stem": {"channels": 8, "kernel": 3, "stride": 1, "maxpool": None},
    "stages": [{"channels": 8, "blocks": 1, "stride": 1}],
    "input_norm": {"scale": 1 / 255, "mean": [0.5], "std": [0.25], "pixel_bits": 8}})


def test_window_span_is_one_row_and_two_pixels():
    # Output j of a 3x3, pad 1 window needs input j + W + 1: W + 2 pixels wait on the skip.
    assert window_span_pixels(WindowShape(6, 5, 3, 1, 1)) == 7
    assert window_span_pixels(WindowShape(56, 56, 3, 1, 1)) == 58
    assert window_span_pixels(WindowShape(1, 4, 3, 1, 1)) == 2  # one row: the next pixel
    assert window_span_pixels(WindowShape(3, 3, 1, 1, 0)) == 1  # 1x1: the pixel itself


@pytest.fixture(scope="module")
def one_block():
    net = randomise_birealnet(birealnet(ONE_BLOCK), seed=5)
    compiled = compile_model(copy.deepcopy(net))
    graph = compiled.graph
    plan = build_plan(graph, auto_folding(graph, 256, RTL_CYCLES), RTL_CYCLES)
    (add,) = graph.nodes_of(ir.Add)
    (skip,) = [c for c in plan.channels if c.depth]
    pixels = np.random.default_rng(3).integers(0, 256, (4, 1, 6, 6))
    return graph, plan, skip, geometric_need_pixels(graph, add), pixels


def test_plan_depth_is_need_plus_latency_slack(one_block):
    graph, plan, skip, need, _ = one_block
    assert need == 8  # a 6-wide map
    beats = skip.layout.beats_per_pixel
    # Slack: the branch's 27 cycles of latency (pipelined for 200 MHz) at 6 cycles a pixel.
    assert skip.depth % beats == 0 and need < skip.depth // beats <= need + 6


def with_skip_depth(plan, skip, depth):
    channels = [dataclasses.replace(c, depth=depth) if c is skip else c for c in plan.channels]
    return dataclasses.replace(plan, channels=channels)


def test_the_plan_depth_never_deadlocks_under_stalls(one_block, tmp_path):
    graph, plan, _, _, pixels = one_block
    RtlDesign(plan).write(tmp_path)
    report = simulate(graph, tmp_path, pixels, stall_in=0.3, stall_out=0.3, seed=4)
    assert report.deadlock is None and report.divergence is None
    assert report.exact_images == len(pixels)


def test_the_geometric_need_is_the_exact_threshold(one_block, tmp_path):
    graph, plan, skip, need, pixels = one_block
    beats = skip.layout.beats_per_pixel
    at_need, below = tmp_path / "need", tmp_path / "below"
    RtlDesign(with_skip_depth(plan, skip, need * beats)).write(at_need)
    RtlDesign(with_skip_depth(plan, skip, (need - 1) * beats)).write(below)
    report = simulate(graph, at_need, pixels[:2], stall_in=0.3, stall_out=0.3, seed=5)
    assert report.deadlock is None and report.exact_images == 2
    report = simulate(graph, below, pixels[:2])
    assert report.deadlock is not None and report.divergence is None, report.summary(100)
