"""Shared pieces of the streaming RTL tiles: the tile interface, stream packing, value ranges.

Every tile is a frozen dataclass of its parameters; ``render(instance)`` returns Verilog whose
module is ``module_name(instance)`` (plus any helper modules, named after it), with all
constants baked in at render time. ``ports()`` lists its AXI4-Stream ports for whoever wires it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from bnn_hls.backends.render import render
from bnn_hls.compiler.formats import bits_for_range, rshift_round


@dataclass(frozen=True)
class StreamPort:
    """An AXI4-Stream port: ``<name>_tdata/_tvalid/_tready`` (+ ``_tlast`` when ``last``)."""

    name: str
    width: int
    is_input: bool
    last: bool = True


class Tile:
    """Mixin for tile parameter dataclasses."""

    prefix: ClassVar[str]

    def module_name(self, instance: str) -> str:
        return f"{self.prefix}_{instance}"

    def render(self, instance: str) -> str:
        raise NotImplementedError

    def ports(self) -> tuple[StreamPort, ...]:
        raise NotImplementedError


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


class FoldedMvu:
    """Folding arithmetic shared by the binary and the real matrix-vector units: ``fan_in``
    (N) inputs by ``out_channels`` outputs, ``pe`` outputs and ``simd`` inputs per cycle."""

    fan_in: int
    out_channels: int
    pe: int
    simd: int

    @property
    def shape_text(self) -> str:
        return f"N={self.fan_in} Cout={self.out_channels} PE={self.pe} SIMD={self.simd}"

    @property
    def synapse_folds(self) -> int:
        """Input beats per output pixel."""
        return ceil_div(self.fan_in, self.simd)

    @property
    def neuron_folds(self) -> int:
        """Output beats per output pixel."""
        return ceil_div(self.out_channels, self.pe)

    @property
    def last_fold_lanes(self) -> int:
        """Lanes of the last neuron fold that carry a channel (the rest carry zero)."""
        return self.out_channels - (self.neuron_folds - 1) * self.pe

    @property
    def cycles_per_pixel(self) -> int:
        return self.synapse_folds * self.neuron_folds


def clog2(n: int) -> int:
    """ceil(log2(n)) for n >= 1."""
    return (n - 1).bit_length()


def counter_bits(n: int) -> int:
    """Width of a counter over 0..n-1 (at least 1 bit, Verilog has no 0-bit vectors)."""
    return max(1, clog2(n))


def hex_literal(value: int, width: int) -> str:
    """A sized Verilog literal of ``value``'s two's-complement bits, e.g. ``6'h3c`` for -4."""
    return f"{width}'h{value & ((1 << width) - 1):0{-(-width // 4)}x}"


@dataclass(frozen=True)
class Interval:
    """The closed integer range a signal can take; sizes datapaths so nothing overflows."""

    lo: int
    hi: int

    @classmethod
    def of_width(cls, width: int) -> Interval:
        return cls(-(1 << (width - 1)), (1 << (width - 1)) - 1)

    @classmethod
    def hull(cls, values: Iterable[int]) -> Interval:
        values = list(values)
        return cls(min(values), max(values))

    @classmethod
    def cover(cls, ranges: Iterable[Interval]) -> Interval:
        """The smallest interval containing all of ``ranges``."""
        ranges = list(ranges)
        return cls(min(r.lo for r in ranges), max(r.hi for r in ranges))

    @property
    def width(self) -> int:
        return bits_for_range(self.lo, self.hi)

    def __add__(self, other: Interval) -> Interval:
        return Interval(self.lo + other.lo, self.hi + other.hi)

    def times(self, factor: int) -> Interval:
        return Interval.hull((self.lo * factor, self.hi * factor))

    def rshift_round(self, shift: int) -> Interval:
        """Image under formats.rshift_round (monotonic, so the ends map to the ends)."""
        return Interval(int(rshift_round(self.lo, shift)), int(rshift_round(self.hi, shift)))

    def within(self, other: Interval) -> bool:
        return other.lo <= self.lo and self.hi <= other.hi


