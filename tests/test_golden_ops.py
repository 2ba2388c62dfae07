"""The golden per-operator integer reference against independent computations and known answers."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from bnn_hls.backends.golden import ops
from bnn_hls.compiler.bits import pack_bits
from bnn_hls.compiler.formats import Fixed, rshift_round
from bnn_hls.geometry import conv_out_size
from bnn_hls.model.layers import hw_sign


def _pm1(bits: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.where(bits, 1.0, -1.0))


def _ref_round_shift(x: int, shift: int) -> int:
    """floor(x / 2**shift + 1/2) with exact rationals; a negative shift multiplies."""
    return math.floor(Fraction(x) / Fraction(2) ** shift + Fraction(1, 2)) if shift > 0 \
        else x * 2 ** (-shift)


# ------------------------------------------------------------------------ binary convolution
GEOMETRIES = [  # (H, W, kernel, stride, pad)
    (4, 4, 3, 1, 1),
    (5, 7, 3, 1, 1),
    (7, 7, 3, 2, 1),
    (6, 5, 3, 2, 1),
    (7, 6, 5, 1, 2),
    (3, 5, 1, 2, 0),
]


@pytest.mark.parametrize("channels", [1, 63, 64, 65, 130])
@pytest.mark.parametrize("geometry", GEOMETRIES, ids=lambda g: "x".join(map(str, g)))
def test_binary_conv_matches_float_conv_of_pm1_tensors(channels, geometry):
    h, w, k, stride, pad = geometry
    rng = np.random.default_rng(channels * 1000 + h * 10 + w)
    x_bits = rng.random((2, channels, h, w)) < 0.5
    w_bits = rng.random((5, channels, k, k)) < 0.5
    got = ops.binary_conv(x_bits, w_bits, stride, pad)
    want = F.conv2d(_pm1(x_bits), _pm1(w_bits), stride=stride, padding=pad).numpy()
    assert got.dtype.kind == "i"
    assert got.shape == want.shape
    np.testing.assert_array_equal(got, want.astype(np.int64))


@pytest.mark.parametrize("channels", [1, 64, 65])
def test_binary_conv_all_agree_counts_valid_taps_at_borders(channels):
    """All +1 inputs and weights: every output is channels * (taps inside the image)."""
    x_bits = np.ones((1, channels, 4, 4), bool)
    w_bits = np.ones((1, channels, 3, 3), bool)
    got = ops.binary_conv(x_bits, w_bits, 1, 1)[0, 0]
    counts = np.array([[4, 6, 6, 4], [6, 9, 9, 6], [6, 9, 9, 6], [4, 6, 6, 4]])
    np.testing.assert_array_equal(got, channels * counts)
    # All disagreeing: exactly the negation (padding still contributes 0, not -1).
    np.testing.assert_array_equal(ops.binary_conv(x_bits, ~w_bits, 1, 1)[0, 0],
                                  -channels * counts)


def test_binary_conv_single_corner_tap():
    """Only the top-left input pixel disagrees with the kernel: exactly the outputs whose
    window covers (0, 0) drop by 2, each at the tap that reaches it."""
    x_bits = np.ones((1, 1, 3, 3), bool)
    x_bits[0, 0, 0, 0] = False
    w_bits = np.ones((1, 1, 3, 3), bool)
    got = ops.binary_conv(x_bits, w_bits, 1, 1)[0, 0]
    np.testing.assert_array_equal(got, [[4 - 2, 6 - 2, 4], [6 - 2, 9 - 2, 6], [4, 6, 4]])


# ------------------------------------------------------------------------------ valid taps
@pytest.mark.parametrize("size, stride, counts", [
    ((4, 4), 1, [[4, 6, 6, 4], [6, 9, 9, 6], [6, 9, 9, 6], [4, 6, 6, 4]]),
    ((5, 5), 2, [[4, 6, 4], [6, 9, 6], [4, 6, 4]]),
    ((7, 7), 2, [[4, 6, 6, 4], [6, 9, 9, 6], [6, 9, 9, 6], [4, 6, 6, 4]]),
    ((6, 6), 2, [[4, 6, 6], [6, 9, 9], [6, 9, 9]]),  # even: last window ends inside
    ((5, 6), 2, [[4, 6, 6], [6, 9, 9], [4, 6, 6]]),
    ((1, 1), 1, [[1]]),  # only the centre tap
])
def test_valid_taps_counts(size, stride, counts):
    valid = ops.valid_taps(size[0], size[1], 3, stride, 1)
    assert valid.dtype == bool
    np.testing.assert_array_equal(valid.sum(axis=0), counts)


def test_valid_taps_which_taps():
    valid = ops.valid_taps(4, 4, 3, 1, 1)  # tap t = kh*3 + kw
    assert valid.shape == (9, 4, 4)
    assert [bool(v) for v in valid[:, 0, 0]] == [False, False, False,
                                                 False, True, True,
                                                 False, True, True]
    assert [bool(v) for v in valid[:, 3, 3]] == [True, True, False,
                                                 True, True, False,
                                                 False, False, False]
    assert [bool(v) for v in valid[:, 0, 2]] == [False] * 3 + [True] * 6
    assert valid[:, 1:3, 1:3].all()


# ------------------------------------------------------------------------- sign and packing
def test_sign_bits_zero_is_plus_one():
    x = np.array([-3, -1, 0, 1, 7], np.int64)
    np.testing.assert_array_equal(ops.sign_bits(x), [False, False, True, True, True])
    xf = np.array([-1e-300, -0.0, 0.0, 1e-300])
    np.testing.assert_array_equal(ops.sign_bits(xf), [False, True, True, True])
    # Same as the PyTorch model's hardware sign.
    np.testing.assert_array_equal(np.where(ops.sign_bits(x), 1.0, -1.0),
                                  hw_sign(torch.from_numpy(x).double()).numpy())


def test_zero_activation_binarises_to_plus_one_in_conv():
    x = np.zeros((1, 3, 3, 3), np.int64)
    w_bits = np.ones((1, 3, 3, 3), bool)
    got = ops.binary_conv(ops.sign_bits(x), w_bits, 1, 1)
    assert got[0, 0, 1, 1] == 27  # every tap agrees with +1
    assert got[0, 0, 0, 0] == 12


def test_pack_bits_bit_order():
    bits = np.zeros(130, bool)
    bits[0] = True
    packed = pack_bits(bits)
    assert packed.dtype == np.uint64 and packed.shape == (3,)
    assert packed.tolist() == [1, 0, 0]
    for channel, expect in [(1, [2, 0, 0]), (63, [1 << 63, 0, 0]), (64, [0, 1, 0]),
                            (65, [0, 2, 0]), (129, [0, 0, 2])]:
        one = np.zeros(130, bool)
        one[channel] = True
        assert pack_bits(one).tolist() == expect, channel
    assert pack_bits(np.array([1, 1, 0, 1], bool)).tolist() == [0b1011]
    assert pack_bits(np.ones(64, bool)).tolist() == [(1 << 64) - 1]
    assert pack_bits(np.ones(65, bool)).tolist() == [(1 << 64) - 1, 1]


def test_pack_bits_along_axis():
    rng = np.random.default_rng(3)
    bits = rng.random((2, 70, 3, 4)) < 0.5  # [N, C, H, W]
    packed = pack_bits(bits, axis=1)
    assert packed.shape == (2, 3, 4, 2)
    for n, h, w in [(0, 0, 0), (1, 2, 3), (0, 1, 2)]:
        want = [sum(int(bits[n, c, h, w]) << (c - 64 * word)
                    for c in range(64 * word, min(70, 64 * word + 64))) for word in range(2)]
        assert packed[n, h, w].tolist() == want


# --------------------------------------------------------------------------- rounding shift
@pytest.mark.parametrize("x, shift, want", [
    (3, 1, 2), (-3, 1, -1), (4, 1, 2), (-4, 1, -2), (5, 1, 3), (-5, 1, -2),
    (1, 1, 1), (-1, 1, 0), (0, 1, 0), (6, 2, 2), (-6, 2, -1), (-7, 2, -2), (-2, 2, 0),
    (2, 2, 1), (7, 0, 7), (-7, 0, -7), (3, -2, 12), (-3, -2, -12), ((1 << 40) + (1 << 19), 20,
                                                                 (1 << 20) + 1),
])
def test_rshift_round_known_answers(x, shift, want):
    assert int(rshift_round(np.int64(x), shift)) == want


def test_rshift_round_matches_exact_rounding():
    rng = np.random.default_rng(5)
    xs = np.concatenate([np.arange(-40, 41), rng.integers(-(1 << 60), 1 << 60, 300)])
    for shift in [-3, 0, 1, 2, 3, 7, 20, 40]:
        keep = xs if shift >= 0 else xs[np.abs(xs) < (1 << 50)]
        got = rshift_round(keep, shift)
        assert got.dtype == np.int64
        assert got.tolist() == [_ref_round_shift(int(v), shift) for v in keep]


# ---------------------------------------------------------------------------------- affine
def test_affine_known_answers_negative_multipliers():
    acc = np.array([[[0, 1, -1, 5]], [[3, -3, 2, -2]]], np.int64)  # [N=2, C=1, 4]
    got = ops.affine(acc, np.array([-3]), np.array([1]), 1)
    # -3x + 1 = [1, -2, 4, -14] and [-8, 10, -5, 7]; halve, rounding half up.
    np.testing.assert_array_equal(got, [[[1, -1, 2, -7]], [[-4, 5, -2, 4]]])


def test_affine_matches_exact_per_channel():
    rng = np.random.default_rng(8)
    acc = rng.integers(-5000, 5000, (3, 4, 2, 5))
    mult = np.array([-131071, -7, 0, 90001])
    bias = np.array([12345, -999999, 3, -(1 << 30)])
    for shift in [0, 1, 5, 17]:
        got = ops.affine(acc, mult, bias, shift)
        want = np.vectorize(lambda a, m, b, s=shift: _ref_round_shift(int(a) * int(m) + int(b), s),
                            otypes=[np.int64])(acc, mult[None, :, None, None],
                                               bias[None, :, None, None])
        np.testing.assert_array_equal(got, want)
    # Rank-2 (the logits' affine): channel axis 1 again.
    vec = rng.integers(-100, 100, (6, 4))
    np.testing.assert_array_equal(
        ops.affine(vec, mult, bias, 3),
        [[_ref_round_shift(int(v) * int(m) + int(b), 3)
          for v, m, b in zip(row, mult, bias, strict=True)] for row in vec])


# -------------------------------------------------------------------------------- pooling
@pytest.mark.parametrize("h, w, kernel, stride, pad", [
    (8, 8, 3, 2, 1), (5, 7, 3, 2, 1), (7, 7, 3, 1, 1), (4, 6, 2, 2, 0), (6, 5, 3, 2, 0)])
def test_max_pool_matches_torch_negative_values(h, w, kernel, stride, pad):
    rng = np.random.default_rng(h * w)
    x = -rng.integers(1, 1 << 20, (2, 3, h, w))  # strictly negative: padding must not win
    got = ops.max_pool(x, kernel, stride, pad)
    want = F.max_pool2d(torch.from_numpy(x).double(), kernel, stride, pad).numpy()
    np.testing.assert_array_equal(got, want.astype(np.int64))
    assert got.max() < 0


def test_max_pool_constant_negative_image():
    x = np.full((1, 2, 5, 5), -7, np.int64)
    got = ops.max_pool(x, 3, 2, 1)
    assert got.shape == (1, 2, 3, 3)
    assert (got == -7).all()
    x[0, 1, 0, 0] = -1
    got = ops.max_pool(x, 3, 2, 1)
    assert got[0, 1, 0, 0] == -1 and (got[0, 1].ravel()[1:] == -7).all()


@pytest.mark.parametrize("h, w", [(5, 7), (7, 7), (4, 4), (3, 3), (3, 2)])
def test_avg_pool_sum_odd_sizes(h, w):
    rng = np.random.default_rng(h + 10 * w)
    x = rng.integers(-1000, 1000, (2, 3, h, w))
    got = ops.avg_pool_sum(x)
    assert got.shape == (2, 3, h // 2, w // 2)
    want = 4 * F.avg_pool2d(torch.from_numpy(x).double(), 2, 2).numpy()
    np.testing.assert_array_equal(got, np.rint(want).astype(np.int64))


def test_avg_pool_sum_known_answer():
    x = np.arange(15, dtype=np.int64).reshape(1, 1, 3, 5)
    # rows 0-1, column pairs (0,1), (2,3); column 4 and row 2 dropped
    np.testing.assert_array_equal(ops.avg_pool_sum(x), [[[[0 + 1 + 5 + 6, 2 + 3 + 7 + 8]]]])


def test_global_sum():
    x = np.arange(2 * 3 * 2 * 2, dtype=np.int64).reshape(2, 3, 2, 2) - 10
    np.testing.assert_array_equal(ops.global_sum(x), x.reshape(2, 3, 4).sum(-1))


# ----------------------------------------------------------------------------- shortcut add
def test_add_saturate_saturates_both_ends():
    out = Fixed(3, 4)  # 8 bits: [-128, 127]
    a = np.array([100, -100, 127, -128, 10, 0])
    b = np.array([200, -200, 4, -4, 20, 0])  # 6 fraction bits: / 4 when aligned
    got = ops.add_saturate(a, 4, b, 6, out)
    np.testing.assert_array_equal(got, [127, -128, 127, -128, 15, 0])


def test_add_saturate_alignment_known_answers():
    out = Fixed(7, 4)
    # b with 6 fraction bits -> rshift_round by 2: ties round up, also for negatives.
    b = np.array([2, -2, 6, -6, 1, -3])
    np.testing.assert_array_equal(ops.add_saturate(np.zeros(6, np.int64), 4, b, 6, out),
                                  [1, 0, 2, -1, 0, -1])
    # b with 2 fraction bits -> exact left shift by 2.
    np.testing.assert_array_equal(ops.add_saturate(np.array([1, 1]), 4, np.array([3, -3]), 2,
                                                   out), [13, -11])
    # a with 5 fraction bits, b with 3: both move to 4.
    np.testing.assert_array_equal(ops.add_saturate(np.array([3]), 5, np.array([3]), 3, out),
                                  [2 + 6])


def test_add_saturate_matches_exact_random():
    rng = np.random.default_rng(11)
    out = Fixed(4, 6)
    a = rng.integers(-(1 << 13), 1 << 13, 500)
    b = rng.integers(-(1 << 9), 1 << 9, 500)
    got = ops.add_saturate(a, 8, b, 3, out)
    want = [min(max(_ref_round_shift(int(x), 2) + int(y) * 8, out.lo), out.hi)
            for x, y in zip(a, b, strict=True)]
    np.testing.assert_array_equal(got, want)
    assert got.min() == out.lo and got.max() == out.hi  # both ends really exercised


# ------------------------------------------------------------------------ real conv, linear
def _exact_conv(x: np.ndarray, w: np.ndarray, stride: int, pad: int) -> np.ndarray:
    """Python-integer convolution with zero padding (object arrays: no overflow, no floats)."""
    n, c, h, wd = x.shape
    o, _, k, _ = w.shape
    xo = np.zeros((n, c, h + 2 * pad, wd + 2 * pad), object)
    xo[:, :, pad:pad + h, pad:pad + wd] = x.astype(object)
    wo = w.astype(object)
    oh, ow = conv_out_size(h, k, stride, pad), conv_out_size(wd, k, stride, pad)
    out = np.zeros((n, o, oh, ow), object)
    for i in range(oh):
        for j in range(ow):
            patch = xo[:, :, i * stride:i * stride + k, j * stride:j * stride + k]
            out[:, :, i, j] = np.tensordot(patch, wo, axes=([1, 2, 3], [1, 2, 3]))
    return out


@pytest.mark.parametrize("h, w, k, stride, pad", [(7, 7, 7, 2, 3), (5, 7, 3, 1, 1),
                                                  (8, 8, 3, 1, 1), (4, 4, 1, 1, 0)])
def test_real_conv_matches_exact(h, w, k, stride, pad):
    rng = np.random.default_rng(k * 100 + h)
    x = rng.integers(-(1 << 16), 1 << 16, (2, 3, h, w))
    weights = rng.integers(-127, 128, (4, 3, k, k))
    got = ops.real_conv(x, weights, stride, pad)
    assert got.dtype == np.int64
    assert got.tolist() == _exact_conv(x, weights, stride, pad).tolist()


def test_real_conv_int64_fallback_is_exact_beyond_float64():
    rng = np.random.default_rng(21)
    x = rng.integers((1 << 40) - 1000, (1 << 40), (1, 4, 4, 4)) | 1  # odd, ~2**40
    x[0, 1] *= -1
    weights = rng.integers(3000, 4095, (3, 4, 3, 3)) | 1  # sums ~2**56: int64, not float64
    want = _exact_conv(x, weights, 1, 1)
    assert max(abs(int(v)) for v in want.ravel()) > ops.FLOAT64_EXACT  # really out of range
    # The float64 path would not be exact here, so a wrong path choice would be caught.
    cols = np.stack(ops._windows(np.moveaxis(x, 1, -1), 3, 1, 1, 0), -1).reshape(1, 4, 4, -1)
    as_float = np.rint(cols.astype(np.float64) @ weights.reshape(3, -1).T.astype(np.float64))
    assert (as_float.astype(np.int64) != np.moveaxis(want, 1, -1).astype(np.int64)).any()
    got = ops.real_conv(x, weights, 1, 1)
    assert got.tolist() == want.tolist()


def test_linear_matches_exact_both_paths():
    rng = np.random.default_rng(4)
    for scale in [1 << 20, 1 << 44]:
        x = rng.integers(-scale, scale, (5, 33)) | 1
        weights = rng.integers(-(1 << 15), 1 << 15, (7, 33)) | 1
        got = ops.linear(x, weights)
        want = (x.astype(object) @ weights.T.astype(object))
        assert got.dtype == np.int64
        assert got.tolist() == want.tolist()


def test_int_matmul_bound_selects_exact_path():
    a = np.array([[(1 << 53) + 1]], np.int64)
    b = np.array([[1]], np.int64)
    assert int(ops.int_matmul(a, b, bound=(1 << 53) + 1)[0, 0]) == (1 << 53) + 1
    # Below 2**53 the float path is exact.
    a = np.array([[(1 << 26) + 1, -((1 << 26) - 1)]], np.int64)
    b = np.array([[(1 << 26) - 3], [(1 << 26) + 5]], np.int64)
    want = int(a[0, 0]) * int(b[0, 0]) + int(a[0, 1]) * int(b[1, 0])
    assert int(ops.int_matmul(a, b, bound=(1 << 53) - 1)[0, 0]) == want


def test_input_quant_known_answer():
    pixels = np.array([[[[0, 255]], [[16, 1]]]])  # [N=1, C=2, 1, 2]
    got = ops.input_quant(pixels, np.array([-1229, 7]), 8)
    np.testing.assert_array_equal(got, [[[[-1229, 255 * 256 - 1229]], [[16 * 256 + 7, 263]]]])
