"""Property test of the HLS backend: the random Bi-Real variants and random folding of the
RTL property test through compile -> plan -> HLS C++ -> g++ C-sim, equal to the golden model
bit for bit at every layer. A few examples run in `make test`; `make test-slow` runs many."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_rtl_property import SETTINGS, architectures, random_folding

from bnn_hls.backends.hls.cycles import HLS_CYCLES
from bnn_hls.backends.hls.design import HlsDesign
from bnn_hls.compiler.pipeline import compile_model
from bnn_hls.hw.folding import auto_folding
from bnn_hls.hw.plan import build_plan
from bnn_hls.hw.stages import WindowStage
from bnn_hls.model import ArchConfig, birealnet, randomise_birealnet
from bnn_hls.tools.csim import csim


def check_random_network(arch: ArchConfig, data, seed: int) -> None:
    net = randomise_birealnet(birealnet(arch), seed=seed)
    graph = compile_model(net).graph
    plan = build_plan(graph, random_folding(graph, data), HLS_CYCLES)
    pixels = np.random.default_rng(seed).integers(
        0, 256, (3, arch.in_channels, arch.input_size, arch.input_size))
    with tempfile.TemporaryDirectory() as out:
        HlsDesign(plan, arch.input_size * arch.input_size).write(Path(out))
        report = csim(graph, Path(out), pixels)
    assert report.divergence is None, report.divergence.describe()
    assert report.exact_images == len(pixels)


def test_a_strided_1x1_stem_is_windowed_and_bit_exact():
    # A strided 1x1 convolution skips pixels: the plan gives it a window generator.
    arch = ArchConfig.from_dict({
        "name": "random", "in_channels": 1, "input_size": 6, "num_classes": 2,
        "stem": {"channels": 3, "kernel": 1, "stride": 2, "maxpool": None},
        "stages": [{"channels": 3, "blocks": 1, "stride": 1}],
        "input_norm": {"scale": 1 / 255, "mean": [0.4], "std": [0.3], "pixel_bits": 8}})
    graph = compile_model(randomise_birealnet(birealnet(arch), seed=0)).graph
    plan = build_plan(graph, auto_folding(graph, 2048, HLS_CYCLES), HLS_CYCLES)
    assert any(isinstance(p.stage, WindowStage) and p.layer == "conv1"
               for p in plan.stages.values())
    pixels = np.random.default_rng(1).integers(0, 256, (2, 1, 6, 6))
    with tempfile.TemporaryDirectory() as out:
        HlsDesign(plan, 36).write(Path(out))
        report = csim(graph, Path(out), pixels)
    assert report.divergence is None and report.exact_images == 2


@settings(max_examples=2, **SETTINGS)
@given(architectures(), st.data(), st.integers(0, 1000))
def test_random_networks_bit_exact(arch, data, seed):
    check_random_network(arch, data, seed)


@pytest.mark.slow
@settings(max_examples=30, **SETTINGS)
@given(architectures(), st.data(), st.integers(0, 1000))
def test_many_random_networks_bit_exact(arch, data, seed):
    check_random_network(arch, data, seed)
