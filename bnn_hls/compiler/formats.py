"""Numeric formats carried by every IR tensor, and the integer rounding/saturation rules.

These functions are the arithmetic of ``docs/numerics.md``; the golden model and the Verilog
implement exactly them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Binary:
    """One bit per value: bit 1 means +1, bit 0 means -1."""

    @property
    def width(self) -> int:
        return 1

    def describe(self) -> str:
        return "binary"


@dataclass(frozen=True)
class Fixed:
    """Signed two's-complement fixed point: value = q * 2**-frac_bits, width 1+int+frac bits."""

    int_bits: int
    frac_bits: int

    @property
    def width(self) -> int:
        return 1 + self.int_bits + self.frac_bits

    @property
    def lo(self) -> int:
        return -(1 << (self.width - 1))

    @property
    def hi(self) -> int:
        return (1 << (self.width - 1)) - 1

    def describe(self) -> str:
        return f"fixed<{self.width},{self.int_bits + 1}> (Q{self.int_bits}.{self.frac_bits})"


@dataclass(frozen=True)
class Integer:
    """A plain integer of a stated width: raw pixels, accumulators, pool sums."""

    bits: int
    signed: bool = True

    @property
    def width(self) -> int:
        return self.bits

    @property
    def lo(self) -> int:
        return -(1 << (self.bits - 1)) if self.signed else 0

    @property
    def hi(self) -> int:
        return (1 << (self.bits - 1)) - 1 if self.signed else (1 << self.bits) - 1

    def describe(self) -> str:
        return f"{'int' if self.signed else 'uint'}{self.bits}"


Format = Binary | Fixed | Integer


def bits_for_range(lo: int, hi: int) -> int:
    """Smallest two's-complement width holding every integer in [lo, hi]."""
    bits = 1
    while not (-(1 << (bits - 1)) <= lo and hi <= (1 << (bits - 1)) - 1):
        bits += 1
    return bits


def rshift_round(x: np.ndarray, shift: int) -> np.ndarray:
    """Arithmetic right shift rounding half up: floor((x + 2**(shift-1)) / 2**shift).

    A negative shift is an exact left shift.
    """
    x = np.asarray(x, dtype=np.int64)
    if shift > 0:
        return (x + (1 << (shift - 1))) >> shift
    return x << (-shift)


def saturate(x: np.ndarray, fmt: Fixed | Integer) -> np.ndarray:
    return np.clip(x, fmt.lo, fmt.hi)
