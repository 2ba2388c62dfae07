"""Folding: how many output channels (PE) and input elements (SIMD) each matrix-vector unit
computes per cycle. Given per layer in YAML, or chosen to balance layers for a target
cycles-per-image with the fewest lanes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bnn_hls.compiler import ir
from bnn_hls.errors import BnnHlsError
from bnn_hls.yaml_file import load_yaml


@dataclass(frozen=True)
class Fold:
    pe: int
    simd: int


@dataclass(frozen=True)
class MvuShape:
    """One matrix-vector layer: ``out_pixels`` dot products of ``fan_in`` by ``out_channels``."""

    name: str
    out_pixels: int
    fan_in: int
    out_channels: int
    window_cycles: int  # the sliding-window generator's floor per output pixel (k, or 1)
    pool_cycles_per_fold: int = 0  # a following max pool: k cycles per output beat

    def cycles(self, fold: Fold) -> int:
        folds = -(-self.out_channels // fold.pe)
        per_pixel = -(-self.fan_in // fold.simd) * folds
        return max(self.out_pixels * max(per_pixel, self.window_cycles),
                   self.pool_cycles_per_fold * folds)

    @property
    def macs(self) -> int:
        return self.out_pixels * self.fan_in * self.out_channels


def mvu_shapes(graph: ir.Graph) -> list[MvuShape]:
    shapes = []
    for node in graph.nodes:
        out = graph.tensors[node.output]
        pixels = out.shape[1] * out.shape[2] if len(out.shape) == 3 else 1
        if isinstance(node, ir.BinaryConv):
            shapes.append(MvuShape(node.name, pixels, node.fan_in, out.channels, node.kernel))
        elif isinstance(node, ir.Conv):
            fan_in = int(node.weight[0].size)
            shapes.append(MvuShape(node.name, pixels, fan_in, out.channels, node.kernel,
                                   _pool_cycles_per_fold(graph, node)))
        elif isinstance(node, ir.Linear):
            shapes.append(MvuShape(node.name, 1, node.weight.shape[1], out.channels, 1))
    return shapes


def _pool_cycles_per_fold(graph: ir.Graph, conv: ir.Conv) -> int:
    """The stem's max pool (after its affine) emits one beat per k cycles."""
    (affine,) = graph.consumers(conv.output)
    pools = [n for n in graph.consumers(affine.output) if isinstance(n, ir.MaxPool)]
    if not pools:
        return 0
    _, height, width = graph.tensors[pools[0].output].shape
    return height * width * pools[0].kernel


def _divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def fold_for_target(shape: MvuShape, target_cycles: int) -> Fold:
    """The fold with the fewest PE*SIMD lanes meeting the target (divisors only, so no lane
    idles); the fastest fold when none meets it."""
    candidates = [Fold(pe, simd) for pe in _divisors(shape.out_channels)
                  for simd in _divisors(shape.fan_in)]
    meeting = [f for f in candidates if shape.cycles(f) <= target_cycles]
    if meeting:
        return min(meeting, key=lambda f: (f.pe * f.simd, shape.cycles(f), f.pe))
    return min(candidates, key=lambda f: (shape.cycles(f), f.pe * f.simd))


def auto_folding(graph: ir.Graph, target_cycles: int) -> dict[str, Fold]:
    return {s.name: fold_for_target(s, target_cycles) for s in mvu_shapes(graph)}


def ideal_cycles(graph: ir.Graph, folding: dict[str, Fold]) -> int:
    """max over layers of MACs / (PE*SIMD): the best cycles-per-image the folding allows."""
    return max(-(-s.macs // (folding[s.name].pe * folding[s.name].simd))
               for s in mvu_shapes(graph))


def load_folding(path: str | Path, graph: ir.Graph, target_cycles: int) -> dict[str, Fold]:
    """Per-layer {pe, simd} from YAML; layers not named there are folded automatically."""
    data = load_yaml(path, "folding config") or {}
    if not isinstance(data, dict):
        raise BnnHlsError(f"{path}: expected a mapping {{layer: {{pe: N, simd: N}}}}")
    folding = auto_folding(graph, target_cycles)
    shapes = {s.name: s for s in mvu_shapes(graph)}
    for layer, entry in data.items():
        if layer not in shapes:
            raise BnnHlsError(f"{path}: '{layer}' is not a matrix-vector layer "
                              f"(layers: {', '.join(shapes)})")
        if not isinstance(entry, dict) or set(entry) - {"pe", "simd"} or any(
                isinstance(v, bool) or not isinstance(v, int) for v in entry.values()):
            raise BnnHlsError(f"{path}: {layer}: expected {{pe: N, simd: N}} with integers")
        fold = Fold(entry.get("pe", folding[layer].pe), entry.get("simd", folding[layer].simd))
        shape = shapes[layer]
        if not (1 <= fold.pe <= shape.out_channels and 1 <= fold.simd <= shape.fan_in):
            raise BnnHlsError(f"{path}: {layer}: pe must be in 1..{shape.out_channels} and "
                              f"simd in 1..{shape.fan_in}")
        folding[layer] = fold
    return folding
