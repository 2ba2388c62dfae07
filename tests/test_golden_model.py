"""The golden model end to end: faithfulness to PyTorch, traces, interval checks, Bi-Real-18."""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from conftest import DIGITS_PIXEL_MAX, WORST_CASE

from bnn_hls.backends.golden.model import GoldenModel, IntervalViolation
from bnn_hls.compiler import ir
from bnn_hls.compiler.config import CompileConfig, Rounding, load_compile_config
from bnn_hls.compiler.importer import import_model
from bnn_hls.compiler.passes.pack import pack_binary_weights
from bnn_hls.compiler.pipeline import compile_model
from bnn_hls.errors import BnnHlsError
from bnn_hls.model import birealnet, birealnet18, builtin_config, random_pixels, randomise_birealnet
from bnn_hls.model.layers import hw_sign


# --------------------------------------------------------------- layer-by-layer faithfulness
def _affine_error(acc: np.ndarray, affine: ir.Affine, frac_bits: int) -> np.ndarray:
    """Bound on |rshift_round(M x + B, S) 2^-F - real affine(x)|: M and B are rounded to
    integers (error <= 1/2 each, scaled by 2^-S) and the result rounds once more (<= 1/2)."""
    return 2.0**-frac_bits * (0.5 + (0.5 * np.abs(acc) + 0.5) * 2.0**-affine.shift)


def _bn_gain(bn: torch.nn.BatchNorm2d) -> np.ndarray:
    return (bn.weight / torch.sqrt(bn.running_var + bn.eps)).detach().double().numpy()


def _chan(v: np.ndarray, ndim: int = 4) -> np.ndarray:
    return np.asarray(v).reshape((1, -1) + (1,) * (ndim - 2))


