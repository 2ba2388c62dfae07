"""The byte protocol between a host and a board running the accelerator over a UART.

Request (host -> board): ``REQUEST_HEADER``, then the image's input beats in stream order,
one byte per lane (lane 0 first; a lane past the last channel is a 0 byte), each byte the
unsigned pixel value. Reply (board -> host): ``REPLY_HEADER``; every logit as
``logit_bytes`` little-endian two's-complement bytes, class 0 first; the predicted class (the
first index of the largest logit); the sum modulo 256 of the image bytes the board received;
the sum modulo 256 of the reply's bytes between the header and this last byte.

The board wrapper (templates/boards) and the host (``bnn-hls run``) both take every size from
one :class:`LinkFormat`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bnn_hls.errors import BnnHlsError
from bnn_hls.hw.intervals import ceil_div
from bnn_hls.hw.layout import StreamLayout, unpack_lanes

REQUEST_HEADER = 0xA5
REPLY_HEADER = 0x5A
TRAILER_BYTES = 3  # class, image sum, reply sum


def byte_sum(data: bytes) -> int:
    return sum(data) & 0xFF


@dataclass(frozen=True)
class Reply:
    logits: np.ndarray  # [classes] int64
    predicted: int  # the class the board named


@dataclass(frozen=True)
class LinkFormat:
    input: StreamLayout  # the accelerator's input stream (unsigned pixels)
    pixels: int  # per image and channel
    output: StreamLayout  # its output stream: one signed logit per class

    def __post_init__(self):
        if self.input.width > 8:
            raise BnnHlsError(f"{self.input.width}-bit pixels do not fit the one byte per "
                              "pixel of the UART protocol")
        if self.classes > 256:
            raise BnnHlsError(f"{self.classes} classes do not fit the reply's class byte")

    @property
    def classes(self) -> int:
        return self.output.channels

    @property
    def logit_bytes(self) -> int:
        return ceil_div(self.output.width, 8)

    @property
    def input_beats(self) -> int:
        return self.pixels * self.input.beats_per_pixel

    @property
    def image_bytes(self) -> int:
        return self.input_beats * self.input.lanes

    @property
    def reply_bytes(self) -> int:
        return 1 + self.classes * self.logit_bytes + TRAILER_BYTES

    def image_payload(self, image: np.ndarray) -> bytes:
        """One image [C, H, W] as the request's image bytes."""
        image = np.asarray(image)
        top = (1 << self.input.width) - 1
        if image.min() < 0 or image.max() > top:
            raise BnnHlsError(f"pixel values {image.min()}..{image.max()} are outside the "
                              f"design's 0..{top}")
        beats = self.input.pack(image[None])
        return bytes(value for word, _ in beats
                     for value in unpack_lanes(word, self.input.lanes, self.input.width,
                                               signed=False))

    def request(self, image: np.ndarray) -> bytes:
        return bytes([REQUEST_HEADER]) + self.image_payload(image)

    def decode_reply(self, data: bytes, request: bytes) -> Reply:
        """The logits and class of ``data``, the reply to ``request``; a reply that is short,
        misframed, corrupted or answers other image bytes is an error."""
        if len(data) != self.reply_bytes:
            raise BnnHlsError(f"reply of {len(data)} bytes, expected {self.reply_bytes}")
        if data[0] != REPLY_HEADER:
            raise BnnHlsError(f"reply header 0x{data[0]:02x}, expected 0x{REPLY_HEADER:02x}")
        if byte_sum(data[1:-1]) != data[-1]:
            raise BnnHlsError("reply checksum mismatch: the reply was corrupted on the way")
        if data[-2] != byte_sum(request[1:]):
            raise BnnHlsError("the board received other image bytes than were sent (image "
                              f"sum 0x{data[-2]:02x}, sent 0x{byte_sum(request[1:]):02x})")
        logits = [int.from_bytes(data[1 + i * self.logit_bytes:1 + (i + 1) * self.logit_bytes],
                                 "little", signed=True) for i in range(self.classes)]
        return Reply(np.array(logits, dtype=np.int64), predicted=data[-3])
