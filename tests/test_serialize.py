"""The integer IR saved as ir.json + weights.npz comes back equal, and bad files are one line."""

from __future__ import annotations

import copy
import dataclasses
import json
import shutil

import numpy as np
import pytest
from conftest import DIGITS_PIXEL_MAX, graph_upto

from bnn_hls.backends.golden.model import GoldenModel
from bnn_hls.compiler import ir
from bnn_hls.compiler.config import CompileConfig
from bnn_hls.compiler.serialize import load_graph, save_graph
from bnn_hls.errors import BnnHlsError
from bnn_hls.model import random_pixels


def assert_same_value(a, b, where: str):
    if isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray) and a.dtype == b.dtype, where
        assert a.shape == b.shape and np.array_equal(a, b), where
    else:
        assert type(a) is type(b) and a == b, where


def assert_same_graph(loaded: ir.Graph, original: ir.Graph):
    assert (loaded.name, loaded.input, loaded.output) == \
        (original.name, original.input, original.output)
    assert list(loaded.tensors) == list(original.tensors)
    for name, tensor in original.tensors.items():
        for field in dataclasses.fields(ir.Tensor):
            value = getattr(tensor, field.name)
            assert_same_value(getattr(loaded.tensors[name], field.name), value,
                              f"tensor {name}.{field.name}")
    assert [type(n) for n in loaded.nodes] == [type(n) for n in original.nodes]
    for new, old in zip(loaded.nodes, original.nodes, strict=True):
        for field in dataclasses.fields(old):
            assert_same_value(getattr(new, field.name), getattr(old, field.name),
                              f"node {old.name}.{field.name}")


@pytest.mark.parametrize("fixture, pixel_max", [("digits", DIGITS_PIXEL_MAX), ("tiny", None)])
def test_round_trip_is_equal_and_bit_exact(request, tmp_path, fixture, pixel_max):
    compiled = request.getfixturevalue(f"{fixture}_compiled")
    save_graph(compiled.graph, tmp_path)
    loaded = load_graph(tmp_path)
    assert_same_graph(loaded, compiled.graph)
    pixels = random_pixels(compiled.network.cfg, 16, 5, pixel_max)
    logits, trace = GoldenModel(compiled.graph).run(pixels, trace=True)
    loaded_logits, loaded_trace = GoldenModel(loaded).run(pixels, trace=True)
    assert np.array_equal(loaded_logits, logits)
    assert list(loaded_trace) == list(trace)
    for name, values in trace.items():
        assert np.array_equal(loaded_trace[name], values), name


def test_float_graph_is_refused(tiny_net, tmp_path):
    graph = graph_upto(copy.deepcopy(tiny_net), CompileConfig(), "choose_formats")
    with pytest.raises(BnnHlsError) as error:
        save_graph(graph, tmp_path)
    assert str(error.value) == "layer 'bn1': IR serialisation does not support ScaleShift nodes"


@pytest.fixture(scope="module")
def saved(tmp_path_factory, request):
    directory = tmp_path_factory.mktemp("saved_ir")
    save_graph(request.getfixturevalue("tiny_compiled").graph, directory)
    return directory


def edit_json(path, change):
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document))


def drop_array(path, key):
    with np.load(path) as weights:
        kept = {name: weights[name] for name in weights.files if name != key}
    np.savez(path, **kept)


def set_attribute(layer, name, value):
    def change(document):
        (node,) = (n for n in document["nodes"] if n["name"] == layer)
        node["attributes"][name] = value
    return change


BAD_FILES = [
    ("no ir.json", lambda d: (d / "ir.json").unlink(),
     "{d}/ir.json: no such file; run 'bnn-hls compile' first"),
    ("no weights.npz", lambda d: (d / "weights.npz").unlink(),
     "{d}/weights.npz: no such file; run 'bnn-hls compile' first"),
    ("bad JSON", lambda d: (d / "ir.json").write_text('{"format_version": 1,'),
     "{d}/ir.json: not valid JSON (Expecting property name enclosed in double quotes: "
     "line 1 column 22 (char 21))"),
    ("corrupt npz", lambda d: (d / "weights.npz").write_bytes(b"PK\x03\x04 broken"),
     "{d}/weights.npz: not a readable .npz archive"),
    ("unknown version",
     lambda d: edit_json(d / "ir.json", lambda doc: doc.update(format_version=2)),
     "{d}/ir.json: format_version 2 is not supported (this bnn-hls reads version 1)"),
    ("no nodes", lambda d: edit_json(d / "ir.json", lambda doc: doc.pop("nodes")),
     "{d}/ir.json: missing key 'nodes'"),
    ("missing array", lambda d: drop_array(d / "weights.npz", "conv1/weight"),
     "{d}/weights.npz: missing array 'conv1/weight'"),
    ("missing attribute",
     lambda d: edit_json(d / "ir.json", lambda doc: doc["nodes"][1]["attributes"].pop("pad")),
     "{d}/ir.json: nodes[1] (layer 'conv1') attributes: missing key 'pad'"),
    ("unknown attribute",
     lambda d: edit_json(d / "ir.json", set_attribute("conv1", "dilation", 2)),
     "{d}/ir.json: nodes[1] (layer 'conv1'): unknown attribute 'dilation'"),
    ("float node type",
     lambda d: edit_json(d / "ir.json", lambda doc: doc["nodes"][2].update(type="BatchNorm")),
     "{d}/ir.json: nodes[2] (layer 'bn1'): node type 'BatchNorm' is not an integer IR node"),
    ("unknown format",
     lambda d: edit_json(d / "ir.json", lambda doc: doc["tensors"][0]["format"].update(
         type="Float")),
     "{d}/ir.json: tensors[0] format: unknown format type 'Float'"),
    ("malformed shape",
     lambda d: edit_json(d / "ir.json", lambda doc: doc["tensors"][0].update(shape=7)),
     "{d}/ir.json: tensors[0]: malformed entry ('int' object is not iterable)"),
    ("unknown tensor",
     lambda d: edit_json(d / "ir.json", lambda doc: doc["nodes"][1].update(inputs=["nowhere"])),
     "{d}/ir.json: layer 'conv1': unknown tensor 'nowhere'"),
]


@pytest.mark.parametrize("damage, expected", [case[1:] for case in BAD_FILES],
                         ids=[case[0] for case in BAD_FILES])
def test_bad_files_are_one_line(saved, tmp_path, damage, expected):
    directory = tmp_path / "ir"
    shutil.copytree(saved, directory)
    damage(directory)
    with pytest.raises(BnnHlsError) as error:
        load_graph(directory)
    assert str(error.value) == expected.format(d=directory)