def check_layerwise(net, compiled, pixels: np.ndarray, useful: float = 0.05,
                    stem_only: bool = False) -> dict[str, float]:
    """Teacher forcing: feed each float64 PyTorch stage the golden model's own input (exactly
    representable) and bound |golden output - PyTorch output| analytically from the rounding
    of the input offset, of the 8-bit weights and of every affine. Returns, per stage, the
    largest error as a fraction of its bound. Sign flips cannot compound this way, so the
    bound is rigorous; it must also be ``useful``: below that fraction of the stage's
    output magnitude. ``stem_only`` stops after the stem (and max pool)."""
    graph = compiled.graph
    golden = GoldenModel(graph)
    _, trace = golden.run(pixels, trace=True)
    for node in graph.nodes:  # no saturation happened on these inputs (the float model has none)
        fmt = graph.tensors[node.output].fmt
        if isinstance(node, ir.Add) or (isinstance(node, ir.Affine) and node.saturate):
            assert fmt.lo < trace[node.name].min() and trace[node.name].max() < fmt.hi, node.name
    model = copy.deepcopy(net).double().eval()
    cfg = model.cfg

    def value(tensor: str) -> np.ndarray:
        return trace[graph.producer(tensor).name]

    def frac(tensor: str) -> int:
        return graph.tensors[tensor].fmt.frac_bits

    ratios = {}

    def compare(name, got, want, bound):
        assert got.shape == want.shape, name
        err = np.abs(got - want)
        assert (err <= bound + 1e-9).all(), f"{name}: error {err.max():.3g} > bound"
        assert bound.max() < useful * max(np.abs(want).max(), 1.0), f"{name}: loose bound"
        ratios[name] = float((err / bound).max())

    with torch.no_grad():
        # --- stem: normalisation, conv1 (quantised, folded), bn1 (affine), max pool
        norm = cfg.input_norm
        mean, std = np.array(norm.mean), np.array(norm.std)
        x = torch.from_numpy((pixels * norm.scale - _chan(mean)) / _chan(std))
        stem_ref = model.bn1(model.conv1(x)).numpy()
        quant = graph.nodes_of(ir.InputQuant)[0]
        conv1, stem_affine = graph.node("conv1"), graph.node("bn1")
        fin = quant.frac_bits
        s = conv1.weight_scale
        gain = _bn_gain(model.bn1)
        w_folded = model.conv1.weight.numpy() * _chan(norm.scale / std)
        stride, pad = conv1.stride, conv1.pad
        q_abs = torch.from_numpy(np.abs(value(quant.output)) * 2.0**-fin)
        ones_k = torch.ones((1,) + conv1.weight.shape[1:], dtype=torch.float64)
        taps_abs = F.conv2d(q_abs, ones_k, stride=stride, padding=pad).numpy()  # sum |x| taps
        offset_err = F.conv2d(torch.ones_like(q_abs), torch.from_numpy(np.abs(w_folded)),
                              stride=stride, padding=pad).numpy() * 2.0**-(fin + 1)
        stem_bound = np.abs(_chan(gain)) * (offset_err + _chan(s) / 2 * taps_abs) + \
            _affine_error(trace["conv1"], stem_affine, frac("bn1"))
        compare("stem", trace["bn1"] * 2.0**-frac("bn1"), stem_ref, stem_bound)
        if isinstance(model.maxpool, torch.nn.MaxPool2d):
            mp = model.maxpool
            compare("maxpool", trace["maxpool"] * 2.0**-frac("maxpool"),
                    mp(torch.from_numpy(stem_ref)).numpy(),
                    F.max_pool2d(torch.from_numpy(stem_bound), mp.kernel_size, mp.stride,
                                 mp.padding).numpy())

        if stem_only:
            return ratios
        # --- blocks
        for i, stage in enumerate(model.stages, start=1):
            for j, block in enumerate(stage):
                prefix = f"layer{i}.{j}"
                source = graph.node(f"{prefix}.binary_activation").inputs[0]
                x_real = torch.from_numpy(value(source) * 2.0**-frac(source))
                ref = block(x_real).numpy()
                # The binary conv is exact: same bits, and alpha * dot in PyTorch.
                conv = block.binary_conv
                signs = np.where(conv.weights.view(conv.shape).numpy() >= 0, 1.0, -1.0)
                dot = trace[f"{prefix}.binary_conv"]
                np.testing.assert_array_equal(
                    dot, F.conv2d(hw_sign(x_real), torch.from_numpy(signs), stride=conv.stride,
                                  padding=conv.padding).numpy().astype(np.int64))
                add = f"{prefix}.add"
                bound = _affine_error(dot, graph.node(f"{prefix}.bn1"), frac(add))
                if block.downsample is None:
                    if frac(source) > frac(add):
                        bound = bound + 0.5 * 2.0**-frac(add)
                else:
                    pooled = trace[f"{prefix}.downsample.0"]
                    ds_conv = graph.node(f"{prefix}.downsample.1")
                    pooled_abs = np.abs(pooled).sum(axis=1, keepdims=True) * 2.0**-frac(source) / 4
                    bound = bound + np.abs(_chan(_bn_gain(block.downsample[2]))) * \
                        _chan(ds_conv.weight_scale) / 2 * pooled_abs + \
                        _affine_error(trace[ds_conv.name], graph.node(f"{prefix}.downsample.2"),
                                      frac(add))
                compare(prefix, trace[add] * 2.0**-frac(add), ref, bound)

        # --- global average pool and FC
        last = graph.node("avgpool").inputs[0]
        _, h, w = graph.tensors[last].shape
        pooled = trace["avgpool"] * 2.0**-frac(last) / (h * w)
        ref = model.fc(torch.from_numpy(pooled)).numpy()
        fc = graph.node("fc")
        logits = graph.node("fc.bias")
        flog = compiled.config.logit_frac_bits
        bound = _chan(fc.weight_scale, 2) / 2 * np.abs(pooled).sum(axis=1, keepdims=True) + \
            _affine_error(trace["fc"], logits, flog)
        compare("fc", trace["fc.bias"] * 2.0**-flog, ref, bound)
    return ratios


