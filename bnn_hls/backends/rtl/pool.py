"""Pooling tiles on fixed-point streams: windowed max / sum on the shared row buffer, and the
global sum."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from bnn_hls.backends.rtl.swg import RowBuffer
from bnn_hls.backends.rtl.tiles import Tile, counter_bits, render_tile, with_helpers
from bnn_hls.hw.intervals import Interval
from bnn_hls.hw.stages import GlobalSumStage, PoolStage


@dataclass(frozen=True)
class PoolTile(Tile):
    """Throughput: one output beat per ``kernel`` cycles. Latency: kernel + 2 cycles from the
    window's last input beat."""

    stage: PoolStage

    prefix: ClassVar[str] = "pool"

    def __post_init__(self):
        _ = self.row_buffer

    @property
    def row_buffer(self) -> RowBuffer:
        s = self.stage
        return RowBuffer(s.lanes * s.in_width, s.folds, s.shape)

    def render(self, instance: str) -> str:
        module = self.module_name(instance)
        lines = f"{module}_lines"
        main = render_tile("pool_window.sv.j2", module=module, lines_module=lines,
                           p=self.stage, lowest=Interval.of_width(self.stage.in_width).lo)
        return with_helpers(main, self.row_buffer.render(lines))


@dataclass(frozen=True)
class GlobalSumTile(Tile):
    """The image's last pixel adds its beats to the sums and sends them on (latency 1)."""

    stage: GlobalSumStage

    prefix: ClassVar[str] = "global_sum"

    def render(self, instance: str) -> str:
        s = self.stage
        return render_tile("pool_global.sv.j2", module=self.module_name(instance), p=s,
                           fold_w=counter_bits(s.folds), pixel_w=counter_bits(s.pixels))
