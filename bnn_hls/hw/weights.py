"""Folded weights as arrays, in the order the matrix-vector units read them; each backend
writes them in its own form (a ``$readmemh`` file, a C array)."""

from __future__ import annotations

import numpy as np

from bnn_hls.hw.intervals import ceil_div


def _padded(weights: np.ndarray, pe: int, simd: int) -> np.ndarray:
    """[NF*PE, SF*SIMD] zero-padded copy."""
    out_ch, fan_in = weights.shape
    padded = np.zeros((ceil_div(out_ch, pe) * pe, ceil_div(fan_in, simd) * simd),
                      dtype=weights.dtype)
    padded[:out_ch, :fan_in] = weights
    return padded


def fold_binary(weights: np.ndarray, pe: int, simd: int) -> np.ndarray:
    """[Cout, N] bits -> [PE, NF*SF] object array of SIMD-bit Python ints: PE p's word of step
    nf*SF + sf holds channel nf*PE + p's inputs [sf*SIMD, (sf+1)*SIMD), input sf*SIMD + s at
    bit s (zero past N and past Cout)."""
    padded = _padded(np.asarray(weights, dtype=bool), pe, simd)
    nf, sf = padded.shape[0] // pe, padded.shape[1] // simd
    steps = padded.reshape(nf, pe, sf, simd).transpose(1, 0, 2, 3).reshape(pe, nf * sf, simd)
    as_bytes = np.packbits(steps, axis=-1, bitorder="little")
    words = np.empty((pe, nf * sf), dtype=object)
    for p in range(pe):
        for step in range(nf * sf):
            words[p, step] = int.from_bytes(as_bytes[p, step].tobytes(), "little")
    return words


def fold_real(weights: np.ndarray, pe: int, simd: int) -> np.ndarray:
    """[Cout, N] ints -> [NF*SF, PE, SIMD]: step nf*SF + sf holds W[nf*PE + p, sf*SIMD + s]
    at [step, p, s] (zero past N and past Cout)."""
    padded = _padded(np.asarray(weights, dtype=np.int64), pe, simd)
    nf, sf = padded.shape[0] // pe, padded.shape[1] // simd
    return padded.reshape(nf, pe, sf, simd).transpose(0, 2, 1, 3).reshape(nf * sf, pe, simd)


def rom_row_words(rows: np.ndarray, weight_width: int) -> list[int]:
    """[steps, PE, SIMD] weights -> one int per step, weight (p, s) at lane p*SIMD + s in
    two's complement, lane-major and little-endian."""
    steps = rows.shape[0]
    bits = (rows.reshape(steps, -1, 1) >> np.arange(weight_width)) & 1
    packed = np.packbits(bits.reshape(steps, -1).astype(np.uint8), axis=1, bitorder="little")
    return [int.from_bytes(row.tobytes(), "little") for row in packed]