def _float_logits(net, pixels: np.ndarray) -> np.ndarray:
    cfg = net.cfg
    norm = cfg.input_norm
    x = (pixels * norm.scale - _chan(np.array(norm.mean))) / _chan(np.array(norm.std))
    with torch.no_grad():
        return copy.deepcopy(net).double()(torch.from_numpy(x)).numpy()


def test_layerwise_error_within_analytic_bound_digits(digits_net, digits_compiled):
    cfg = digits_net.cfg
    pixels = np.concatenate([random_pixels(cfg, 64, 11, DIGITS_PIXEL_MAX),
                             random_pixels(cfg, 8, 12)])
    ratios = check_layerwise(digits_net, digits_compiled, pixels)
    assert set(ratios) == {"stem", "maxpool", "layer1.0", "layer1.1", "layer2.0", "layer2.1",
                           "fc"}
    # The bound is not absurdly loose: somewhere the error uses a fair part of it.
    assert max(ratios.values()) > 0.2


def test_layerwise_error_within_analytic_bound_tiny(tiny_net, tiny_compiled):
    ratios = check_layerwise(tiny_net, tiny_compiled, random_pixels(tiny_net.cfg, 32, 13))
    assert set(ratios) == {"stem", "layer1.0", "layer2.0", "layer2.1", "fc"}


def test_floor_rounding_golden_is_floor_of_half_up_product(digits_net, fresh_compile):
    """Rounding.FLOOR: each affine gives floor((M x + B) / 2^S) with the M, B, S of HALF_UP."""
    floor_graph = fresh_compile(digits_net, CompileConfig(rounding=Rounding.FLOOR)).graph
    up_graph = fresh_compile(digits_net).graph
    pixels = random_pixels(digits_net.cfg, 16, 14, DIGITS_PIXEL_MAX)
    _, trace = GoldenModel(floor_graph).run(pixels, trace=True)
    for node in floor_graph.nodes_of(ir.Affine):
        x = trace[floor_graph.producer(node.inputs[0]).name]
        up = up_graph.node(node.name)
        shape = (1, -1) + (1,) * (x.ndim - 2)
        prod = x * up.mult.reshape(shape) + up.bias.reshape(shape)
        half_up = (prod + (1 << (up.shift - 1))) >> up.shift
        floor = prod >> up.shift
        if node.saturate:
            fmt = floor_graph.tensors[node.output].fmt
            floor = np.clip(floor, fmt.lo, fmt.hi)
            half_up = np.clip(half_up, fmt.lo, fmt.hi)
        np.testing.assert_array_equal(trace[node.name], floor)
        assert ((half_up - floor >= 0) & (half_up - floor <= 1)).all()
        assert (half_up != floor).any()


def test_end_to_end_logits_close_to_float_digits(digits_net, digits_compiled):
    cfg = digits_net.cfg
    pixels = random_pixels(cfg, 400, 21, DIGITS_PIXEL_MAX)
    golden = GoldenModel(digits_compiled.graph)
    logits = golden.run(pixels)
    assert logits.dtype == np.int64 and logits.shape == (400, 10)
    got = logits * 2.0**-digits_compiled.config.logit_frac_bits
    want = _float_logits(digits_net, pixels)
    err = np.abs(got - want)
    # Occasional sign flips of near-zero activations propagate, so the end-to-end error is
    # statistical: typically a few percent of the logits' spread.
    assert np.median(err) < 0.05 * want.std()
    assert np.quantile(err, 0.99) < 0.5 * want.std()
    agreement = (golden.predict(pixels) == want.argmax(1)).mean()
    assert agreement >= 0.95
    np.testing.assert_array_equal(golden.predict(pixels), logits.argmax(1))


