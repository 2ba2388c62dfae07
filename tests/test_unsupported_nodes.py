"""A node type a stage has no rule for stops it with one error naming the layer."""

from __future__ import annotations

import copy
from dataclasses import dataclass

import pytest
import torch
from conftest import graph_upto

from bnn_hls.backends.golden.model import GoldenModel
from bnn_hls.cli import main
from bnn_hls.compiler import ir, pipeline
from bnn_hls.compiler.config import CompileConfig
from bnn_hls.compiler.cost import layer_costs
from bnn_hls.compiler.passes.choose_formats import choose_formats
from bnn_hls.compiler.passes.intervals import analyse_intervals
from bnn_hls.compiler.passes.lower import lower_affines
from bnn_hls.compiler.serialize import save_graph
from bnn_hls.errors import BnnHlsError
from bnn_hls.model import birealnet, random_pixels, save_checkpoint

CONFIG = CompileConfig()


@dataclass
class Mystery(ir.Node):
    """A node type no stage knows."""


def append_mystery(graph: ir.Graph) -> ir.Graph:
    """A Mystery layer reading the graph's output, so every earlier node still has its rule."""
    source = graph.tensors[graph.output]
    graph.tensors["mystery"] = ir.Tensor("mystery", source.shape, source.fmt)
    graph.nodes.append(Mystery(name="mystery", inputs=(graph.output,), output="mystery"))
    return graph


def expected_error(stage: str) -> str:
    return f"layer 'mystery': {stage} does not support Mystery nodes"


# Each pass that dispatches on node type, with the pass before it.
PASSES = [
    ("quantize_real_weights", lambda graph: choose_formats(graph, CONFIG),
     "shortcut format choice"),
    ("choose_formats", lambda graph: lower_affines(graph, CONFIG), "affine lowering"),
    ("lower_affines", analyse_intervals, "interval analysis"),
]


@pytest.mark.parametrize("before, run, stage", PASSES, ids=[p[2] for p in PASSES])
def test_pass_names_unsupported_layer(tiny_net, before, run, stage):
    graph = append_mystery(graph_upto(copy.deepcopy(tiny_net), CONFIG, before))
    with pytest.raises(BnnHlsError) as error:
        run(graph)
    assert str(error.value) == expected_error(stage)


def test_golden_model_names_unsupported_layer(tiny_net, tiny_compiled):
    graph = append_mystery(copy.deepcopy(tiny_compiled.graph))
    with pytest.raises(BnnHlsError) as error:
        GoldenModel(graph).run(random_pixels(tiny_net.cfg, 1, 0))
    assert str(error.value) == expected_error("the golden model")


def test_cost_report_names_unsupported_layer(tiny_compiled):
    graph = append_mystery(copy.deepcopy(tiny_compiled.graph))
    with pytest.raises(BnnHlsError) as error:
        layer_costs(graph, CONFIG.real_weight_bits, CONFIG.multiplier_bits)
    assert str(error.value) == expected_error("the cost report")


def test_serialisation_names_unsupported_layer(tiny_compiled, tmp_path):
    graph = append_mystery(copy.deepcopy(tiny_compiled.graph))
    with pytest.raises(BnnHlsError) as error:
        save_graph(graph, tmp_path)
    assert str(error.value) == expected_error("IR serialisation")


def test_cli_prints_one_line(tmp_path, capsys, monkeypatch):
    torch.manual_seed(0)
    checkpoint = tmp_path / "digits.pt"
    save_checkpoint(birealnet("digits").eval(), checkpoint)
    imported = pipeline.import_model
    monkeypatch.setattr(pipeline, "import_model", lambda net: append_mystery(imported(net)))
    code = main(["compile", str(checkpoint), "-o", str(tmp_path / "out")])
    assert code == 1
    assert capsys.readouterr().err == \
        f"bnn-hls: error: {expected_error('shortcut format choice')}\n"
