"""Each compiler pass on its own: folding, quantisation, formats, lowering, intervals."""

from __future__ import annotations

import copy
import dataclasses
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from conftest import DIGITS_PIXEL_MAX, WORST_CASE, graph_upto

from bnn_hls.backends.golden import ops
from bnn_hls.backends.golden.model import GoldenModel
from bnn_hls.compiler import ir
from bnn_hls.compiler.config import CompileConfig, Rounding
from bnn_hls.compiler.formats import Fixed, Integer
from bnn_hls.compiler.importer import import_model
from bnn_hls.compiler.passes.choose_formats import int_bits_for, residual_tensors
from bnn_hls.compiler.passes.fold import fold_batchnorm, fold_binary_scale, fold_input_normalisation
from bnn_hls.compiler.passes.intervals import analyse_intervals
from bnn_hls.compiler.passes.lower import lower_affines
from bnn_hls.compiler.passes.pack import pack_binary_weights
from bnn_hls.compiler.passes.quantize import quantize_symmetric
from bnn_hls.errors import BnnHlsError
from bnn_hls.model import birealnet, random_pixels, randomise_birealnet
from bnn_hls.model.layers import HardBinaryConv

# ----------------------------------------------------------------------------- helpers


def _extreme_pixels(cfg) -> np.ndarray:
    """All 0, all max, both checkerboards, stripes, one bright pixel, per-channel extremes."""
    top = (1 << cfg.input_norm.pixel_bits) - 1
    c, s = cfg.in_channels, cfg.input_size
    yy, xx = np.mgrid[:s, :s]
    board = ((yy + xx) % 2).astype(np.int64)
    images = [np.zeros((c, s, s)), np.full((c, s, s), top),
              np.broadcast_to(board * top, (c, s, s)),
              np.broadcast_to((1 - board) * top, (c, s, s)),
              np.broadcast_to((yy % 2) * top, (c, s, s)), np.broadcast_to((xx % 3 == 0) * top,
                                                                          (c, s, s))]
    one = np.zeros((c, s, s))
    one[:, s // 2, s // 2] = top
    images.append(one)
    if c > 1:
        split = np.zeros((c, s, s))
        split[0] = top
        images.append(split)
    return np.stack(images).astype(np.int64)


def _bn_module(net, name: str):
    module = net.get_submodule(name)
    assert isinstance(module, torch.nn.BatchNorm2d)
    return module


# ------------------------------------------------------------------------------ folding
def test_fold_batchnorm_reproduces_eval_batchnorm(digits_net):
    graph = import_model(digits_net)
    names = [bn.name for bn in graph.nodes_of(ir.BatchNorm)]
    assert len(names) == 1 + 4 + 1  # stem, four blocks, one downsample
    fold_batchnorm(graph)
    assert not graph.nodes_of(ir.BatchNorm)
    rng = np.random.default_rng(0)
    for name in names:
        node = graph.node(name)
        assert isinstance(node, ir.ScaleShift)
        bn = _bn_module(digits_net, name)
        mean = bn.running_mean.double()
        sigma = (bn.running_var.double() + bn.eps).sqrt()
        x = torch.from_numpy(rng.standard_normal((3, bn.num_features, 2, 2))) * 3 * \
            sigma.view(1, -1, 1, 1) + mean.view(1, -1, 1, 1)
        with torch.no_grad():
            want = F.batch_norm(x, mean, bn.running_var.double(), bn.weight.double(),
                                bn.bias.double(), training=False, eps=bn.eps).numpy()
        got = node.gain[None, :, None, None] * x.numpy() + node.offset[None, :, None, None]
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
        assert (np.sign(node.gain) == np.sign(bn.weight.detach().double().numpy())).all()


def test_negative_gamma_stays_negative_multiplier(digits_net, digits_compiled):
    graph = digits_compiled.graph
    negatives = 0
    for name in ["bn1", "layer1.0.bn1", "layer1.1.bn1", "layer2.0.bn1", "layer2.1.bn1",
                 "layer2.0.downsample.2"]:
        affine = graph.node(name)
        assert isinstance(affine, ir.Affine)
        gamma = _bn_module(digits_net, name).weight.detach().double().numpy()
        assert (np.sign(affine.mult) == np.sign(gamma)).all(), name
        negatives += int((affine.mult < 0).sum())
    assert negatives > 0
    # ...and the binary weights are not flipped to compensate.
    for conv in graph.nodes_of(ir.BinaryConv):
        module = digits_net.get_submodule(conv.name)
        real = module.weights.detach().view(module.shape).numpy()
        np.testing.assert_array_equal(conv.weight_bits, real >= 0)


def test_fold_binary_scale_multiplies_gain_by_alpha(digits_net):
    graph = import_model(digits_net)
    fold_batchnorm(graph)
    convs = graph.nodes_of(ir.BinaryConv)
    before = {c.name: graph.consumers(c.output)[0].gain.copy() for c in convs}
    fold_binary_scale(graph)
    for conv in convs:
        assert conv.alpha is None
        module = digits_net.get_submodule(conv.name)
        assert isinstance(module, HardBinaryConv)
        alpha = module.weights.detach().double().view(module.shape).abs().mean((1, 2, 3)).numpy()
        follower = graph.consumers(conv.output)[0]
        np.testing.assert_allclose(follower.gain, before[conv.name] * alpha, rtol=1e-12)
    # The stem and downsample ScaleShifts have no alpha and are untouched.
    fold_binary_scale(graph)  # idempotent once alpha is None
    for conv in convs:
        follower = graph.consumers(conv.output)[0]
        module = digits_net.get_submodule(conv.name)
        alpha = module.weights.detach().double().view(module.shape).abs().mean((1, 2, 3)).numpy()
        np.testing.assert_allclose(follower.gain, before[conv.name] * alpha, rtol=1e-12)


def _stem_check(net, frac_bits: int, pixels: np.ndarray):
    """Returns (ours, torch, bound): stem conv on q*2^-F with folded weights vs PyTorch's conv
    on the normalised input, in float64; bound is the offset-rounding bound per output."""
    cfg = net.cfg
    graph = import_model(net)
    stem_weight = graph.node("conv1").weight.copy()
    fold_input_normalisation(graph, frac_bits)
    (quant,) = graph.nodes_of(ir.InputQuant)
    stem = graph.node("conv1")
    pad, stride = stem.pad, stem.stride
    q = ops.input_quant(pixels, quant.offset, frac_bits)
    ours = F.conv2d(torch.from_numpy(q * 2.0**-frac_bits), torch.from_numpy(stem.weight),
                    stride=stride, padding=pad).numpy()
    norm = cfg.input_norm
    mean = torch.tensor(norm.mean, dtype=torch.float64).view(1, -1, 1, 1)
    std = torch.tensor(norm.std, dtype=torch.float64).view(1, -1, 1, 1)
    x = (torch.from_numpy(pixels).double() * norm.scale - mean) / std
    want = F.conv2d(x, torch.from_numpy(stem_weight), stride=stride, padding=pad).numpy()
    # |gain_c (mean_c/scale - rint(mean_c/scale 2^F) 2^-F)| <= gain_c 2^-(F+1), on valid taps.
    ones = torch.ones((1,) + pixels.shape[1:], dtype=torch.float64)
    bound = F.conv2d(ones, torch.from_numpy(np.abs(stem.weight)), stride=stride,
                     padding=pad).numpy() * 2.0**-(frac_bits + 1)
    # Exactly: ours - torch = conv(delta_c on valid taps, folded W), with delta_c = mean_c/scale
    # - rint(mean_c/scale 2^F) 2^-F: padding taps carry no error since both pad with zero.
    delta = np.array(norm.mean) / norm.scale + quant.offset * 2.0**-frac_bits
    predicted = F.conv2d(ones * torch.from_numpy(delta).view(1, -1, 1, 1),
                         torch.from_numpy(stem.weight), stride=stride, padding=pad).numpy()
    return ours, want, bound, quant, predicted


@pytest.mark.parametrize("frac_bits", [0, 3, 8])
def test_fold_input_normalisation_matches_torch_incl_borders(digits_net, frac_bits):
    cfg = digits_net.cfg
    pixels = np.concatenate([random_pixels(cfg, 20, frac_bits, DIGITS_PIXEL_MAX),
                             _extreme_pixels(cfg)])
    ours, want, bound, quant, predicted = _stem_check(digits_net, frac_bits, pixels)
    assert quant.offset.tolist() == [-round(0.3 / 0.0625 * 2**frac_bits)]
    err = np.abs(ours - want)
    assert (err <= bound * (1 + 1e-9) + 1e-9).all()
    np.testing.assert_allclose(ours - want, np.broadcast_to(predicted, ours.shape), rtol=1e-6,
                               atol=1e-9)
    # The error is real (4.8 * 2^F is not an integer) and differs at the border, where fewer
    # taps (and so fewer offset errors) contribute: padding is zero in normalised space.
    assert np.abs(predicted).max() > 1e-4
    assert not np.allclose(predicted[..., 0, 0], predicted[..., 1, 1])


@pytest.mark.parametrize("frac_bits", [1, 8])
def test_fold_input_normalisation_exact_when_offset_representable(tiny_net, frac_bits):
    """TINY_ARCH: mean/scale = 127.5 and 51 are exact in the input unit, so the folded stem
    equals PyTorch's, border pixels included, to float64 precision."""
    cfg = tiny_net.cfg
    pixels = np.concatenate([random_pixels(cfg, 6, 1), _extreme_pixels(cfg)])
    ours, want, _, quant, predicted = _stem_check(tiny_net, frac_bits, pixels)
    assert np.abs(predicted).max() < 1e-12
    assert quant.offset.tolist() == [-255 * 2**(frac_bits - 1), -51 * 2**frac_bits]
    np.testing.assert_allclose(ours, want, rtol=0, atol=1e-9 * np.abs(want).max())
    # A q = 0 pixel is a normalised zero: the image p = mean/scale (channel 1 only) gives zero.
    assert quant.frac_bits == frac_bits


def test_fold_input_normalisation_input_format(tiny_net):
    graph = import_model(tiny_net)
    fold_input_normalisation(graph, 8)
    tensor = graph.tensors[graph.nodes_of(ir.InputQuant)[0].output]
    # q in [-32640, 255*256 - 13056 = 52224]: 17 signed bits.
    assert tensor.fmt == Integer(17)
    np.testing.assert_array_equal(tensor.lsb, [2.0**-8] * 2)


# --------------------------------------------------------------------------- quantisation
@pytest.mark.parametrize("bits", [2, 3, 8, 16])
@pytest.mark.parametrize("shape", [(6, 3, 3, 3), (4, 17), (5, 2, 1, 1)])
def test_quantize_symmetric_bounds(bits, shape):
    rng = np.random.default_rng(bits * 7 + len(shape))
    spread = rng.uniform(1e-3, 10, (shape[0],) + (1,) * (len(shape) - 1))
    weight = rng.standard_normal(shape) * spread
    weight[1] = 0.0  # an all-zero channel
    q, scale = quantize_symmetric(weight, bits)
    qmax = (1 << (bits - 1)) - 1
    assert q.dtype == np.int64 and q.shape == weight.shape and scale.shape == (shape[0],)
    assert np.abs(q).max() <= qmax
    per = (-1,) + (1,) * (len(shape) - 1)
    err = np.abs(weight - q * scale.reshape(per))
    assert (err <= scale.reshape(per) / 2 * (1 + 1e-12)).all()
    assert (np.delete(scale, 1) > 0).all()
    assert scale[1] == 0 and (q[1] == 0).all()  # a dead channel must not set any shift
    flat = np.abs(q.reshape(shape[0], -1)).max(axis=1)
    assert (np.delete(flat, 1) == qmax).all()  # the peak of every channel uses the full range


def test_quantize_real_weights_moves_fc_bias_into_scaleshift(digits_net):
    graph = graph_upto(digits_net, CompileConfig(real_weight_bits=6), "quantize_real_weights")
    fc = graph.node("fc")
    assert fc.bias is None and fc.output == "fc.acc"
    bias = graph.node("fc.bias")
    assert isinstance(bias, ir.ScaleShift) and bias.output == graph.output
    np.testing.assert_allclose(bias.offset, digits_net.fc.bias.detach().double().numpy())
    np.testing.assert_array_equal(bias.gain, np.ones(10))
    for node in graph.nodes_of(ir.Conv) + graph.nodes_of(ir.Linear):
        assert node.weight.dtype == np.int64 and np.abs(node.weight).max() == 31


# -------------------------------------------------------------------------------- formats
def _residual_fmts(graph):
    return {name: graph.tensors[name].fmt for name in residual_tensors(graph)}


@pytest.mark.parametrize("bits", [13, 16, 24])
def test_choose_formats_total_width(digits_net, bits):
    graph = graph_upto(digits_net, CompileConfig(shortcut_bits=bits), "choose_formats")
    fmts = _residual_fmts(graph)
    assert set(fmts) == {"maxpool", "layer1.0.add", "layer1.1.add", "layer2.0.add",
                         "layer2.1.add"}
    for name, fmt in fmts.items():
        assert isinstance(fmt, Fixed) and fmt.width == bits, name
    assert graph.tensors["bn1"].fmt == fmts["maxpool"]  # the stem affine writes that format
    # Integer bits come from the worst case, independent of the total width.
    reference = _residual_fmts(graph_upto(digits_net, CompileConfig(shortcut_bits=16),
                                           "choose_formats"))
    assert {n: f.int_bits for n, f in fmts.items()} == \
        {n: f.int_bits for n, f in reference.items()}


def test_choose_formats_int_bits_cover_worst_case(digits_compiled):
    """Without calibration nothing can saturate, and each format is the smallest that holds
    the tensor's proven integer range (one integer bit fewer would not)."""
    assert digits_compiled.saturation and not any(digits_compiled.saturation.values())
    graph = digits_compiled.graph
    for name, fmt in _residual_fmts(graph).items():
        lo, hi = graph.tensors[name].interval
        scale = 2**fmt.frac_bits
        assert fmt.lo <= lo and hi <= fmt.hi
        if fmt.int_bits > 0:  # the range needs every integer bit: [-2^(I-1), 2^(I-1)) is short
            assert max(-lo, hi) / scale >= 2 ** (fmt.int_bits - 1) * (1 - 1e-3), name


def test_choose_formats_int_bits_override(digits_net, fresh_compile):
    config = CompileConfig(shortcut_bits=12, shortcut_int_bits=2)
    compiled = fresh_compile(digits_net, config)
    for name, fmt in _residual_fmts(compiled.graph).items():
        assert fmt == Fixed(2, 9), name
    assert any(compiled.saturation.values())  # a 2-integer-bit shortcut can overflow
    # The golden model still respects every proven range (saturation is accounted for) and
    # saturation is flagged wherever the unsaturated sum leaves the format.
    golden = GoldenModel(compiled.graph)
    pixels = np.concatenate([random_pixels(digits_net.cfg, 64, 3, DIGITS_PIXEL_MAX),
                             _extreme_pixels(digits_net.cfg)])
    _, trace = golden.run(pixels, trace=True)
    graph = compiled.graph
    overflowed = False
    for add in graph.nodes_of(ir.Add):
        out = graph.tensors[add.output].fmt
        raw = sum(ops.align(trace[graph.producer(t).name], graph.tensors[t].fmt.frac_bits,
                            out.frac_bits) for t in add.inputs)
        outside = bool((raw < out.lo).any() or (raw > out.hi).any())
        overflowed |= outside
        if outside:
            assert compiled.saturation[add.name], add.name
        np.testing.assert_array_equal(trace[add.name], np.clip(raw, out.lo, out.hi))
    assert overflowed


def test_choose_formats_calibration_takes_the_smaller_need(digits_net):
    config = CompileConfig(calibration_headroom=2.0)
    worst = _residual_fmts(graph_upto(digits_net, config, "choose_formats"))
    assert min(f.int_bits for f in worst.values()) >= 3
    calibrated = {"maxpool": 0.3, "layer1.0.add": 3.0, "layer2.1.add": 1e6}
    fmts = _residual_fmts(graph_upto(digits_net, config, "choose_formats", calibrated))
    assert fmts["maxpool"] == Fixed(0, 15)  # 0.3 * 2 < 1
    assert fmts["layer1.0.add"] == Fixed(3, 12)  # 3 * 2 = 6 < 8
    # Downstream worst cases shrink: a calibrated tensor saturates, so its range is clipped.
    for name in ["layer1.1.add", "layer2.0.add", "layer2.1.add"]:
        assert fmts[name].int_bits <= worst[name].int_bits, name
    assert fmts["layer2.0.add"].int_bits < worst["layer2.0.add"].int_bits
    # A calibrated need above the worst case changes nothing.
    del calibrated["layer2.1.add"]
    assert _residual_fmts(graph_upto(digits_net, config, "choose_formats", calibrated)) == fmts


def test_compile_with_calibration_pixels(digits_net, digits_compiled, fresh_compile):
    pixels = random_pixels(digits_net.cfg, 64, 31, DIGITS_PIXEL_MAX)
    compiled = fresh_compile(digits_net, calibration_pixels=pixels)
    worst = _residual_fmts(digits_compiled.graph)
    assert set(compiled.calibrated_max) == set(worst)
    fmts = _residual_fmts(compiled.graph)
    for name, peak in compiled.calibrated_max.items():
        assert peak > 0
        need = int_bits_for(peak * compiled.config.calibration_headroom)
        assert fmts[name].int_bits <= min(need, worst[name].int_bits), name
    assert fmts["maxpool"].int_bits == min(
        int_bits_for(compiled.calibrated_max["maxpool"] * 2.0), worst["maxpool"].int_bits)
    assert sum(f.frac_bits for f in fmts.values()) > sum(f.frac_bits for f in worst.values())
    # The calibrated peak is what the float model produces on those pixels.
    with torch.no_grad():
        x = torch.from_numpy(pixels).double() * digits_net.cfg.input_norm.scale
        x = (x - 0.3) / 0.4
        model = copy.deepcopy(digits_net).double()
        stem = model.maxpool(model.bn1(model.conv1(x)))
    assert math.isclose(compiled.calibrated_max["maxpool"], float(stem.abs().max()),
                        rel_tol=1e-5)


def test_choose_formats_rejects_too_narrow_shortcut(digits_net):
    with pytest.raises(BnnHlsError, match=r"maxpool.*shortcut_bits"):
        graph_upto(digits_net, CompileConfig(shortcut_bits=4, shortcut_int_bits=4),
                    "choose_formats")
    worst = _residual_fmts(graph_upto(digits_net, CompileConfig(), "choose_formats"))
    need = max(f.int_bits for f in worst.values())
    with pytest.raises(BnnHlsError, match="shortcut_bits"):
        graph_upto(digits_net, CompileConfig(shortcut_bits=need), "choose_formats")
    graph_upto(digits_net, CompileConfig(shortcut_bits=need + 1), "choose_formats")


@pytest.mark.parametrize("magnitude", [0.25, 0.999, 1.0, 1.5, 2.0, 3.99, 4.0, 4.01, 1000.0,
                                       1024.0])
def test_int_bits_for_holds_the_magnitude(magnitude):
    """The format's range is [-2**I, 2**I): +magnitude must be strictly below 2**I."""
    bits = int_bits_for(magnitude)
    assert magnitude < 2**bits
    assert bits == 0 or magnitude >= 2 ** (bits - 1)  # and no bit more than needed


# ------------------------------------------------------------------------------- lowering
def _expected_lsb_in(graph: ir.Graph, affine: ir.Affine) -> np.ndarray:
    """The real value of one input step, derived independently from the graph's structure."""
    producer = graph.producer(affine.inputs[0])
    channels = graph.tensors[affine.output].channels
    if isinstance(producer, ir.BinaryConv):
        return np.ones(channels)
    src = graph.producer(producer.inputs[0])
    if isinstance(src, ir.InputQuant):
        return producer.weight_scale * 2.0**-src.frac_bits
    if isinstance(src, ir.AvgPool2Sum):
        return producer.weight_scale * 2.0**-graph.tensors[src.inputs[0]].fmt.frac_bits / 4
    if isinstance(src, ir.GlobalSum):
        _, h, w = graph.tensors[src.inputs[0]].shape
        return producer.weight_scale * 2.0**-graph.tensors[src.inputs[0]].fmt.frac_bits / (h * w)
    raise AssertionError(affine.name)


def _lowered_with_scaleshifts(net, config):
    graph = graph_upto(net, config, "choose_formats")
    real = {n.name: (n.gain.copy(), n.offset.copy()) for n in graph.nodes_of(ir.ScaleShift)}
    lower_affines(graph, config)
    analyse_intervals(graph)
    pack_binary_weights(graph)
    return graph, real


def _out_frac(graph, affine):
    if affine.output == graph.output:
        return None
    fmt = graph.tensors[affine.output].fmt
    return fmt.frac_bits


@pytest.mark.parametrize("mult_bits", [8, 12, 18, 26])
def test_lower_affines_multiplier_width_and_error_bound(digits_net, mult_bits):
    config = CompileConfig(multiplier_bits=mult_bits)
    graph, real = _lowered_with_scaleshifts(digits_net, config)
    assert not graph.nodes_of(ir.ScaleShift)
    affines = graph.nodes_of(ir.Affine)
    assert {a.name for a in affines} == set(real)
    mult_max = (1 << (mult_bits - 1)) - 1
    golden = GoldenModel(graph)
    pixels = np.concatenate([random_pixels(digits_net.cfg, 16, 1, DIGITS_PIXEL_MAX),
                             _extreme_pixels(digits_net.cfg)])
    _, trace = golden.run(pixels, trace=True)
    for affine in affines:
        assert np.abs(affine.mult).max() <= mult_max, affine.name
        assert 0 <= affine.shift <= config.max_shift
        # The shift is the largest that fits: one more would overflow the multiplier.
        assert affine.shift == config.max_shift or 2 * np.abs(affine.mult).max() > mult_max - 1
        gain, offset = real[affine.name]
        frac = config.logit_frac_bits if affine.output == graph.output else \
            _out_frac(graph, affine)
        lsb_in = _expected_lsb_in(graph, affine)
        np.testing.assert_allclose(graph.tensors[affine.inputs[0]].lsb, lsb_in, rtol=1e-12)
        # x: observed values plus the input interval's ends.
        x_obs = trace[graph.producer(affine.inputs[0]).name]
        lo, hi = graph.tensors[affine.inputs[0]].interval
        shape = (1, -1) + (1,) * (x_obs.ndim - 2)
        for x in (x_obs, np.full_like(x_obs, lo), np.full_like(x_obs, hi)):
            got = ops.affine(x, affine.mult, affine.bias, affine.shift)
            ideal = (gain.reshape(shape) * lsb_in.reshape(shape) * x + offset.reshape(shape)) \
                * 2.0**frac
            bound = 0.5 + (0.5 * np.abs(x) + 0.5) * 2.0**-affine.shift
            assert (np.abs(got - ideal) <= bound + 1e-6).all(), affine.name


def test_lower_affines_too_few_multiplier_bits(digits_net):
    with pytest.raises(BnnHlsError, match="layer1.0.bn1.*multiplier bits"):
        _lowered_with_scaleshifts(digits_net, CompileConfig(multiplier_bits=4))


def test_lower_affines_targets(digits_compiled):
    graph = digits_compiled.graph
    config = digits_compiled.config
    stem = graph.node("bn1")
    assert stem.saturate and graph.tensors["bn1"].fmt == graph.tensors["maxpool"].fmt
    for name in ["layer1.0.bn1", "layer2.0.bn1", "layer2.0.downsample.2"]:
        node = graph.node(name)
        add = graph.consumers(node.output)[0]
        assert not node.saturate
        assert graph.tensors[name].fmt.frac_bits == graph.tensors[add.output].fmt.frac_bits
    logits = graph.node("fc.bias")
    assert not logits.saturate
    assert graph.tensors[graph.output].fmt.frac_bits == config.logit_frac_bits


def test_rounding_floor_shifts_bias_by_half(digits_net):
    half_up, _ = _lowered_with_scaleshifts(digits_net, CompileConfig())
    floor, _ = _lowered_with_scaleshifts(digits_net, CompileConfig(rounding=Rounding.FLOOR))
    rng = np.random.default_rng(2)
    for a, b in zip(half_up.nodes_of(ir.Affine), floor.nodes_of(ir.Affine), strict=True):
        assert a.name == b.name and a.shift == b.shift and a.shift > 0
        np.testing.assert_array_equal(a.mult, b.mult)
        np.testing.assert_array_equal(a.bias - b.bias, 1 << (a.shift - 1))
        x = rng.integers(-5000, 5000, (50, a.mult.size))
        exact = x * a.mult + a.bias
        np.testing.assert_array_equal(ops.affine(x, b.mult, b.bias, b.shift),
                                      np.floor_divide(exact, 1 << a.shift))


# ------------------------------------------------------------------------------ intervals
@pytest.mark.parametrize("which", ["digits", "tiny"])
def test_intervals_contain_golden_values(which, digits_compiled, tiny_compiled):
    compiled = digits_compiled if which == "digits" else tiny_compiled
    graph = compiled.graph
    cfg = compiled.network.cfg
    high = DIGITS_PIXEL_MAX if which == "digits" else None
    pixels = np.concatenate([random_pixels(cfg, 48, 5, high), random_pixels(cfg, 16, 6),
                             _extreme_pixels(cfg)])
    _, trace = GoldenModel(graph).run(pixels, trace=True)
    for node in graph.nodes:
        tensor = graph.tensors[node.output]
        values = trace[node.name]
        lo, hi = tensor.interval
        if values.dtype == bool:
            assert (lo, hi) == (0, 1)
            continue
        assert lo <= values.min() and values.max() <= hi, node.name
        assert tensor.fmt.lo <= lo and hi <= tensor.fmt.hi, node.name
        if isinstance(node, ir.Affine):
            x = trace[graph.producer(node.inputs[0]).name]
            shape = (1, -1) + (1,) * (x.ndim - 2)
            product = x * node.mult.reshape(shape) + node.bias.reshape(shape)
            plo, phi = node.product_interval
            assert plo <= product.min() and product.max() <= phi, node.name
            assert max(abs(plo), abs(phi)) < 1 << 62


def _adversarial_tiny(tiny_arch):
    """Positive stem weights, stem output >= 0 everywhere, layer1.0 weights all +1."""
    net = randomise_birealnet(birealnet(tiny_arch), seed=5)
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        net.conv1.weight.copy_(0.5 + 0.5 * torch.rand(net.conv1.weight.shape, generator=g))
        net.bn1.weight.fill_(0.01)
        net.bn1.bias.fill_(3.0)
        net.bn1.running_mean.zero_()
        net.bn1.running_var.fill_(1.0)
        net.layer1[0].binary_conv.weights.abs_()
    return net.eval()


def test_intervals_tight_stem_and_binary_conv_worst_case(tiny_arch, fresh_compile):
    net = _adversarial_tiny(tiny_arch)
    compiled = fresh_compile(net)
    graph = compiled.graph
    conv1 = graph.node("conv1")
    assert (conv1.weight > 0).all()
    quant = graph.nodes_of(ir.InputQuant)[0]
    assert (quant.offset < 0).all()  # positive means: an all-zero image is all negative
    s = tiny_arch.input_size
    extremes = np.stack([np.zeros((2, s, s), np.int64), np.full((2, s, s), 255)])
    _, trace = GoldenModel(graph).run(extremes, trace=True)
    lo, hi = graph.tensors["conv1"].interval
    # Interior pixels of the all-max image reach the upper bound exactly, the all-zero image
    # the lower bound: the interval is tight, and the golden model did not overflow it.
    assert trace["conv1"][1].max() == hi
    assert trace["conv1"][0].min() == lo
    w = conv1.weight.sum(axis=(1, 2, 3))
    pixel_hi = 255 << quant.frac_bits
    assert hi == int((conv1.weight.sum(axis=(2, 3)) * (pixel_hi + quant.offset)).sum(1).max())
    assert lo == int((conv1.weight.sum(axis=(2, 3)) * quant.offset).sum(1).min())
    assert hi > 0 > lo and w.min() > 0
    # Stem output is non-negative, so every sign bit is +1; all-positive binary weights then
    # reach the binary conv's bound fan_in at the interior pixels.
    assert (trace["bn1"] >= 0).all()
    bconv = graph.node("layer1.0.binary_conv")
    assert graph.tensors[bconv.output].interval == (-bconv.fan_in, bconv.fan_in)
    assert trace["layer1.0.binary_conv"].max() == bconv.fan_in == 8 * 9
    assert trace["layer1.0.binary_conv"][:, :, 0, 0].max() == 8 * 4  # corner: 4 valid taps


def test_interval_equals_accumulator_bound_formula(digits_compiled):
    """The stem accumulator's interval is the sum over taps of max(w*q_lo, w*q_hi, 0) (and min),
    the zero standing for padding taps."""
    graph = digits_compiled.graph
    conv1 = graph.node("conv1")
    quant = graph.nodes_of(ir.InputQuant)[0]
    q_lo, q_hi = int(quant.offset[0]), (255 << quant.frac_bits) + int(quant.offset[0])
    w = conv1.weight[:, 0]
    hi = np.maximum(np.maximum(w * q_lo, w * q_hi), 0).sum(axis=(1, 2)).max()
    lo = np.minimum(np.minimum(w * q_lo, w * q_hi), 0).sum(axis=(1, 2)).min()
    assert graph.tensors["conv1"].interval == (int(lo), int(hi))


def test_analyse_intervals_refuses_more_than_62_bits(digits_net):
    graph = graph_upto(digits_net, CompileConfig(), "lower_affines")
    affine = graph.node("layer1.0.bn1")
    affine.bias = affine.bias + (1 << 61)
    affine.mult = affine.mult * (1 << 20)
    with pytest.raises((ValueError, BnnHlsError), match="layer1.0.bn1"):
        analyse_intervals(graph)


def test_widest_legal_config_compiles_or_fails_as_user_error(digits_net, fresh_compile):
    """shortcut_bits and multiplier_bits at their documented maximum (32) are a legal config:
    compiling must either work or fail with BnnHlsError (the CLI's one-line error), never an
    internal exception."""
    config = CompileConfig.from_dict({"shortcut_bits": 32, "multiplier_bits": 32})
    try:
        compiled = fresh_compile(digits_net, config)
    except BnnHlsError as exc:
        assert "bits" in str(exc)
    else:
        GoldenModel(compiled.graph).run(_extreme_pixels(digits_net.cfg))


def test_compile_config_changes_reach_graph(digits_net, fresh_compile):
    """Dataclass-replaced configs are honoured: frac bits of the input unit and the logits."""
    config = dataclasses.replace(CompileConfig(), input_frac_bits=5, logit_frac_bits=11)
    graph = fresh_compile(digits_net, config).graph
    assert graph.nodes_of(ir.InputQuant)[0].frac_bits == 5
    assert graph.tensors[graph.output].fmt.frac_bits == 11
    assert math.isclose(graph.tensors[graph.output].lsb[0], 2.0**-11)
    assert copy.deepcopy(graph).dump() == graph.dump()


def test_uncalibrated_stem_never_saturates_at_power_of_two_range(tiny_net, fresh_compile):
    """Without calibration a residual format must hold its whole worst case ("a tensor either
    can never saturate"). A stem whose BN has gamma = 0 and beta = 2 (dead channels, the
    largest exactly 2.0) gets 1 integer bit, whose range [-2, 2) excludes 2.0 itself."""
    net = copy.deepcopy(tiny_net)
    with torch.no_grad():
        net.bn1.weight.zero_()
        net.bn1.bias.copy_(torch.linspace(-1.0, 2.0, net.bn1.num_features))
    compiled = fresh_compile(net)
    pixels = random_pixels(net.cfg, 2, 0)
    _, trace = GoldenModel(compiled.graph).run(pixels, trace=True)
    fmt = compiled.graph.tensors["bn1"].fmt
    stem = trace["bn1"][:, -1] * 2.0**-fmt.frac_bits  # the channel with beta = 2.0
    assert not compiled.saturation["bn1"]
    np.testing.assert_array_equal(stem, 2.0)


def test_intervals_cover_padding_taps_when_input_excludes_zero(tiny_arch, fresh_compile):
    """With negative normalisation means every input q is > 0, yet the stem's zero padding
    still feeds 0s: the accumulator's interval must include the border sums."""
    arch = dataclasses.replace(tiny_arch, input_norm=dataclasses.replace(
        tiny_arch.input_norm, mean=(-0.25, -0.5)))
    net = randomise_birealnet(birealnet(arch), seed=3)
    with torch.no_grad():
        net.conv1.weight.abs_()
    compiled = fresh_compile(net)
    quant = compiled.graph.nodes_of(ir.InputQuant)[0]
    assert (quant.offset > 0).all()
    s = arch.input_size
    zeros = np.zeros((1, 2, s, s), np.int64)
    _, trace = GoldenModel(compiled.graph).run(zeros, trace=True)  # no IntervalViolation
    acc = trace["conv1"][0]
    lo, hi = compiled.graph.tensors["conv1"].interval
    assert lo <= acc.min() and acc.max() <= hi
    interior_min = int((compiled.graph.node("conv1").weight.sum(axis=(2, 3))
                        * quant.offset).sum(1).min())
    assert acc[:, 0, 0].min() < interior_min  # a corner sees only 4 of 9 taps
    assert lo <= 0


@pytest.mark.parametrize("layer, bn_name", [("fc", "fc.bias"), ("conv1", "bn1")])
def test_all_zero_output_channel_does_not_cost_other_channels_precision(
        digits_net, digits_compiled, fresh_compile, layer, bn_name):
    """A dead filter or a dead class (all-zero weights, so its accumulator is always 0) must
    not change how the other channels are lowered: per-channel quantisation leaves their
    weights and scales alone, so their affine multipliers, biases and shift should be the
    same bits as before."""
    net = copy.deepcopy(digits_net)
    with torch.no_grad():
        net.get_submodule(layer).weight[3].zero_()
    graph = fresh_compile(net, WORST_CASE).graph
    before, after = digits_compiled.graph.node(bn_name), graph.node(bn_name)
    keep = np.arange(before.mult.size) != 3
    np.testing.assert_array_equal(graph.node(layer).weight[keep],
                                  digits_compiled.graph.node(layer).weight[keep])
    assert after.shift == before.shift
    np.testing.assert_array_equal(after.mult[keep], before.mult[keep])
