"""Stream layouts: how a tensor travels on a stream, and packing to and from beats.

Every tensor of the dataflow travels as pixels in raster order, each pixel as
``beats_per_pixel`` beats of ``lanes`` elements (channel fold innermost: beat f carries
channels f*lanes .. f*lanes + lanes - 1; lanes past the last channel carry 0), lane i at
bits [i*width +: width], tlast on each image's last beat. A window stream (the output of a
window generator) also carries one valid bit per lane above the data:
{valid[lanes], data[lanes x width]}.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bnn_hls.hw.intervals import ceil_div


@dataclass(frozen=True)
class StreamLayout:
    channels: int  # elements per pixel (window streams: elements per window)
    lanes: int  # elements per beat
    width: int  # bits per element
    signed: bool
    valid_bits: bool = False  # a valid flag per lane above the data (window streams)

    def __post_init__(self):
        if min(self.channels, self.lanes, self.width) < 1:
            raise ValueError(f"stream layout sizes must be >= 1: {self}")

    @property
    def beats_per_pixel(self) -> int:
        return ceil_div(self.channels, self.lanes)

    @property
    def beat_width(self) -> int:
        """tdata bits of one beat."""
        return self.lanes * (self.width + (1 if self.valid_bits else 0))

    def describe(self) -> str:
        kind = "signed" if self.signed else "unsigned"
        extra = " + valid" if self.valid_bits else ""
        return (f"{self.channels} ch as {self.beats_per_pixel} x {self.lanes} lanes of "
                f"{kind} {self.width} bits{extra}")

    @property
    def limbs_per_beat(self) -> int:
        return ceil_div(self.beat_width, LIMB_BITS)

    def _lane_positions(self) -> list[tuple[int, int]]:
        """(limb, shift) of every lane of a beat: lane i at bits [i*width +: width]."""
        return [divmod(lane * self.width, LIMB_BITS) for lane in range(self.lanes)]

    def pack_limbs(self, x: np.ndarray) -> np.ndarray:
        """[N, C, H, W] (or [N, C]) integers -> the beats as 64-bit limbs, [beats, limbs]
        (limb k holds tdata bits [64k +: 64]), vectorised over the batch."""
        x = np.asarray(x, dtype=np.int64)
        n, channels = x.shape[:2]
        if channels != self.channels:
            raise ValueError(f"{channels} channels on a stream of {self.channels}")
        pixels = np.moveaxis(x.reshape(n, channels, -1), 1, -1)  # [N, H*W, C]
        padded = np.zeros(pixels.shape[:2] + (self.beats_per_pixel * self.lanes,), np.int64)
        padded[..., :channels] = pixels
        values = padded.reshape(-1, self.lanes).astype(np.uint64) & np.uint64(
            (1 << self.width) - 1)
        limbs = np.zeros((len(values), self.limbs_per_beat), dtype=np.uint64)
        for lane, (limb, shift) in enumerate(self._lane_positions()):
            limbs[:, limb] |= values[:, lane] << np.uint64(shift)
            if shift + self.width > LIMB_BITS:
                limbs[:, limb + 1] |= values[:, lane] >> np.uint64(LIMB_BITS - shift)
        return limbs

    def unpack_limbs(self, limbs: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        """Beats as limbs ([beats, limbs], as :meth:`pack_limbs` gives) -> values of
        ``shape`` = [N, C, ...]."""
        limbs = np.asarray(limbs, dtype=np.uint64).reshape(-1, self.limbs_per_beat)
        values = np.empty((len(limbs), self.lanes), dtype=np.int64)
        spare = LIMB_BITS - self.width
        for lane, (limb, shift) in enumerate(self._lane_positions()):
            bits = limbs[:, limb] >> np.uint64(shift)
            if shift + self.width > LIMB_BITS:
                bits |= limbs[:, limb + 1] << np.uint64(LIMB_BITS - shift)
            # The lane's top bit to bit 63 and back: an arithmetic (signed) or logical shift.
            high = bits << np.uint64(spare)
            values[:, lane] = (high.view(np.int64) >> spare if self.signed
                               else high >> np.uint64(spare))
        pixels = int(np.prod(shape[2:])) if len(shape) > 2 else 1
        values = values.reshape(shape[0], pixels, -1)[:, :, :self.channels]
        return np.moveaxis(values, 2, 1).reshape(shape)

    def pack(self, x: np.ndarray) -> list[tuple[int, bool]]:
        """[N, C, H, W] (or [N, C]) integers -> (tdata, tlast) beats."""
        words = words_from_limbs(self.pack_limbs(x))
        per_image = len(words) // len(x)
        return [(word, (i + 1) % per_image == 0) for i, word in enumerate(words)]

    def unpack(self, words: Sequence[int], shape: tuple[int, ...]) -> np.ndarray:
        """Beats' tdata -> values of ``shape`` = [N, C, ...]; beats missing from the end are
        :data:`MISSING`."""
        pixels = int(np.prod(shape[2:])) if len(shape) > 2 else 1
        total = shape[0] * pixels * self.beats_per_pixel
        delivered = list(words[:total])
        limbs = np.zeros((total, self.limbs_per_beat), dtype=np.uint64)
        limbs[:len(delivered)] = limbs_from_words(delivered, self.limbs_per_beat)
        values = self.unpack_limbs(limbs, shape)
        # Mark the elements of the beats that never came.
        delivered_beats = np.zeros(total, dtype=bool)
        delivered_beats[:len(delivered)] = True
        lanes = np.repeat(delivered_beats.reshape(shape[0], pixels, -1), self.lanes,
                          axis=2)[:, :, :self.channels]
        values[~np.moveaxis(lanes, 2, 1).reshape(shape)] = MISSING
        return values


MISSING = np.iinfo(np.int64).min  # a value the hardware never delivered
LIMB_BITS = 64
LIMB_MASK = (1 << LIMB_BITS) - 1


def words_from_limbs(limbs: np.ndarray) -> list[int]:
    """[beats, limbs] 64-bit limbs -> each beat's tdata as one integer."""
    limbs = np.asarray(limbs, dtype=np.uint64)
    if limbs.shape[1] == 1:
        return limbs[:, 0].tolist()
    return [sum(int(limb) << (LIMB_BITS * k) for k, limb in enumerate(row)) for row in limbs]


def limbs_from_words(words: Sequence[int], limbs: int) -> np.ndarray:
    """Each beat's tdata -> [beats, limbs] 64-bit limbs."""
    if limbs == 1:
        return np.array([int(w) for w in words], dtype=np.uint64).reshape(-1, 1)
    return np.array([[(int(w) >> (LIMB_BITS * k)) & LIMB_MASK for k in range(limbs)]
                     for w in words], dtype=np.uint64).reshape(-1, limbs)


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
