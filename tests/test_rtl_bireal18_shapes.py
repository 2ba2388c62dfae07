"""Every Bi-Real-18 layer shape class (64..512 channels, stride 1 and 2, downsample shortcut,
7x7/2 stem with 3x3/2 max pool) generated as RTL at a reduced spatial size (64x64 input),
linted (in `make test`), and simulated bit-exact against the golden model at full rate and
under random stalls on both sides (`make test-slow`; `make bench-bireal18` runs the whole
224x224 network). A long target (few lanes) keeps the one Verilator build short: measured on a
loaded machine, 32768 cycles/image built and ran 3.6x faster than 8192."""

from pathlib import Path

import numpy as np
import pytest

from bnn_hls.compiler import ir
from bnn_hls.compiler.pipeline import compile_model
from bnn_hls.model import BiRealNet, load_arch_config, randomise_birealnet
from bnn_hls.tools.simulate import generate_rtl, simulate
from bnn_hls.tools.slang import slang_errors
from bnn_hls.tools.verilator import lint

ARCH = Path(__file__).resolve().parent / "data" / "birealnet18_shapes.yaml"


@pytest.fixture(scope="module")
def shapes_design(tmp_path_factory):
    net = randomise_birealnet(BiRealNet(load_arch_config(ARCH)), seed=0, stats_images=8)
    pixels = np.random.default_rng(0).integers(0, 256, (4, 3, 64, 64), dtype=np.uint8)
    compiled = compile_model(net, calibration_pixels=pixels)
    out = tmp_path_factory.mktemp("bireal18_shapes")
    _, sources = generate_rtl(compiled.graph, out, target_cycles=32768)
    return compiled.graph, out / "rtl", sources, pixels


def test_covers_every_bireal18_shape_class(shapes_design):
    graph = shapes_design[0]
    convs = graph.nodes_of(ir.BinaryConv)
    classes = {(graph.tensors[c.output].channels, c.stride) for c in convs}
    assert classes == {(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1)}
    assert len(graph.nodes_of(ir.AvgPool2Sum)) == 3
    stem = graph.node("conv1")
    assert (stem.kernel, stem.stride) == (7, 2) and graph.node("maxpool").stride == 2


def test_lint_clean(shapes_design):
    assert lint(shapes_design[2], "bnn_top") == ""
    assert slang_errors(shapes_design[2], "bnn_top") == []


@pytest.mark.slow  # ~300k simulated cycles with every layer probed: 15 minutes on 2 cores
def test_simulation_bit_exact_at_full_rate_and_under_random_stalls(shapes_design):
    # One test, so that both runs share one Verilator build even when xdist splits the file.
    graph, rtl, _, pixels = shapes_design
    report = simulate(graph, rtl, pixels[:1])
    assert report.divergence is None and report.deadlock is None, report.summary(100)
    assert report.exact_images == 1
    stalled = simulate(graph, rtl, pixels[1:2], stall_in=0.3, stall_out=0.3, seed=3)
    assert stalled.divergence is None and stalled.deadlock is None, stalled.summary(100)
    assert stalled.exact_images == 1
