"""Pointwise tiles on fixed-point streams: per-channel affine, binariser, shortcut adder.

All take LANES channels per beat, channel fold innermost (beat f of a pixel carries channels
f*LANES .. f*LANES+LANES-1; lanes past the last channel are don't-care and come out as such).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from bnn_hls.backends.rtl.tiles import (
    Interval,
    StreamFifoParams,
    StreamPort,
    Tile,
    ceil_div,
    counter_bits,
    hex_literal,
    render_tile,
    with_helpers,
)
from bnn_hls.compiler.formats import Fixed, Integer


@dataclass(frozen=True)
class Saturation:
    """A computed value range against an output range: which sides must clamp."""

    value: Interval
    out: Interval

    @property
    def clamp_lo(self) -> bool:
        return self.value.lo < self.out.lo

    @property
    def clamp_hi(self) -> bool:
        return self.value.hi > self.out.hi


@dataclass(frozen=True)
class AffineParams(Tile):
    """ops.affine then formats.saturate: out[c] = sat(rshift_round(mult[c]*x + bias[c], shift)).

    Input: ``lanes`` signed ``in_width``-bit values per beat, taking values in ``in_range``
    (default: the whole width); every internal width is sized from that range, so nothing
    overflows. Output: ``out_format``'s width, saturated to it, or with ``out_format=None``
    the width of the exact result range; ``binarise`` emits the sign bit (result >= 0) only.
    Latency 2 cycles (multiply, then add/shift/saturate); tready follows m_axis_tready.
    """

    channels: int
    lanes: int
    in_width: int
    mult: Sequence[int]
    bias: Sequence[int]
    shift: int
    out_format: Fixed | Integer | None = None
    binarise: bool = False
    in_range: Interval | None = None

    prefix: ClassVar[str] = "affine"

    def __post_init__(self):
        object.__setattr__(self, "mult", tuple(int(m) for m in self.mult))
        object.__setattr__(self, "bias", tuple(int(b) for b in self.bias))
        if self.in_range is None:
            object.__setattr__(self, "in_range", Interval.of_width(self.in_width))
        if len(self.mult) != self.channels or len(self.bias) != self.channels:
            raise ValueError(f"need {self.channels} multipliers and biases")
        if self.shift < 0:
            raise ValueError(f"shift must be >= 0, got {self.shift}")
        if not self.in_range.within(Interval.of_width(self.in_width)):
            raise ValueError(f"input range {self.in_range} does not fit {self.in_width} bits")

    @property
    def folds(self) -> int:
        return ceil_div(self.channels, self.lanes)

    def _padded(self, values: tuple[int, ...]) -> list[int]:
        return list(values) + [0] * (self.folds * self.lanes - self.channels)

    @property
    def rounded_bias(self) -> list[int]:
        """bias + 2**(shift-1): the rounding half of rshift_round folded into the constant."""
        half = (1 << (self.shift - 1)) if self.shift else 0
        return [b + half for b in self._padded(self.bias)]

    @property
    def product(self) -> Interval:
        return Interval.cover(self.in_range.times(m) for m in self._padded(self.mult))

    @property
    def total(self) -> Interval:
        """mult*x + rounded bias over every channel."""
        return Interval.cover(self.in_range.times(m) + Interval(b, b) for m, b in
                              zip(self._padded(self.mult), self.rounded_bias, strict=True))

    @property
    def sum_w(self) -> int:
        return max(self.total.width, self.shift + 1)  # keep >= 1 bit after the shift

    @property
    def shifted(self) -> Interval:
        return Interval(self.total.lo >> self.shift, self.total.hi >> self.shift)

    @property
    def saturation(self) -> Saturation:
        out = self.shifted if self.out_format is None else Interval(self.out_format.lo,
                                                                    self.out_format.hi)
        return Saturation(self.shifted, out)

    @property
    def out_width(self) -> int:
        if self.binarise:
            return 1
        return self.shifted.width if self.out_format is None else self.out_format.width

    def ports(self) -> tuple[StreamPort, ...]:
        return (StreamPort("s_axis", self.lanes * self.in_width, True),
                StreamPort("m_axis", self.lanes * self.out_width, False))

    def render(self, instance: str) -> str:
        mult_w = Interval.hull(self._padded(self.mult)).width
        bias_w = Interval.hull(self.rounded_bias).width
        return render_tile(
            "affine.v.j2", module=self.module_name(instance), p=self,
            fold_w=counter_bits(self.folds), mult_w=mult_w, bias_w=bias_w,
            prod_w=self.product.width, sum_w=self.sum_w, sat=self.saturation,
            mults=[hex_literal(m, mult_w) for m in self._padded(self.mult)],
            biases=[hex_literal(b, bias_w) for b in self.rounded_bias])


@dataclass(frozen=True)
class BinariseParams(Tile):
    """Fixed-point stream -> binary stream, bit = (x >= 0), i.e. the inverted MSB.

    Packs the ``folds`` beats of a pixel into one beat of ``channels`` bits, the layout the
    SWG takes. Latency 1 cycle after a pixel's last beat.
    """

    channels: int
    lanes: int
    in_width: int

    prefix: ClassVar[str] = "binarise"

    @property
    def folds(self) -> int:
        return ceil_div(self.channels, self.lanes)

    def ports(self) -> tuple[StreamPort, ...]:
        return (StreamPort("s_axis", self.lanes * self.in_width, True),
                StreamPort("m_axis", self.channels, False))

    def render(self, instance: str) -> str:
        return render_tile("affine_binarise.v.j2", module=self.module_name(instance), p=self,
                           fold_w=counter_bits(self.folds))


@dataclass(frozen=True)
class ShortcutParams(Tile):
    """ops.add_saturate: out = sat(align(conv, Fc, Fo) + align(skip, Fs, Fo), out_format).

    The skip stream passes a ``skip_depth``-beat FIFO so it can run ahead of the conv branch
    by the conv branch's latency. Latency: 1 cycle from the later of the two operands.
    """

    channels: int
    lanes: int
    conv_format: Fixed
    skip_format: Fixed
    out_format: Fixed
    skip_depth: int

    prefix: ClassVar[str] = "shortcut"

    @property
    def conv_shift(self) -> int:
        return self.conv_format.frac_bits - self.out_format.frac_bits

    @property
    def skip_shift(self) -> int:
        return self.skip_format.frac_bits - self.out_format.frac_bits

    @property
    def aligned_sum(self) -> Interval:
        return (Interval.of_width(self.conv_format.width).rshift_round(self.conv_shift)
                + Interval.of_width(self.skip_format.width).rshift_round(self.skip_shift))

    @property
    def work_w(self) -> int:
        """One width for every intermediate: inputs, +rounding half, aligned operands, sum."""
        ranges = [self.aligned_sum]
        for fmt, shift in ((self.conv_format, self.conv_shift),
                           (self.skip_format, self.skip_shift)):
            raw = Interval.of_width(fmt.width)
            ranges += [raw, raw.rshift_round(shift)]
            if shift > 0:
                ranges.append(raw + Interval(0, 1 << (shift - 1)))
        return max(r.width for r in ranges)

    @property
    def skip_fifo(self) -> StreamFifoParams:
        return StreamFifoParams(self.lanes * self.skip_format.width, self.skip_depth, last=False)

    def ports(self) -> tuple[StreamPort, ...]:
        return (StreamPort("s_conv_axis", self.lanes * self.conv_format.width, True),
                StreamPort("s_skip_axis", self.lanes * self.skip_format.width, True),
                StreamPort("m_axis", self.lanes * self.out_format.width, False))

    def render(self, instance: str) -> str:
        module = self.module_name(instance)
        fifo = f"{module}_skip_fifo"
        out = Interval(self.out_format.lo, self.out_format.hi)
        main = render_tile("shortcut.v.j2", module=module, fifo_module=fifo, p=self,
                           sat=Saturation(self.aligned_sum, out))
        return with_helpers(main, self.skip_fifo.render_module(fifo))
