"""PYNQ driver for a bnn-hls accelerator, copied by ``bnn-hls build`` beside the bitstream
(bnn_hls.bit + bnn_hls.hwh), the stream format module (pynq_stream.py) and the stream
description (bnn_hls.json). On the board:

    from pynq_driver import BnnOverlay
    accel = BnnOverlay()              # programs the PL with bnn_hls.bit
    classes = accel.classify(images)  # uint8 images [N, C, H, W] -> class per image

The AXI DMA (cell ``dma``, simple mode) streams a batch of images in one transfer: the
accelerator counts pixels, so it needs no TLAST between images. Its S2MM side ends a transfer
at TLAST, which the accelerator raises on each image's last logit beat, so the logits come
back in one receive transfer per image.

A design with a weight port (UltraRAM weights, or compiled with --load-weights) gets its
weights (weights.bin, 64-bit beats) through a second DMA (cell ``weight_dma``) once the PL is
programmed: the accelerator takes no image before the last weight.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from pynq import Overlay, allocate
from pynq_stream import BeatFormat, images_per_transfer, pack_images, unpack_logits

HERE = Path(__file__).resolve().parent


class BnnOverlay:
    def __init__(self, bitfile: Path = HERE / "bnn_hls.bit",
                 description: Path = HERE / "bnn_hls.json", download: bool = True):
        config = json.loads(Path(description).read_text())
        self.input = BeatFormat.from_json(config["input"])
        self.output = BeatFormat.from_json(config["output"])
        self.overlay = Overlay(str(bitfile), download=download)
        self.dma = self.overlay.dma
        if config.get("weights"):
            self.load_weights(Path(description).parent / config["weights"]["file"],
                              config["weights"]["beats"])

    def load_weights(self, path: Path, beats: int) -> None:
        """Send the weight port's stream; the accelerator keeps it until the next reset."""
        stream = np.fromfile(path, dtype="<u8")
        if len(stream) != beats:
            raise ValueError(f"{path}: {len(stream)} beats, the accelerator takes {beats}")
        buffer = allocate(shape=stream.shape, dtype=np.uint64)
        try:
            buffer[:] = stream
            buffer.flush()
            self.overlay.weight_dma.sendchannel.transfer(buffer)
            self.overlay.weight_dma.sendchannel.wait()
        finally:
            buffer.freebuffer()

    def logits(self, images: np.ndarray) -> np.ndarray:
        """[N, C, H, W] pixels -> [N, classes] integer logits, bit-exact with the golden
        model."""
        pixels = int(np.prod(images.shape[2:]))
        per_transfer = images_per_transfer(self.input, pixels)
        return np.concatenate([self._run(images[start:start + per_transfer])
                               for start in range(0, len(images), per_transfer)])

    def classify(self, images: np.ndarray) -> np.ndarray:
        return self.logits(images).argmax(axis=1)

    def _run(self, images: np.ndarray) -> np.ndarray:
        beats = pack_images(images, self.input)
        in_buffer = allocate(shape=beats.shape, dtype=np.uint8)
        # One image's logits, received once per image and copied out.
        out_buffer = allocate(shape=(self.output.folds, self.output.beat_bytes),
                              dtype=np.uint8)
        received = []
        try:
            in_buffer[:] = beats
            in_buffer.flush()
            self.dma.sendchannel.transfer(in_buffer)
            for _ in range(len(images)):
                self.dma.recvchannel.transfer(out_buffer)
                self.dma.recvchannel.wait()
                out_buffer.invalidate()
                received.append(np.array(out_buffer))
            self.dma.sendchannel.wait()
        finally:
            in_buffer.freebuffer()
            out_buffer.freebuffer()
        return unpack_logits(np.concatenate(received), self.output, len(images))
