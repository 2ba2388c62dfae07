"""Folding: how many output channels (PE) and input elements (SIMD) each matrix-vector unit
computes per cycle. Given per layer in YAML, or chosen to balance layers for a target
cycles-per-image with the fewest lanes, under the cycle model of the backend that will
implement it (a window generator or a pool costs differently in RTL and in HLS)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from bnn_hls.compiler import ir
from bnn_hls.errors import BnnHlsError
from bnn_hls.hw.intervals import ceil_div
from bnn_hls.yaml_file import load_yaml


@dataclass(frozen=True)
class Fold:
    pe: int
    simd: int


class WindowCosts(Protocol):
    """The part of a backend's cycle model that folding needs."""

    def window_cycles(self, kernel: int) -> int:
        """Least cycles per output pixel of a k x k window generator, whatever its SIMD."""

    def pool_cycles_per_beat(self, kernel: int) -> int:
        """Cycles per output beat of a k x k window pool."""


@dataclass(frozen=True)
class MvuShape:
    """One matrix-vector layer: ``out_pixels`` dot products of ``fan_in`` by ``out_channels``,
    fed by a ``kernel`` x ``kernel`` window generator (``None``: a plain vector) and optionally
    followed by a max pool of ``pool_kernel`` emitting ``pool_pixels`` pixels in the MVU's
    lanes."""

    name: str
    out_pixels: int
    fan_in: int
    out_channels: int
    kernel: int | None
    pool_kernel: int | None = None
    pool_pixels: int = 0

    def cycles(self, fold: Fold, costs: WindowCosts) -> int:
        folds = ceil_div(self.out_channels, fold.pe)
        per_pixel = ceil_div(self.fan_in, fold.simd) * folds
        if self.kernel is not None:
            per_pixel = max(per_pixel, costs.window_cycles(self.kernel))
        pool = 0
        if self.pool_kernel is not None:
            pool = self.pool_pixels * folds * costs.pool_cycles_per_beat(self.pool_kernel)
        return max(self.out_pixels * per_pixel, pool)

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
            pool = _following_max_pool(graph, node)
            pool_pixels = 0 if pool is None else _pixels(graph.tensors[pool.output])
            shapes.append(MvuShape(node.name, pixels, int(node.weight[0].size), out.channels,
                                   node.kernel if node.kernel > 1 else None,
                                   None if pool is None else pool.kernel, pool_pixels))
        elif isinstance(node, ir.Linear):
            shapes.append(MvuShape(node.name, 1, node.weight.shape[1], out.channels, None))
    return shapes


def _pixels(tensor: ir.Tensor) -> int:
    return tensor.shape[1] * tensor.shape[2]


def _following_max_pool(graph: ir.Graph, conv: ir.Conv) -> ir.MaxPool | None:
    """The stem's max pool runs after its affine, in the MVU's lanes."""
    for affine in graph.consumers(conv.output):
        for node in graph.consumers(affine.output):
            if isinstance(node, ir.MaxPool):
                return node
    return None


def _divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def fold_candidates(shape: MvuShape) -> list[Fold]:
    """Every fold of divisors (so no lane idles)."""
    return [Fold(pe, simd) for pe in _divisors(shape.out_channels)
            for simd in _divisors(shape.fan_in)]


def fold_for_target(shape: MvuShape, target_cycles: int, costs: WindowCosts) -> Fold:
    """The fold with the fewest PE*SIMD lanes meeting the target; the fastest fold when none
    meets it."""
    candidates = fold_candidates(shape)
    meeting = [f for f in candidates if shape.cycles(f, costs) <= target_cycles]
    if meeting:
        return min(meeting, key=lambda f: (f.pe * f.simd, shape.cycles(f, costs), f.pe))
    return min(candidates, key=lambda f: (shape.cycles(f, costs), f.pe * f.simd))


def auto_folding(graph: ir.Graph, target_cycles: int, costs: WindowCosts) -> dict[str, Fold]:
    return {s.name: fold_for_target(s, target_cycles, costs) for s in mvu_shapes(graph)}


def ideal_cycles(graph: ir.Graph, folding: dict[str, Fold]) -> int:
    """max over layers of MACs / (PE*SIMD): the best cycles-per-image the folding allows."""
    return max(ceil_div(s.macs, folding[s.name].pe * folding[s.name].simd)
               for s in mvu_shapes(graph))


def load_folding(path: str | Path, graph: ir.Graph, target_cycles: int,
                 costs: WindowCosts) -> dict[str, Fold]:
    """Per-layer {pe, simd} from YAML; layers not named there are folded automatically."""
    data = load_yaml(path, "folding config") or {}
    if not isinstance(data, dict):
        raise BnnHlsError(f"{path}: expected a mapping {{layer: {{pe: N, simd: N}}}}")
    folding = auto_folding(graph, target_cycles, costs)
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
