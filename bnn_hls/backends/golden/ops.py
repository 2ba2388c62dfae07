"""Per-operator integer reference of docs/numerics.md, batched over the first axis.

Every function takes and returns integer NumPy arrays laid out [N, C, H, W] (or [N, C]).
The RTL tiles are tested against these functions operator by operator.
"""

from __future__ import annotations

import numpy as np

from bnn_hls.compiler.bits import pack_bits
from bnn_hls.compiler.formats import Fixed, rshift_round, saturate
from bnn_hls.geometry import conv_out_size

FLOAT64_EXACT = 1 << 53  # integers below this are exact in a float64 matmul
FLOAT32_EXACT = 1 << 24  # ... and in a float32 one


def valid_taps(size_h: int, size_w: int, kernel: int, stride: int, pad: int) -> np.ndarray:
    """valid[t, oh, ow]: whether tap t = (kh*kernel + kw) of output pixel (oh, ow) is inside
    the image (padding taps are invalid and contribute exactly 0)."""
    out_h = conv_out_size(size_h, kernel, stride, pad)
    out_w = conv_out_size(size_w, kernel, stride, pad)
    rows = np.arange(out_h)[:, None] * stride - pad + np.arange(kernel)[None, :]  # [oh, kh]
    cols = np.arange(out_w)[:, None] * stride - pad + np.arange(kernel)[None, :]
    row_ok = (rows >= 0) & (rows < size_h)
    col_ok = (cols >= 0) & (cols < size_w)
    valid = row_ok.T[:, None, :, None] & col_ok.T[None, :, None, :]  # [kh, kw, oh, ow]
    return valid.reshape(kernel * kernel, out_h, out_w)


def _windows(x: np.ndarray, kernel: int, stride: int, pad: int, fill) -> tuple[np.ndarray, ...]:
    """Views x_pad[:, ..., oh*stride+kh, ow*stride+kw] for each tap, x laid out [N, H, W, ...]."""
    n, h, w = x.shape[:3]
    out_h, out_w = conv_out_size(h, kernel, stride, pad), conv_out_size(w, kernel, stride, pad)
    padded = np.full((n, h + 2 * pad, w + 2 * pad) + x.shape[3:], fill, dtype=x.dtype)
    padded[:, pad:pad + h, pad:pad + w] = x
    return tuple(padded[:, kh:kh + stride * (out_h - 1) + 1:stride,
                        kw:kw + stride * (out_w - 1) + 1:stride]
                 for kh in range(kernel) for kw in range(kernel))


def sign_bits(x: np.ndarray) -> np.ndarray:
    """Binarise: x >= 0 -> bit 1 (+1), x < 0 -> bit 0 (-1). Zero is +1."""
    return np.asarray(x) >= 0


def binary_conv(x_bits: np.ndarray, w_bits: np.ndarray, stride: int, pad: int) -> np.ndarray:
    """dot[n, o, oh, ow] = sum over in-image taps and channels of (+-1 input) * (+-1 weight).

    Padding taps contribute 0 because PyTorch pads with zeros *after* binarisation.
    """
    return binary_conv_packed(x_bits, pack_bits(w_bits, axis=1), stride, pad)


def binary_conv_packed(x_bits: np.ndarray, w_packed: np.ndarray, stride: int,
                       pad: int) -> np.ndarray:
    """binary_conv with weights already packed along channels: [O, k, k, words] uint64.

    The XNOR-popcount 2 * popcount(XNOR(w, x) over in-image taps) - N_valid is the dot product
    of the +-1 values with padding taps 0, computed here as one float32 matrix product: every
    partial sum is an integer of magnitude <= k*k*C < 2**24, so float32 holds it exactly.
    """
    n, c, h, w = x_bits.shape
    out_ch, kernel = w_packed.shape[:2]
    if kernel * kernel * c >= FLOAT32_EXACT:
        raise ValueError(f"a {kernel}x{kernel}x{c} window is too wide for exact float32 sums")
    as_bytes = np.ascontiguousarray(w_packed).view(np.uint8)
    w_bits = np.unpackbits(as_bytes, axis=-1, bitorder="little")[..., :c]  # [O, k, k, C]
    w_pm = (2.0 * w_bits - 1.0).astype(np.float32).reshape(out_ch, -1)
    x_pm = (2.0 * np.moveaxis(np.asarray(x_bits, bool), 1, -1) - 1.0).astype(np.float32)
    windows = _windows(x_pm, kernel, stride, pad, 0)  # padding taps 0, each [N, Ho, Wo, C]
    cols = np.stack(windows, axis=-2)  # [N, Ho, Wo, k*k, C]: element (kh*k + kw)*C + c
    dot = cols.reshape(-1, kernel * kernel * c) @ w_pm.T
    return np.moveaxis(np.rint(dot).astype(np.int64).reshape(cols.shape[:3] + (out_ch,)), -1, 1)


