"""Save and load a fully lowered integer IR graph: OUTDIR/ir.json and OUTDIR/weights.npz.

``ir.json`` holds the structure: the graph's name, input and output; every tensor's shape,
format, worst-case interval and lsb; every node's type, name, inputs, output and scalar
attributes. An array attribute is ``{"array": "<node>/<attribute>"}``, a key of the
uncompressed ``weights.npz``, so dtypes and values come back exactly.
"""

from __future__ import annotations

import dataclasses
import json
import typing
import zipfile
from pathlib import Path

import numpy as np

from bnn_hls.compiler import ir
from bnn_hls.compiler.formats import Format
from bnn_hls.errors import BnnHlsError

FORMAT_VERSION = 1
IR_FILE = "ir.json"
WEIGHTS_FILE = "weights.npz"

_NODE_TYPES = {cls.__name__: cls for cls in ir.INTEGER_NODES}
_FORMAT_TYPES = {cls.__name__: cls for cls in typing.get_args(Format)}
_NODE_BASE_FIELDS = {f.name for f in dataclasses.fields(ir.Node)}


# ------------------------------------------------------------------------------------ save
def save_graph(graph: ir.Graph, outdir: str | Path) -> None:
    """Write ``ir.json`` and ``weights.npz`` into ``outdir``."""
    arrays: dict[str, np.ndarray] = {}
    document = {
        "format_version": FORMAT_VERSION, "name": graph.name, "input": graph.input,
        "output": graph.output,
        "tensors": [_tensor_entry(tensor) for tensor in graph.tensors.values()],
        "nodes": [_node_entry(node, arrays) for node in graph.nodes],
    }
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    (outdir / IR_FILE).write_text(json.dumps(document, indent=1) + "\n")
    np.savez(outdir / WEIGHTS_FILE, **arrays)


def _tensor_entry(tensor: ir.Tensor) -> dict:
    fmt = None
    if tensor.fmt is not None:
        fields = dataclasses.asdict(tensor.fmt)
        fmt = {"type": type(tensor.fmt).__name__} | {k: _json_value(v) for k, v in fields.items()}
    return {"name": tensor.name, "shape": list(tensor.shape), "format": fmt,
            "interval": _json_value(tensor.interval),
            "lsb": None if tensor.lsb is None else tensor.lsb.tolist()}


def _node_entry(node: ir.Node, arrays: dict[str, np.ndarray]) -> dict:
    if type(node) not in ir.INTEGER_NODES:
        raise ir.unsupported(node, "IR serialisation")
    attributes = {}
    for name in _attribute_names(type(node)):
        value = getattr(node, name)
        if isinstance(value, np.ndarray):
            key = f"{node.name}/{name}"
            arrays[key] = value
            attributes[name] = {"array": key}
        else:
            attributes[name] = _json_value(value)
    return {"type": type(node).__name__, "name": node.name, "inputs": list(node.inputs),
            "output": node.output, "attributes": attributes}


def _attribute_names(cls: type) -> list[str]:
    return [f.name for f in dataclasses.fields(cls) if f.name not in _NODE_BASE_FIELDS]


def _json_value(value):
    """Scalars as JSON scalars, tuples (intervals) as lists."""
    if isinstance(value, tuple):
        return [_json_value(v) for v in value]
    return value.item() if isinstance(value, np.generic) else value


# ------------------------------------------------------------------------------------ load
def load_graph(outdir: str | Path) -> ir.Graph:
    """Rebuild the graph ``save_graph`` wrote into ``outdir``."""
    ir_path, weights_path = Path(outdir) / IR_FILE, Path(outdir) / WEIGHTS_FILE
    document = _read_json(ir_path)
    version = _get(document, "format_version", ir_path)
    if version != FORMAT_VERSION:
        raise BnnHlsError(f"{ir_path}: format_version {version!r} is not supported (this "
                          f"bnn-hls reads version {FORMAT_VERSION})")
    tensors = {}
    for index, entry in enumerate(_get(document, "tensors", ir_path)):
        tensor = _parse_entry(_tensor, entry, f"{ir_path}: tensors[{index}]")
        tensors[tensor.name] = tensor
    with _open_weights(weights_path) as weights:
        nodes = [_parse_entry(_node, entry, f"{ir_path}: nodes[{index}]", weights,
                              weights_path)
                 for index, entry in enumerate(_get(document, "nodes", ir_path))]
    graph = ir.Graph(tensors, nodes, _get(document, "input", ir_path),
                     _get(document, "output", ir_path), _get(document, "name", ir_path))
    _check_tensor_names(graph, ir_path)
    return graph


