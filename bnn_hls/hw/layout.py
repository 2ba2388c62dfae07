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

    def pack(self, x: np.ndarray) -> list[tuple[int, bool]]:
        """[N, C, H, W] (or [N, C]) integers -> (tdata, tlast) beats."""
        x = np.asarray(x, dtype=np.int64)
        n, channels = x.shape[:2]
        if channels != self.channels:
            raise ValueError(f"{channels} channels on a stream of {self.channels}")
        folds = self.beats_per_pixel
        pixels = np.moveaxis(x.reshape(n, channels, -1), 1, -1)  # [N, H*W, C]
        padded = np.zeros(pixels.shape[:2] + (folds * self.lanes,), dtype=np.int64)
        padded[..., :channels] = pixels
        beats = []
        for image in padded:
            words = [pack_lanes(group, self.width) for group in image.reshape(-1, self.lanes)]
            beats += [(word, i == len(words) - 1) for i, word in enumerate(words)]
        return beats

    def unpack(self, words: Sequence[int], shape: tuple[int, ...]) -> np.ndarray:
        """Beats' tdata -> values of ``shape`` = [N, C, ...]; beats missing from the end are
        :data:`MISSING`."""
        folds = self.beats_per_pixel
        pixels = int(np.prod(shape[2:])) if len(shape) > 2 else 1
        total = shape[0] * pixels * folds
        flat = np.full((total, self.lanes), MISSING)
        for index, word in enumerate(words[:total]):
            flat[index] = unpack_lanes(int(word), self.lanes, self.width, self.signed)
        values = flat.reshape(shape[0], pixels, folds * self.lanes)[:, :, :self.channels]
        return np.moveaxis(values, 2, 1).reshape(shape)


MISSING = np.iinfo(np.int64).min  # a value the hardware never delivered


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