# ------------------------------------------------------------------------------------ trace
def test_trace_has_every_node_with_its_shape(digits_compiled):
    graph = digits_compiled.graph
    pixels = random_pixels(digits_compiled.network.cfg, 3, 1, DIGITS_PIXEL_MAX)
    logits, trace = GoldenModel(graph).run(pixels, trace=True)
    assert list(trace) == [node.name for node in graph.nodes]
    for node in graph.nodes:
        tensor = graph.tensors[node.output]
        assert trace[node.name].shape == (3,) + tensor.shape, node.name
        assert trace[node.name].dtype == (bool if isinstance(node, ir.Sign) else np.int64)
    assert trace["conv1"].shape == (3, 32, 8, 8)
    assert trace["layer2.0.binary_conv"].shape == (3, 64, 4, 4)
    assert trace["layer2.0.downsample.0"].shape == (3, 32, 4, 4)
    assert trace["avgpool"].shape == (3, 64)
    assert trace["fc"].shape == (3, 10)
    np.testing.assert_array_equal(trace[graph.producer(graph.output).name], logits)
    np.testing.assert_array_equal(GoldenModel(graph).run(pixels), logits)
    # Sign bits are the binarised residual they come from.
    np.testing.assert_array_equal(trace["layer1.1.binary_activation"],
                                  trace["layer1.0.add"] >= 0)


# ------------------------------------------------------------------------ interval checking
def test_interval_violation_fires_on_tampered_interval(digits_compiled):
    graph = copy.deepcopy(digits_compiled.graph)
    pixels = random_pixels(digits_compiled.network.cfg, 8, 2, DIGITS_PIXEL_MAX)
    _, trace = GoldenModel(graph).run(pixels, trace=True)
    observed = trace["layer1.1.bn1"]
    tensor = graph.tensors["layer1.1.bn1"]
    tensor.interval = (tensor.interval[0], int(observed.max()) - 1)
    with pytest.raises(IntervalViolation, match="layer1.1.bn1"):
        GoldenModel(graph).run(pixels)
    tensor.interval = (int(observed.min()) + 1, int(observed.max()))
    with pytest.raises(IntervalViolation, match="layer1.1.bn1"):
        GoldenModel(graph).run(pixels)
    tensor.interval = (int(observed.min()), int(observed.max()))  # exactly tight is fine
    GoldenModel(graph).run(pixels)
    assert issubclass(IntervalViolation, AssertionError)


def test_interval_violation_on_out_of_range_pixels(digits_compiled):
    cfg = digits_compiled.network.cfg
    pixels = random_pixels(cfg, 2, 3, DIGITS_PIXEL_MAX)
    pixels[1, 0, 3, 3] = 256  # not an 8-bit pixel
    with pytest.raises(IntervalViolation, match="input_quant"):
        GoldenModel(digits_compiled.graph).run(pixels)


def test_golden_model_refuses_float_graph(digits_net):
    graph = import_model(copy.deepcopy(digits_net))
    pack_binary_weights(graph)
    pixels = random_pixels(digits_net.cfg, 1, 0, DIGITS_PIXEL_MAX)
    with pytest.raises(BnnHlsError) as error:
        GoldenModel(graph).run(pixels)
    assert str(error.value) == ("layer 'input_norm': the golden model does not support "
                                "InputNormalize nodes")


# ------------------------------------------------------------------------------ Bi-Real-18
@pytest.fixture(scope="module")
def birealnet18_32():
    """Bi-Real-18's topology (7x7/2 stem, max pool, 4 x 4 blocks, 64..512 channels, 1000
    classes) at 32x32 input so the golden model runs in well under a second."""
    cfg = dataclasses.replace(builtin_config("birealnet18"), name="birealnet18-32",
                              input_size=32)
    cfg.validate("birealnet18-32")
    return randomise_birealnet(birealnet(cfg), seed=18, stats_images=8)