def _read_json(path: Path):
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise BnnHlsError(f"{path}: no such file; run 'bnn-hls compile' first") from None
    except ValueError as exc:  # also a UnicodeDecodeError
        raise BnnHlsError(f"{path}: not valid JSON ({exc})") from None


def _open_weights(path: Path):
    try:
        return np.load(path)
    except FileNotFoundError:
        raise BnnHlsError(f"{path}: no such file; run 'bnn-hls compile' first") from None
    except (OSError, EOFError, ValueError, zipfile.BadZipFile):
        raise BnnHlsError(f"{path}: not a readable .npz archive") from None


def _get(entry, key: str, where):
    """entry[key], or one error naming the file (and entry) and the missing key."""
    if not isinstance(entry, dict) or key not in entry:
        raise BnnHlsError(f"{where}: missing key '{key}'")
    return entry[key]


def _parse_entry(parse, entry, where: str, *args):
    """``parse(entry, where, *args)``; a value of the wrong type is one error naming it."""
    try:
        return parse(entry, where, *args)
    except (TypeError, ValueError) as exc:
        raise BnnHlsError(f"{where}: malformed entry ({exc})") from None


def _tensor(entry: dict, where: str) -> ir.Tensor:
    fmt_entry, interval, lsb = (_get(entry, key, where) for key in ("format", "interval", "lsb"))
    return ir.Tensor(name=str(_get(entry, "name", where)),
                     shape=tuple(int(size) for size in _get(entry, "shape", where)),
                     fmt=None if fmt_entry is None else _format(fmt_entry, f"{where} format"),
                     lsb=None if lsb is None else np.array(lsb, dtype=np.float64),
                     interval=None if interval is None else tuple(int(v) for v in interval))


def _format(entry: dict, where: str) -> Format:
    kind = _get(entry, "type", where)
    if kind not in _FORMAT_TYPES:
        raise BnnHlsError(f"{where}: unknown format type '{kind}'")
    cls = _FORMAT_TYPES[kind]
    return cls(**{f.name: _get(entry, f.name, where) for f in dataclasses.fields(cls)})


def _node(entry: dict, where: str, weights, weights_path: Path) -> ir.Node:
    name = _get(entry, "name", where)
    where = f"{where} (layer '{name}')"
    kind = _get(entry, "type", where)
    if kind not in _NODE_TYPES:
        raise BnnHlsError(f"{where}: node type '{kind}' is not an integer IR node")
    cls = _NODE_TYPES[kind]
    attributes = _get(entry, "attributes", where)
    unknown = sorted(set(attributes) - set(_attribute_names(cls)))
    if unknown:
        raise BnnHlsError(f"{where}: unknown attribute '{unknown[0]}'")
    values = {attribute: _attribute(_get(attributes, attribute, f"{where} attributes"),
                                    f"{where} attribute '{attribute}'", weights, weights_path)
              for attribute in _attribute_names(cls)}
    return cls(name=name, inputs=tuple(_get(entry, "inputs", where)),
               output=_get(entry, "output", where), **values)


def _attribute(value, where: str, weights, weights_path: Path):
    if isinstance(value, dict):
        key = _get(value, "array", where)
        if key not in weights.files:
            raise BnnHlsError(f"{weights_path}: missing array '{key}'")
        return weights[key]
    return tuple(value) if isinstance(value, list) else value


def _check_tensor_names(graph: ir.Graph, path: Path) -> None:
    """Every name the graph and its nodes use is one of its tensors."""
    uses = [("input", graph.input), ("output", graph.output)]
    uses += [(f"layer '{node.name}'", name) for node in graph.nodes
             for name in node.inputs + (node.output,)]
    for where, name in uses:
        if name not in graph.tensors:
            raise BnnHlsError(f"{path}: {where}: unknown tensor '{name}'")
