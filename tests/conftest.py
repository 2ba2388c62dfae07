"""Shared fixtures: seeded random Bi-Real networks whose BatchNorm statistics look trained
(``bnn_hls.model.randomise_birealnet``), compiled, and a pass-by-pass pipeline runner."""

from __future__ import annotations

import copy

import pytest

from bnn_hls.compiler import ir
from bnn_hls.compiler.config import CompileConfig
from bnn_hls.compiler.importer import import_model
from bnn_hls.compiler.passes.choose_formats import choose_formats
from bnn_hls.compiler.passes.fold import fold_batchnorm, fold_binary_scale, fold_input_normalisation
from bnn_hls.compiler.passes.intervals import analyse_intervals
from bnn_hls.compiler.passes.lower import lower_affines
from bnn_hls.compiler.passes.quantize import quantize_real_weights
from bnn_hls.compiler.pipeline import compile_model
from bnn_hls.model import birealnet
from bnn_hls.model.config import ArchConfig, InputNorm, StageConfig, StemConfig
from bnn_hls.model.random_weights import randomise_birealnet

DIGITS_PIXEL_MAX = 16  # scikit-learn digits: raw values 0..16
WORST_CASE = CompileConfig(data_free=False)  # formats that no input can saturate


def graph_upto(net, config: CompileConfig, last: str, calibrated=None) -> ir.Graph:
    """Run the pipeline of compile_model on ``net`` up to and including pass ``last``."""
    graph = import_model(net)
    steps = [
        ("fold_input_normalisation", lambda: fold_input_normalisation(graph,
                                                                      config.input_frac_bits)),
        ("fold_batchnorm", lambda: fold_batchnorm(graph)),
        ("fold_binary_scale", lambda: fold_binary_scale(graph)),
        ("quantize_real_weights", lambda: quantize_real_weights(graph, config.real_weight_bits)),
        ("choose_formats", lambda: choose_formats(graph, config, calibrated)),
        ("lower_affines", lambda: lower_affines(graph, config)),
        ("analyse_intervals", lambda: analyse_intervals(graph)),
    ]
    for name, step in steps:
        step()
        if name == last:
            return graph
    raise ValueError(last)


TINY_ARCH = ArchConfig(
    name="tiny", in_channels=2, input_size=10, num_classes=5,
    stem=StemConfig(channels=8, kernel=3, stride=1, maxpool=None),
    stages=(StageConfig(channels=8, blocks=1, stride=1),
            StageConfig(channels=70, blocks=2, stride=2)),  # 70 channels: two 64-bit words
    input_norm=InputNorm(scale=1 / 255, mean=(0.5, 0.2), std=(0.25, 0.5), pixel_bits=8),
)
TINY_ARCH.validate("TINY_ARCH")


@pytest.fixture(scope="session")
def tiny_arch() -> ArchConfig:
    return TINY_ARCH


@pytest.fixture(scope="session")
def digits_net():
    """A seeded random digits-sized network (8x8x1, 10 classes). Do not mutate."""
    return randomise_birealnet(birealnet("digits"), seed=1234, pixel_max=DIGITS_PIXEL_MAX)


@pytest.fixture(scope="session")
def tiny_net():
    """A seeded random network of TINY_ARCH (no max pool, 2 input channels). Do not mutate."""
    return randomise_birealnet(birealnet(TINY_ARCH), seed=99)


@pytest.fixture(scope="session")
def digits_compiled(digits_net):
    """compile_model(digits_net) with formats from the worst case alone (nothing can
    saturate). Do not mutate its graph."""
    return compile_model(copy.deepcopy(digits_net), WORST_CASE)


@pytest.fixture(scope="session")
def tiny_compiled(tiny_net):
    return compile_model(copy.deepcopy(tiny_net), WORST_CASE)


@pytest.fixture
def fresh_compile():
    """compile_model on a private copy of a network, for tests that mutate the result."""
    def run(net, *args, **kwargs):
        return compile_model(copy.deepcopy(net), *args, **kwargs)
    return run
