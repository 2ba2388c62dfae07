"""The byte format of the accelerator's streams in DMA buffers: images to input beats, output
beats to integer logits. One module for the PYNQ driver on the board (copied beside it, so it
imports numpy only) and for the tests that check it against the golden model's stream layout
and against the simulated accelerator.

A beat is ``beat_bytes`` bytes, little-endian; lane i of the beat's ``lanes`` elements sits at
bits [i*width +: width], the bits above the lanes are 0. A pixel is ``folds`` beats, channels
f*lanes .. f*lanes + lanes - 1 in beat f (lanes past the last channel are 0); pixels go in
raster order, images one after another."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

MAX_TRANSFER_BYTES = (1 << 26) - 1  # one AXI DMA transfer with a 26-bit length register


@dataclass(frozen=True)
class BeatFormat:
    channels: int
    lanes: int
    width: int  # bits per element
    signed: bool
    beat_bytes: int

    def __post_init__(self):
        if self.lanes * self.width > 8 * self.beat_bytes:
            raise ValueError(f"{self.lanes} lanes of {self.width} bits overflow a "
                             f"{self.beat_bytes}-byte beat")

    @property
    def folds(self) -> int:
        """Beats per pixel."""
        return -(-self.channels // self.lanes)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> BeatFormat:
        return cls(**data)


def pack_images(images: np.ndarray, fmt: BeatFormat) -> np.ndarray:
    """[N, C, H, W] unsigned pixels -> the input buffer, [N*H*W*folds, beat_bytes] uint8."""
    images = np.asarray(images)
    if images.ndim != 4 or images.shape[1] != fmt.channels:
        raise ValueError(f"images of shape {images.shape}; expected [N, {fmt.channels}, H, W]")
    if images.min(initial=0) < 0 or images.max(initial=0) >> fmt.width:
        raise ValueError(f"pixel values outside 0..{(1 << fmt.width) - 1}")
    n, channels = images.shape[:2]
    pixels = images.reshape(n, channels, -1).transpose(0, 2, 1)  # [N, H*W, C]
    lanes = np.zeros(pixels.shape[:2] + (fmt.folds * fmt.lanes,), dtype=np.uint64)
    lanes[..., :channels] = pixels
    lanes = lanes.reshape(-1, fmt.lanes)  # one row per beat
    bits = (lanes[..., None] >> np.arange(fmt.width, dtype=np.uint64)) & 1
    beats = np.zeros((len(lanes), 8 * fmt.beat_bytes), dtype=np.uint8)
    beats[:, :fmt.lanes * fmt.width] = bits.reshape(len(lanes), -1)
    return np.packbits(beats, axis=1, bitorder="little")


def unpack_logits(buffer: np.ndarray, fmt: BeatFormat, images: int) -> np.ndarray:
    """The output buffer of ``images`` images -> [images, channels] int64 logits."""
    beats = np.asarray(buffer, dtype=np.uint8).reshape(-1, fmt.beat_bytes)
    if len(beats) != images * fmt.folds:
        raise ValueError(f"{len(beats)} beats for {images} images of {fmt.folds} beats")
    bits = np.unpackbits(beats, axis=1, bitorder="little")[:, :fmt.lanes * fmt.width]
    weights = np.left_shift(np.int64(1), np.arange(fmt.width, dtype=np.int64))
    values = (bits.reshape(len(beats), fmt.lanes, fmt.width).astype(np.int64) * weights).sum(-1)
    if fmt.signed:
        values -= (values >> (fmt.width - 1)) << fmt.width
    return values.reshape(images, fmt.folds * fmt.lanes)[:, :fmt.channels]


def images_per_transfer(input_fmt: BeatFormat, pixels: int,
                        max_bytes: int = MAX_TRANSFER_BYTES) -> int:
    """How many images of ``pixels`` pixels one input DMA transfer can carry."""
    per_image = pixels * input_fmt.folds * input_fmt.beat_bytes
    if per_image > max_bytes:
        raise ValueError(f"one image is {per_image} bytes, more than one DMA transfer "
                         f"({max_bytes})")
    return max_bytes // per_image
