"""Stream plumbing between tiles: re-folding a pixel's channels to another lane count, and
broadcasting one stream to several consumers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from bnn_hls.backends.rtl.tiles import (
    StreamPort,
    Tile,
    ceil_div,
    clog2,
    counter_bits,
    render_tile,
)


@dataclass(frozen=True)
class WidthConverterParams(Tile):
    """Re-folds each pixel's ``channels`` channels from ``in_lanes`` to ``out_lanes`` lanes of
    ``width`` bits per beat (shared stream layout: channel fold innermost, lanes past the last
    channel are don't-care on input and 0 on output). tlast stays on the image's last beat.

    A lane buffer of ``capacity`` lanes between the two sides lets each run at one beat per
    cycle: ``max(in_folds, out_folds)`` cycles per pixel. Latency 1 cycle; both tready and
    tvalid come from registers.
    """

    channels: int
    in_lanes: int
    out_lanes: int
    width: int

    prefix: ClassVar[str] = "width_converter"

    def __post_init__(self):
        if min(self.channels, self.in_lanes, self.out_lanes, self.width) < 1:
            raise ValueError(f"width converter sizes must be >= 1, got {self}")

    @property
    def in_folds(self) -> int:
        return ceil_div(self.channels, self.in_lanes)

    @property
    def out_folds(self) -> int:
        return ceil_div(self.channels, self.out_lanes)

    @property
    def in_last_lanes(self) -> int:
        """Channels in a pixel's last input beat."""
        return self.channels - (self.in_folds - 1) * self.in_lanes

    @property
    def out_last_lanes(self) -> int:
        """Channels in a pixel's last output beat (its other lanes carry 0)."""
        return self.channels - (self.out_folds - 1) * self.out_lanes

    @property
    def capacity(self) -> int:
        """Buffer lanes. An input beat enters while at most capacity - in_lanes are held; with
        this many, whenever the input side must wait at least 2*out_lanes are held, so the
        output side never does (and vice versa)."""
        return self.in_lanes + 2 * self.out_lanes - 1

    @property
    def cycles_per_pixel(self) -> int:
        return max(self.in_folds, self.out_folds)

    def ports(self) -> tuple[StreamPort, ...]:
        return (StreamPort("s_axis", self.in_lanes * self.width, True),
                StreamPort("m_axis", self.out_lanes * self.width, False))

    def render(self, instance: str) -> str:
        return render_tile("width_converter.v.j2", module=self.module_name(instance), p=self,
                           fill_w=clog2(self.capacity + 1),
                           in_fold_w=counter_bits(self.in_folds),
                           out_fold_w=counter_bits(self.out_folds))


@dataclass(frozen=True)
class StreamForkParams(Tile):
    """Broadcasts every beat of ``s_axis`` to ``m0_axis`` .. ``m<outputs-1>_axis``.

    The input beat completes once every output has taken it; each output may take it in a
    different cycle (per-output 'taken' flags), none twice. No registers on the data path:
    latency 0, tvalid of each output follows s_axis_tvalid, s_axis_tready waits for the last
    output to take the beat.
    """

    width: int
    outputs: int = 2

    prefix: ClassVar[str] = "stream_fork"

    def __post_init__(self):
        if self.width < 1 or self.outputs < 2:
            raise ValueError(f"stream fork needs width >= 1 and outputs >= 2, got {self}")

    def ports(self) -> tuple[StreamPort, ...]:
        return (StreamPort("s_axis", self.width, True),
                *(StreamPort(f"m{i}_axis", self.width, False) for i in range(self.outputs)))

    def render(self, instance: str) -> str:
        return render_tile("stream_fork.v.j2", module=self.module_name(instance), p=self)
