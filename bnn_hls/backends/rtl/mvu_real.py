"""Matrix-vector unit on multi-bit integers: the stem convolution, the downsample 1x1
convolution and the FC layer (ops.real_conv / ops.linear), folded FINN-style.

For each output pixel the unit takes the N input elements as ``ceil(N / simd)`` beats, keeps
them, and loops over the ``ceil(Cout / pe)`` neuron folds, emitting ``pe`` exact dot products
per fold. The weights are baked into the Verilog as a ROM (one row per (neuron fold, synapse
fold) step); every datapath width comes from the input's value range, so nothing overflows.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import ClassVar

import numpy as np

from bnn_hls.backends.rtl.tiles import (
    FoldedMvu,
    Interval,
    StreamPort,
    Tile,
    counter_bits,
    hex_literal,
    render_tile,
)

MAX_WEIGHT_BITS = 16


@dataclass(frozen=True)
class MvuRealParams(FoldedMvu, Tile):
    """out[o] = sum_i W[o, i] * x[i] over N = ``fan_in`` signed ``elem_width``-bit inputs
    with values in ``in_range`` (default: the whole width); ``pe`` outputs and ``simd`` inputs
    per cycle.

    ``weights``: [Cout, N] signed ints of at most 16 bits (build with :meth:`from_weights`;
    a convolution's columns in window order, see :func:`bnn_hls.compiler.ir.window_matrix`).
    ``with_valid``: input beats are {valid[simd], data[simd x elem_width]} as the SWG emits
    them, and elements with valid = 0 contribute 0.
    ``pixels_per_image``: output pixels per image; tlast marks the last beat of each image.
    Streams, latency and the partial last fold are documented in templates/rtl/mvu_real.v.j2.
    """

    weights: tuple[tuple[int, ...], ...]
    pe: int
    simd: int
    elem_width: int
    in_range: Interval | None = None
    with_valid: bool = False
    pixels_per_image: int = 1

    prefix: ClassVar[str] = "mvu_real"

    def __post_init__(self):
        rows = tuple(tuple(int(w) for w in row) for row in np.asarray(self.weights).tolist())
        object.__setattr__(self, "weights", rows)
        if self.in_range is None:
            object.__setattr__(self, "in_range", Interval.of_width(self.elem_width))
        if not rows or not rows[0] or any(len(row) != len(rows[0]) for row in rows):
            raise ValueError("weights must be a non-empty [Cout, N] matrix")
        if min(self.pe, self.simd, self.elem_width, self.pixels_per_image) < 1:
            raise ValueError(f"real MVU sizes must be >= 1: {self.shape_text}")
        if self.weight_width > MAX_WEIGHT_BITS:
            raise ValueError(f"real MVU weights need {self.weight_width} bits, at most "
                             f"{MAX_WEIGHT_BITS} are supported")
        if not self.in_range.within(Interval.of_width(self.elem_width)):
            raise ValueError(f"input range {self.in_range} does not fit {self.elem_width} bits")

    @classmethod
    def from_weights(cls, weights: np.ndarray, pe: int, simd: int, elem_width: int,
                     in_range: Interval | None = None, with_valid: bool = False,
                     pixels_per_image: int = 1) -> MvuRealParams:
        """From a [Cout, N] integer weight matrix (N in the input stream's element order)."""
        weights = np.asarray(weights)
        if weights.ndim != 2 or not np.issubdtype(weights.dtype, np.integer):
            raise ValueError(f"weights must be a 2-D integer array, got {weights.dtype} "
                             f"{weights.shape}")
        return cls(weights, pe, simd, elem_width, in_range, with_valid, pixels_per_image)

    @cached_property
    def matrix(self) -> np.ndarray:
        return np.array(self.weights, dtype=np.int64)

    @property
    def out_channels(self) -> int:
        return len(self.weights)

    @property
    def fan_in(self) -> int:
        return len(self.weights[0])






    @property
    def latency(self) -> int:
        """Cycles from the handshake of a pixel's last input beat to its first output beat
        being valid: operands + ROM row, products, accumulate into the output register."""
        return 3

    @cached_property
    def weight_width(self) -> int:
        return Interval.hull([0, int(self.matrix.min()), int(self.matrix.max())]).width

    @property
    def elem_range(self) -> Interval:
        """What one element contributes a value from: the input range, and 0 (masked
        elements, and the partial sums of an accumulation start from 0)."""
        return Interval.cover([self.in_range, Interval(0, 0)])

    @property
    def product_range(self) -> Interval:
        w = self.matrix
        return Interval.cover([self.elem_range.times(int(w.min())),
                               self.elem_range.times(int(w.max()))])

    @cached_property
    def acc_range(self) -> Interval:
        """The exact worst case of any output channel (and of every partial sum: each term's
        range holds 0). Lanes past Cout are 0."""
        w = self.matrix
        positive = [int(s) for s in np.maximum(w, 0).sum(axis=1)]
        negative = [int(s) for s in np.minimum(w, 0).sum(axis=1)]
        lo, hi = self.elem_range.lo, self.elem_range.hi
        return Interval.cover([Interval(0, 0)] + [Interval(p * lo + n * hi, p * hi + n * lo)
                                                  for p, n in zip(positive, negative,
                                                                  strict=True)])

    @property
    def out_width(self) -> int:
        """Bits per output lane (signed)."""
        return self.acc_range.width

    @property
    def in_beat_width(self) -> int:
        return self.simd * (self.elem_width + (1 if self.with_valid else 0))

    def ports(self) -> tuple[StreamPort, ...]:
        return (StreamPort("s_axis", self.in_beat_width, True),
                StreamPort("m_axis", self.pe * self.out_width, False))

    def rom_rows(self) -> list[int]:
        """Row nf*SF + sf: weight W[nf*PE + p, sf*SIMD + s] at lane p*SIMD + s, zero past N
        and past Cout."""
        nf, sf, ww = self.neuron_folds, self.synapse_folds, self.weight_width
        padded = np.zeros((nf * self.pe, sf * self.simd), dtype=np.int64)
        padded[:self.out_channels, :self.fan_in] = self.matrix
        steps = padded.reshape(nf, self.pe, sf, self.simd).transpose(0, 2, 1, 3)
        # Two's-complement bits, lane-major and little-endian, packed into bytes per row.
        bits = (steps.reshape(nf * sf, -1, 1) >> np.arange(ww)) & 1
        rows = np.packbits(bits.reshape(nf * sf, -1).astype(np.uint8), axis=1,
                           bitorder="little")
        return [int.from_bytes(row.tobytes(), "little") for row in rows]

    def render(self, instance: str) -> str:
        row_w = self.pe * self.simd * self.weight_width
        depth = self.synapse_folds * self.neuron_folds
        return render_tile(
            "mvu_real.v.j2", module=self.module_name(instance), p=self,
            sf=self.synapse_folds, nf=self.neuron_folds, depth=depth,
            sf_w=counter_bits(self.synapse_folds), nf_w=counter_bits(self.neuron_folds),
            addr_w=counter_bits(depth), pix_w=counter_bits(self.pixels_per_image),
            weight_w=self.weight_width, prod_w=self.product_range.width, acc_w=self.out_width,
            row_w=row_w, rows=[hex_literal(row, row_w) for row in self.rom_rows()])
