"""Pooling tiles on fixed-point streams: windowed max / sum on the shared row buffer, and the
global sum."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import ClassVar

from bnn_hls.backends.rtl.swg import WindowGeometry
from bnn_hls.backends.rtl.tiles import (
    Interval,
    StreamPort,
    Tile,
    clog2,
    counter_bits,
    render_tile,
    with_helpers,
)


class PoolKind(enum.Enum):
    MAX = "max"
    SUM = "sum"


@dataclass(frozen=True)
class PoolParams(Tile):
    """Window pooling over a [channels, height, width] stream of signed ``in_width``-bit
    values, ``lanes`` per beat (channel fold innermost), output in the same layout.

    ``PoolKind.MAX``: ops.max_pool (padding taps ignored), ``in_width`` bits out.
    ``PoolKind.SUM``: exact window sum, ``in_width + clog2(kernel**2)`` bits out; with kernel 2,
    stride 2, pad 0 this is ops.avg_pool_sum (odd edges dropped).
    Throughput: one output beat per ``kernel`` cycles. Latency: kernel + 2 cycles from the
    window's last input beat.
    """

    kind: PoolKind
    channels: int
    lanes: int
    in_width: int
    height: int
    width: int
    kernel: int
    stride: int
    pad: int

    prefix: ClassVar[str] = "pool"

    @classmethod
    def avg_pool_sum(cls, channels: int, lanes: int, in_width: int, height: int,
                     width: int) -> PoolParams:
        return cls(PoolKind.SUM, channels, lanes, in_width, height, width, kernel=2, stride=2,
                   pad=0)

    @property
    def is_max(self) -> bool:
        return self.kind is PoolKind.MAX

    @property
    def folds(self) -> int:
        return -(-self.channels // self.lanes)

    @property
    def geometry(self) -> WindowGeometry:
        return WindowGeometry(self.lanes * self.in_width, self.folds, self.height, self.width,
                              self.kernel, self.stride, self.pad)

    @property
    def out_width(self) -> int:
        if self.is_max:
            return self.in_width
        return self.in_width + clog2(self.kernel * self.kernel)

    def ports(self) -> tuple[StreamPort, ...]:
        return (StreamPort("s_axis", self.lanes * self.in_width, True),
                StreamPort("m_axis", self.lanes * self.out_width, False))

    def render(self, instance: str) -> str:
        module = self.module_name(instance)
        lines = f"{module}_lines"
        main = render_tile("pool_window.v.j2", module=module, lines_module=lines, p=self,
                           lowest=Interval.of_width(self.in_width).lo)
        return with_helpers(main, self.geometry.render(lines))


@dataclass(frozen=True)
class GlobalSumParams(Tile):
    """ops.global_sum: per-channel exact sum over height*width pixels.

    In: [channels, height, width], ``lanes`` signed ``in_width``-bit values per beat.
    Out: one pixel per image, the ``folds`` beats of ``in_width + clog2(height*width)``-bit
    sums, emitted as the image's last pixel arrives (latency 1 cycle), tlast on the last.
    """

    channels: int
    lanes: int
    in_width: int
    height: int
    width: int

    prefix: ClassVar[str] = "global_sum"

    @property
    def folds(self) -> int:
        return -(-self.channels // self.lanes)

    @property
    def out_width(self) -> int:
        return self.in_width + clog2(self.height * self.width)

    def ports(self) -> tuple[StreamPort, ...]:
        return (StreamPort("s_axis", self.lanes * self.in_width, True),
                StreamPort("m_axis", self.lanes * self.out_width, False))

    def render(self, instance: str) -> str:
        return render_tile("pool_global.v.j2", module=self.module_name(instance), p=self,
                           fold_w=counter_bits(self.folds),
                           pixel_w=counter_bits(self.height * self.width))