def _check_birealnet18_graph(graph: ir.Graph, size: int):
    assert len(graph.nodes_of(ir.BinaryConv)) == 16
    assert len(graph.nodes_of(ir.Add)) == 16
    assert len(graph.nodes_of(ir.AvgPool2Sum)) == 3
    assert [n.name for n in graph.nodes_of(ir.Conv)] == \
        ["conv1", "layer2.0.downsample.1", "layer3.0.downsample.1", "layer4.0.downsample.1"]
    assert graph.tensors["conv1"].shape == (64, size // 2, size // 2)
    assert graph.tensors["maxpool"].shape == (64, size // 4, size // 4)
    assert graph.tensors["layer4.3.add"].shape == (512, size // 32, size // 32)
    assert graph.tensors[graph.output].shape == (1000,)
    for conv in graph.nodes_of(ir.BinaryConv):
        out_ch, in_ch = conv.weight_bits.shape[:2]
        assert conv.packed.shape == (out_ch, 3, 3, -(-in_ch // 64)) and \
            conv.packed.dtype == np.uint64
    for add in graph.nodes_of(ir.Add):
        assert graph.tensors[add.output].fmt.width == 16


def test_birealnet18_compiles_and_runs_at_224():
    torch.manual_seed(0)
    net = birealnet18()  # the plain random initialisation, compiled from the worst case
    compiled = compile_model(net, WORST_CASE)
    _check_birealnet18_graph(compiled.graph, 224)
    assert set(compiled.saturation) == {"bn1"} | {f"layer{i}.{j}.add" for i in range(1, 5)
                                                  for j in range(4)}
    assert not any(compiled.saturation.values())
    assert all(t.interval is not None for t in compiled.graph.tensors.values()
               if t.name != compiled.graph.input)
    # The full-size golden run (one image); the 7x7/2 stem with its 3-pixel border against
    # PyTorch (the blocks are compared layer by layer on the 32x32 variant below).
    pixels = random_pixels(net.cfg, 1, 224)
    logits = GoldenModel(compiled.graph).run(pixels)
    assert logits.shape == (1, 1000) and logits.dtype == np.int64
    assert len(np.unique(logits)) > 100
    ratios = check_layerwise(net, compiled, pixels, stem_only=True)
    assert set(ratios) == {"stem", "maxpool"}


def test_birealnet18_topology_golden_matches_float(birealnet18_32, fresh_compile):
    """With trained-like BN statistics the worst case of 16 blocks does not fit 16 bits
    (layer4.0.add needs ~18 integer bits), so this compile uses calibration."""
    compiled = fresh_compile(birealnet18_32,
                             calibration_pixels=random_pixels(birealnet18_32.cfg, 32, 77))
    _check_birealnet18_graph(compiled.graph, 32)
    pixels = random_pixels(birealnet18_32.cfg, 6, 4)
    # 256-input 1x1 downsample convs: the worst-case weight-rounding bound is looser.
    ratios = check_layerwise(birealnet18_32, compiled, pixels, useful=0.1)
    assert len(ratios) == 1 + 1 + 16 + 1
    # (End to end, this random 16-block network is chaotic: a few near-zero sign flips per
    # block multiply, so only the layer-wise comparison is meaningful here.)


# ------------------------------------------------------------------------- compile config
def test_compile_config_yaml_unknown_field(tmp_path):
    path = tmp_path / "compile.yaml"
    path.write_text("shortcut_bits: 12\nshortcut_bitz: 16\n")
    with pytest.raises(BnnHlsError, match="shortcut_bitz") as info:
        load_compile_config(path)
    assert str(path) in str(info.value)


def test_compile_config_yaml_valid_and_bad_values(tmp_path):
    path = tmp_path / "ok.yaml"
    path.write_text("shortcut_bits: 12\nrounding: floor\nshortcut_int_bits: 3\n")
    config = load_compile_config(path)
    assert config.shortcut_bits == 12 and config.rounding is Rounding.FLOOR
    assert config.shortcut_int_bits == 3 and config.multiplier_bits == 18
    assert CompileConfig.from_dict(config.to_dict()) == config
    assert load_compile_config(None) == CompileConfig()
    for text, field in [("rounding: nearest\n", "rounding"), ("max_shift: -1\n", "max_shift"),
                        ("multiplier_bits: 2\n", "multiplier_bits"),
                        ("calibration_headroom: 0.5\n", "calibration_headroom")]:
        path.write_text(text)
        with pytest.raises(BnnHlsError, match=field):
            load_compile_config(path)
