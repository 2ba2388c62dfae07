"""Bit packing of binary tensors into 64-bit words, as the binary weights are stored."""

from __future__ import annotations

import numpy as np

WORD_BITS = 64


def pack_bits(bits: np.ndarray, axis: int = -1) -> np.ndarray:
    """Pack booleans along ``axis`` into uint64 words: element c is bit c%64 of word c//64."""
    bits = np.moveaxis(np.asarray(bits, dtype=bool), axis, -1)
    n = bits.shape[-1]
    words = -(-n // WORD_BITS)
    padded = np.zeros(bits.shape[:-1] + (words * WORD_BITS,), dtype=bool)
    padded[..., :n] = bits
    as_bytes = np.packbits(padded.reshape(bits.shape[:-1] + (words, WORD_BITS)), axis=-1,
                           bitorder="little")
    return as_bytes.view("<u8")[..., 0] if words else as_bytes[..., :0].astype(np.uint64)