def int_matmul(a: np.ndarray, b: np.ndarray, bound: int) -> np.ndarray:
    """Exact integer a @ b through float64 BLAS; ``bound`` >= any |partial sum| proves exactness."""
    if bound >= FLOAT64_EXACT:
        return np.asarray(a, np.int64) @ np.asarray(b, np.int64)
    return np.rint(np.asarray(a, np.float64) @ np.asarray(b, np.float64)).astype(np.int64)


def real_conv(x: np.ndarray, weights: np.ndarray, stride: int, pad: int) -> np.ndarray:
    """Integer convolution with zero padding: x [N, C, H, W] int, weights [O, C, k, k] int."""
    n, c, h, w = x.shape
    out_ch, _, kernel, _ = weights.shape
    windows = _windows(np.moveaxis(x, 1, -1), kernel, stride, pad, 0)  # each [N, Ho, Wo, C]
    cols = np.stack(windows, axis=-1)  # [N, Ho, Wo, C, k*k]
    bound = int(np.abs(weights).sum(axis=(1, 2, 3)).max()) * int(np.abs(x).max(initial=0))
    acc = int_matmul(cols.reshape(cols.shape[:3] + (-1,)),
                     weights.reshape(out_ch, -1).T, bound)  # [N, Ho, Wo, O]
    return np.moveaxis(acc, -1, 1)


def affine(acc: np.ndarray, mult: np.ndarray, bias: np.ndarray, shift: int) -> np.ndarray:
    """Per-channel rshift_round(mult[c] * acc + bias[c], shift), channel axis 1."""
    shape = (1, -1) + (1,) * (acc.ndim - 2)
    product = np.asarray(acc, np.int64) * np.asarray(mult, np.int64).reshape(shape)
    return rshift_round(product + np.asarray(bias, np.int64).reshape(shape), shift)


def max_pool(x: np.ndarray, kernel: int, stride: int, pad: int) -> np.ndarray:
    """Max over the window's in-image taps only (PyTorch pads max pooling with -inf)."""
    lowest = np.iinfo(np.int64).min
    windows = _windows(np.moveaxis(x, 1, -1), kernel, stride, pad, lowest)
    return np.moveaxis(np.max(np.stack(windows), axis=0), -1, 1)


def avg_pool_sum(x: np.ndarray) -> np.ndarray:
    """2x2 stride-2 window sums (the 1/4 is folded into the next affine); odd edges dropped."""
    n, c, h, w = x.shape
    h2, w2 = h // 2, w // 2
    blocks = x[:, :, :2 * h2, :2 * w2].reshape(n, c, h2, 2, w2, 2)
    return blocks.sum(axis=(3, 5), dtype=np.int64)


def align(x: np.ndarray, from_frac: int, to_frac: int) -> np.ndarray:
    """Change fraction bits: exact left shift, or rshift_round when dropping bits."""
    return rshift_round(x, from_frac - to_frac)


def add_saturate(a: np.ndarray, a_frac: int, b: np.ndarray, b_frac: int,
                 out: Fixed) -> np.ndarray:
    """Shortcut adder: align both operands to the output fraction bits, add, saturate."""
    return saturate(align(a, a_frac, out.frac_bits) + align(b, b_frac, out.frac_bits), out)


def global_sum(x: np.ndarray) -> np.ndarray:
    """Global average pool as an exact sum over H x W (the 1/(H*W) folds into the FC)."""
    return x.sum(axis=(2, 3), dtype=np.int64)


def linear(x: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """x [N, C] int, weights [O, C] int -> [N, O] int."""
    bound = int(np.abs(weights).sum(axis=1).max()) * int(np.abs(x).max(initial=0))
    return int_matmul(x, weights.T, bound)


def input_quant(pixels: np.ndarray, offsets: np.ndarray, frac_bits: int) -> np.ndarray:
    """Raw pixels p -> q = p * 2**frac_bits + offset[c]; q = 0 is exactly a normalised 0."""
    shape = (1, -1) + (1,) * (pixels.ndim - 2)
    offsets = np.asarray(offsets, np.int64).reshape(shape)
    return (np.asarray(pixels, np.int64) << frac_bits) + offsets
