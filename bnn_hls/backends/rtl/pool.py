"""Pooling tiles on fixed-point streams: windowed max / sum on the shared row buffer, and the
global sum."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from bnn_hls.backends.rtl.cycles import pool_latency
from bnn_hls.backends.rtl.swg import RowBuffer
from bnn_hls.backends.rtl.tiles import Tile, counter_bits, render_tile, with_helpers
from bnn_hls.hw.intervals import Interval
from bnn_hls.hw.reduction_tree import ReductionTree
from bnn_hls.hw.stages import GlobalSumStage, PoolStage
from bnn_hls.hw.technology import Technology
from bnn_hls.hw.timing import RtlTiming


@dataclass(frozen=True)
class PoolTile(Tile):
    """Throughput: one output beat per ``kernel`` cycles. Latency (cycles.py): the row
    buffer's, then ``tree_stages`` ranks in the column tree and the running fold."""

    stage: PoolStage
    tree_stages: int = 0
    technology: Technology = Technology.GENERIC

    prefix: ClassVar[str] = "pool"

    @classmethod
    def for_timing(cls, stage: PoolStage, timing: RtlTiming) -> PoolTile:
        return cls(stage, timing.pool_tree_stages(stage.kernel))

    def __post_init__(self):
        _ = self.row_buffer, self.tree

    @property
    def row_buffer(self) -> RowBuffer:
        s = self.stage
        return RowBuffer(s.lanes * s.in_width, s.folds, s.shape, self.technology)

    @property
    def tree(self) -> ReductionTree:
        """The tree reducing a window column's ``kernel`` taps."""
        return ReductionTree(self.stage.kernel, self.tree_stages)

    def render(self, instance: str) -> str:
        module = self.module_name(instance)
        lines = f"{module}_lines"
        main = render_tile("pool_window.sv.j2", module=module, lines_module=lines,
                           p=self.stage, lowest=Interval.of_width(self.stage.in_width).lo,
                           tree=self.tree, latency=pool_latency(self.stage, self.tree_stages))
        return with_helpers(main, *self.row_buffer.render(lines))


@dataclass(frozen=True)
class GlobalSumTile(Tile):
    """The image's last pixel adds its beats to the sums and sends them on (latency
    GLOBAL_SUM_LATENCY)."""

    stage: GlobalSumStage

    prefix: ClassVar[str] = "global_sum"

    def render(self, instance: str) -> str:
        s = self.stage
        return render_tile("pool_global.sv.j2", module=self.module_name(instance), p=s,
                           fold_w=counter_bits(s.folds), pixel_w=counter_bits(s.pixels))