def signed_literal(value: int, width: int) -> str:
    """A sized signed Verilog literal, e.g. ``-6'sd4``; the most negative value in hex."""
    limits = Interval.of_width(width)
    if not limits.lo <= value <= limits.hi:
        raise ValueError(f"{value} does not fit {width} signed bits")
    if value == limits.lo:  # -(2**(w-1)) has no positive w-bit counterpart to negate
        return f"{width}'sh{1 << (width - 1):x}"
    return f"{'-' if value < 0 else ''}{width}'sd{abs(value)}"


def render_tile(template: str, **context) -> str:
    """Render ``templates/rtl/<template>``; the one place tiles reach the Jinja environment.
    Templates get ``slit(value, width)`` for signed literals."""
    return render(f"rtl/{template}", slit=signed_literal, **context)


def with_helpers(main: str, *helpers: str) -> str:
    """One source text for a tile: its module first, then the helper modules it instantiates
    (exempt from Verilator's one-module-per-file style rule, they belong to the tile)."""
    wrapped = [f"/* verilator lint_off DECLFILENAME */\n{h}/* verilator lint_on DECLFILENAME */\n"
               for h in helpers]
    return "".join([main, *wrapped])


# --- stream packing (tests and top-level simulation) ---------------------------------------


def pack_lanes(values: Sequence[int], width: int) -> int:
    """Lanes little-endian into one tdata word: lane i at bits [i*width +: width]."""
    mask = (1 << width) - 1
    word = 0
    for lane, value in enumerate(values):
        word |= (int(value) & mask) << (lane * width)
    return word


def unpack_lanes(word: int, lanes: int, width: int, signed: bool = True) -> list[int]:
    mask = (1 << width) - 1
    values = [(word >> (lane * width)) & mask for lane in range(lanes)]
    if signed:
        values = [v - (1 << width) if v >> (width - 1) else v for v in values]
    return values


def tensor_beats(x: np.ndarray, lanes: int, width: int) -> list[tuple[int, bool]]:
    """[N, C, H, W] (or [N, C]) integers -> (tdata, tlast) beats of the shared stream layout:
    pixels in raster order, ceil(C/lanes) beats per pixel, tlast on each image's last beat."""
    x = np.asarray(x, dtype=np.int64)
    n, channels = x.shape[:2]
    folds = -(-channels // lanes)
    pixels = np.moveaxis(x.reshape(n, channels, -1), 1, -1)  # [N, H*W, C]
    padded = np.zeros(pixels.shape[:2] + (folds * lanes,), dtype=np.int64)
    padded[..., :channels] = pixels
    beats = []
    for image in padded:
        words = [pack_lanes(group, width) for group in image.reshape(-1, lanes)]
        beats += [(word, i == len(words) - 1) for i, word in enumerate(words)]
    return beats


# --- generic stream FIFO -------------------------------------------------------------------


@dataclass(frozen=True)
class StreamFifoParams(Tile):
    """Synchronous stream FIFO: 1 beat/cycle in and out, registered head (BRAM-friendly).

    Latency 1 cycle; s_axis_tready is "not full" (a register compare, no path from m_axis).
    """

    width: int
    depth: int
    last: bool = True  # carry tlast alongside tdata

    prefix: ClassVar[str] = "stream_fifo"

    def __post_init__(self):
        if self.depth < 2 or self.width < 1:
            raise ValueError(f"stream FIFO needs depth >= 2 and width >= 1, got {self}")

    def ports(self) -> tuple[StreamPort, ...]:
        return (StreamPort("s_axis", self.width, True, self.last),
                StreamPort("m_axis", self.width, False, self.last))

    def render(self, instance: str) -> str:
        return self.render_module(self.module_name(instance))

    def render_module(self, module: str) -> str:
        """Render under an explicit module name (tiles embedding a FIFO name it after them)."""
        return render_tile("stream_fifo.v.j2", module=module, p=self,
                           addr_w=counter_bits(self.depth), count_w=clog2(self.depth + 1))
