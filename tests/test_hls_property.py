"""Property test of the HLS backend: the random Bi-Real variants and random folding of the
RTL property test through compile -> plan -> HLS C++ -> g++ C-sim, equal to the golden model
bit for bit at every layer. A few examples run in `make test`; `make test-slow` runs many."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest
from conftest import randomise_birealnet
from hypothesis import given, settings
from hypothesis import strategies as st
from test_rtl_property import SETTINGS, architectures, random_folding

from bnn_hls.backends.hls.cycles import HLS_CYCLES
from bnn_hls.backends.hls.design import HlsDesign
from bnn_hls.compiler.pipeline import compile_model
from bnn_hls.hw.plan import build_plan
from bnn_hls.model import ArchConfig, birealnet
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


@settings(max_examples=2, **SETTINGS)
@given(architectures(), st.data(), st.integers(0, 1000))
def test_random_networks_bit_exact(arch, data, seed):
    check_random_network(arch, data, seed)


@pytest.mark.slow
@settings(max_examples=30, **SETTINGS)
@given(architectures(), st.data(), st.integers(0, 1000))
def test_many_random_networks_bit_exact(arch, data, seed):
    check_random_network(arch, data, seed)
