"""The one interval/width engine: closed integer ranges and the widths that hold them.

Every datapath width of the hardware comes from a range derived from the IR's proven
intervals, so no intermediate can overflow.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bnn_hls.compiler.formats import bits_for_range, rshift_round


def clog2(n: int) -> int:
    """ceil(log2(n)) for n >= 1."""
    return (n - 1).bit_length()


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def last_fold_size(total: int, per_fold: int) -> int:
    """Items in the last of ceil(total / per_fold) folds."""
    return total - (ceil_div(total, per_fold) - 1) * per_fold


@dataclass(frozen=True)
class Interval:
    """The closed integer range a signal can take."""

    lo: int
    hi: int

    @classmethod
    def of_width(cls, width: int, signed: bool = True) -> Interval:
        if not signed:
            return cls(0, (1 << width) - 1)
        return cls(-(1 << (width - 1)), (1 << (width - 1)) - 1)

    @classmethod
    def hull(cls, values: Iterable[int]) -> Interval:
        values = [int(v) for v in values]
        return cls(min(values), max(values))

    @classmethod
    def cover(cls, ranges: Iterable[Interval]) -> Interval:
        """The smallest interval containing all of ``ranges``."""
        ranges = list(ranges)
        return cls(min(r.lo for r in ranges), max(r.hi for r in ranges))

    @property
    def width(self) -> int:
        """Bits of the smallest two's-complement signal holding every value."""
        return bits_for_range(self.lo, self.hi)

    def with_zero(self) -> Interval:
        """The range together with 0 (a sum's start, a masked element)."""
        return Interval(min(self.lo, 0), max(self.hi, 0))

    def __add__(self, other: Interval) -> Interval:
        return Interval(self.lo + other.lo, self.hi + other.hi)

    def times(self, factor: int) -> Interval:
        return Interval.hull((self.lo * factor, self.hi * factor))

    def rshift_round(self, shift: int) -> Interval:
        """Image under formats.rshift_round (monotonic, so the ends map to the ends)."""
        return Interval(int(rshift_round(self.lo, shift)), int(rshift_round(self.hi, shift)))

    def floor_shift(self, shift: int) -> Interval:
        """Image under an arithmetic right shift (floor division by 2**shift)."""
        return Interval(self.lo >> shift, self.hi >> shift)

    def within(self, other: Interval) -> bool:
        return other.lo <= self.lo and self.hi <= other.hi


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
