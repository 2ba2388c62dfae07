"""Every Bi-Real-18 layer shape class (64..512 channels, stride 1 and 2, downsample shortcut,
7x7/2 stem with 3x3/2 max pool) generated as RTL at a reduced spatial size (64x64 input),
linted, and simulated bit-exact against the golden model (about 3 minutes on 2 cores)."""

from pathlib import Path

import numpy as np
import pytest
import torch

from bnn_hls.compiler import ir
from bnn_hls.compiler.pipeline import compile_model
from bnn_hls.model import BiRealNet, load_arch_config
from bnn_hls.tools.simulate import generate_rtl, simulate
from bnn_hls.tools.slang import slang_errors
from bnn_hls.tools.verilator import lint

ARCH = Path(__file__).resolve().parent / "data" / "birealnet18_shapes.yaml"


@pytest.fixture(scope="module")
def shapes_design(tmp_path_factory):
    torch.manual_seed(0)
    net = BiRealNet(load_arch_config(ARCH))
    for module in net.modules():  # trained-like statistics, negative BN scales included
        if isinstance(module, torch.nn.BatchNorm2d):
            module.weight.data.uniform_(-1, 1)
            module.bias.data.normal_(0, 0.3)
            module.running_var.uniform_(0.5, 2)
    for name, param in net.named_parameters():
        if name.endswith("binary_conv.weights"):
            param.data.normal_(0, 1)
    pixels = np.random.default_rng(0).integers(0, 256, (4, 3, 64, 64), dtype=np.uint8)
    compiled = compile_model(net.eval(), calibration_pixels=pixels)
    out = tmp_path_factory.mktemp("bireal18_shapes")
    _, sources = generate_rtl(compiled.graph, out, target_cycles=8192)
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


def test_simulation_bit_exact(shapes_design):
    graph, rtl, _, pixels = shapes_design
    report = simulate(graph, rtl, pixels[:2])
    assert report.divergence is None, report.divergence.describe()
    assert report.exact_images == 2
