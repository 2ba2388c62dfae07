"""Property test of the RTL backend: random small Bi-Real variants (channel counts that are not
multiples of 8 or 64, stem kernels 1 to 7, stem stride 1 and 2, max pool or none, one to three
stages, random folding, BatchNorm with negative scales, weights in ROM or loaded through the
weight port) through compile -> plan -> RTL -> Verilator under random stalls, equal to the
golden model bit for bit at every layer.

One example runs in `make test` (its time budget); `make test-slow` runs 40."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bnn_hls.backends.rtl.cycles import RTL_CYCLES
from bnn_hls.backends.rtl.network import RtlDesign
from bnn_hls.compiler.pipeline import compile_model
from bnn_hls.hw.folding import Fold, mvu_shapes
from bnn_hls.hw.plan import build_plan
from bnn_hls.model import ArchConfig, birealnet, randomise_birealnet
from bnn_hls.tools.simulate import simulate

CHANNELS = st.integers(3, 21).filter(lambda c: c % 8)


@st.composite
def architectures(draw) -> ArchConfig:
    stem_stride = draw(st.sampled_from([1, 2]))
    maxpool = draw(st.booleans())
    stages, channels = [], draw(CHANNELS)
    stem_channels = channels
    for index in range(draw(st.integers(1, 3))):
        stride = 1 if index == 0 else draw(st.sampled_from([1, 2]))
        if stride == 2:
            channels = draw(CHANNELS)
        stages.append({"channels": channels, "blocks": draw(st.integers(1, 2)),
                       "stride": stride})
    in_channels = draw(st.integers(1, 3))
    arch = {
        "name": "random", "in_channels": in_channels,
        "input_size": draw(st.integers(6, 14)), "num_classes": draw(st.integers(2, 7)),
        "stem": {"channels": stem_channels, "kernel": draw(st.integers(1, 7)),
                 "stride": stem_stride,
                 "maxpool": {"kernel": 3, "stride": 2, "padding": 1} if maxpool else None},
        "stages": stages,
        "input_norm": {"scale": 1 / 255, "mean": [0.4] * in_channels,
                       "std": [0.3] * in_channels, "pixel_bits": 8}}
    try:
        cfg = ArchConfig.from_dict(arch)
    except Exception:  # an inconsistent draw (e.g. stride 2 on an odd size)
        assume(False)
    size = cfg.feature_size()
    for stage in cfg.stages:
        size //= stage.stride
    assume(size >= 2)  # the row buffers need two rows (a one-row map is refused)
    return cfg


def random_folding(graph, data) -> dict[str, Fold]:
    """Any PE and SIMD (divisors or not), at most 3 folds each way so simulation stays short."""
    folding = {}
    for shape in mvu_shapes(graph):
        pe = -(-shape.out_channels // data.draw(st.integers(1, 3)))
        simd = -(-shape.fan_in // data.draw(st.integers(1, 3)))
        folding[shape.name] = Fold(pe, simd)
    return folding


def check_random_network(arch: ArchConfig, data, seed: int) -> None:
    net = randomise_birealnet(birealnet(arch), seed=seed)
    compiled = compile_model(net)
    graph = compiled.graph
    plan = build_plan(graph, random_folding(graph, data), RTL_CYCLES)
    load_weights = data.draw(st.sampled_from([True, False]), label="weights loaded")
    pixels = np.random.default_rng(seed).integers(
        0, 256, (3, arch.in_channels, arch.input_size, arch.input_size))
    with tempfile.TemporaryDirectory() as out:
        RtlDesign(plan, load_weights=load_weights).write(Path(out))
        report = simulate(graph, Path(out), pixels, stall_in=0.3, stall_out=0.3, seed=seed)
    assert report.divergence is None, report.divergence.describe()
    assert report.exact_images == len(pixels)


SETTINGS = dict(deadline=None, derandomize=True, suppress_health_check=[
    HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])


@settings(max_examples=1, **SETTINGS)
@given(architectures(), st.data(), st.integers(0, 1000))
def test_random_networks_bit_exact(arch, data, seed):
    check_random_network(arch, data, seed)


@pytest.mark.slow
@settings(max_examples=40, **SETTINGS)
@given(architectures(), st.data(), st.integers(0, 1000))
def test_many_random_networks_bit_exact(arch, data, seed):
    check_random_network(arch, data, seed)


def test_a_strided_1x1_stem_is_bit_exact(tmp_path):
    # A strided 1x1 convolution skips pixels: the plan gives it a window generator.
    arch = ArchConfig.from_dict({
        "name": "strided-1x1", "in_channels": 1, "input_size": 6, "num_classes": 2,
        "stem": {"channels": 3, "kernel": 1, "stride": 2, "maxpool": None},
        "stages": [{"channels": 3, "blocks": 1, "stride": 1}],
        "input_norm": {"scale": 1 / 255, "mean": [0.4], "std": [0.3], "pixel_bits": 8}})
    graph = compile_model(randomise_birealnet(birealnet(arch), seed=0)).graph
    plan = build_plan(graph, {s.name: Fold(s.out_channels, s.fan_in) for s in mvu_shapes(graph)},
                      RTL_CYCLES)
    RtlDesign(plan).write(tmp_path)
    pixels = np.random.default_rng(1).integers(0, 256, (2, 1, 6, 6))
    report = simulate(graph, tmp_path, pixels)
    assert report.divergence is None and report.exact_images == 2
