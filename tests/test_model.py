"""The PyTorch Bi-Real model: activations, binary convolution, architectures, checkpoints."""

import random

import pytest
import torch
import torch.nn.functional as F

from bnn_hls.errors import BnnHlsError
from bnn_hls.model import (
    Activation,
    BinaryActivation,
    HardBinaryConv,
    birealnet18,
    birealnet34,
    build_model,
    load_arch_config,
    read_checkpoint,
)
from bnn_hls.model.checkpoint import param_count
from bnn_hls.model.config import CONFIG_DIR

POINTS = torch.tensor([-2.0, -1.0, -0.75, -0.5, -0.25, 0.0, 0.25, 0.5, 0.75, 1.0, 2.0])


def _gradient(kind: Activation, x: torch.Tensor) -> torch.Tensor:
    x = x.clone().requires_grad_(True)
    BinaryActivation(kind)(x).sum().backward()
    return x.grad


@pytest.mark.parametrize("kind", [Activation.APPROX_SIGN, Activation.STE])
def test_sign_forward_maps_zero_to_plus_one(kind):
    out = BinaryActivation(kind)(POINTS)
    expected = torch.tensor([-1.0] * 5 + [1.0] * 6)
    assert torch.equal(out, expected)


def test_approx_sign_gradient_is_the_analytic_derivative():
    # 2 + 2x on [-1, 0), 2 - 2x on [0, 1), 0 elsewhere, evaluated by hand at POINTS.
    expected = torch.tensor([0.0, 0.0, 0.5, 1.0, 1.5, 2.0, 1.5, 1.0, 0.5, 0.0, 0.0])
    assert torch.equal(_gradient(Activation.APPROX_SIGN, POINTS), expected)


def test_ste_gradient_is_one_inside_unit_interval():
    expected = (POINTS.abs() <= 1).float()
    assert torch.equal(_gradient(Activation.STE, POINTS), expected)


def test_clip_activation_and_gradient():
    assert torch.equal(BinaryActivation(Activation.CLIP)(POINTS), POINTS.clamp(-1, 1))
    inside = (POINTS.abs() <= 1).float()  # torch.clamp passes the gradient at the bounds too
    assert torch.equal(_gradient(Activation.CLIP, POINTS), inside)


def test_relu_activation_and_gradient():
    assert torch.equal(BinaryActivation(Activation.RELU)(POINTS), POINTS.relu())
    assert torch.equal(_gradient(Activation.RELU, POINTS), (POINTS > 0).float())


def _conv_with_weights(weights: torch.Tensor, binary: bool) -> HardBinaryConv:
    out_ch, in_ch, k, _ = weights.shape
    conv = HardBinaryConv(in_ch, out_ch, k, stride=1, padding=1, binary=binary)
    with torch.no_grad():
        conv.weights.copy_(weights.reshape(-1, 1))
    return conv


def test_binary_conv_forward_is_scaled_sign_convolution():
    torch.manual_seed(0)
    weights = torch.randn(4, 3, 3, 3)
    weights[0, 0, 0, 0] = 0.0  # sign(0) must be +1
    x = torch.randn(2, 3, 6, 6)
    alpha = weights.abs().sum(dim=(1, 2, 3)) / (3 * 3 * 3)
    signs = torch.where(weights >= 0, 1.0, -1.0)
    expected = F.conv2d(x, alpha.view(4, 1, 1, 1) * signs, padding=1)
    out = _conv_with_weights(weights, binary=True)(x)
    assert torch.allclose(out, expected, atol=1e-5)


def test_binary_conv_weight_gradient_passes_through_clamp():
    torch.manual_seed(0)
    weights = torch.randn(4, 3, 3, 3) * 1.5
    conv = _conv_with_weights(weights, binary=True)
    (conv(torch.randn(2, 3, 6, 6)) * torch.randn(2, 4, 6, 6)).sum().backward()
    grad = conv.weights.grad.view(4, 3, 3, 3)
    outside = weights.abs() > 1
    assert outside.any() and (~outside).any()
    assert torch.all(grad[outside] == 0)
    assert torch.all(grad[~outside] != 0)


def test_real_mode_is_a_plain_convolution():
    torch.manual_seed(0)
    weights = torch.randn(4, 3, 3, 3)
    x = torch.randn(2, 3, 6, 6)
    out = _conv_with_weights(weights, binary=False)(x)
    assert torch.allclose(out, F.conv2d(x, weights, padding=1), atol=1e-5)


def test_parameter_counts_match_the_paper():
    assert param_count(birealnet18()) == 11_689_512
    assert param_count(birealnet34()) == 21_797_672


def test_official_key_names_and_shapes():
    shapes = {k: tuple(v.shape) for k, v in birealnet18().state_dict().items()}
    assert shapes["conv1.weight"] == (64, 3, 7, 7)
    assert shapes["bn1.weight"] == (64,)
    assert "bn1.running_mean" in shapes and "bn1.running_var" in shapes
    assert shapes["layer1.0.binary_conv.weights"] == (64 * 64 * 9, 1)
    assert shapes["layer1.0.bn1.weight"] == (64,)
    assert shapes["layer2.0.downsample.1.weight"] == (128, 64, 1, 1)
    assert shapes["layer2.0.downsample.2.running_var"] == (128,)
    assert shapes["fc.weight"] == (1000, 512)
    assert shapes["fc.bias"] == (1000,)


def test_flattened_binary_weights_are_oihw():
    conv = HardBinaryConv(3, 4, 3, binary=False)
    with torch.no_grad():
        conv.weights.copy_(torch.arange(4 * 3 * 3 * 3, dtype=torch.float32).view(-1, 1))
    o, i, h, w = 2, 1, 0, 2
    flat_index = ((o * 3 + i) * 3 + h) * 3 + w
    assert conv.effective_weight()[o, i, h, w].item() == flat_index


def test_authors_style_checkpoint_is_recognised_as_birealnet18(tmp_path):
    reference = birealnet18()
    path = tmp_path / "authors.pth.tar"
    state = {"module." + k: v for k, v in reference.state_dict().items()}
    torch.save({"state_dict": state, "epoch": 256, "best_top1_acc": 56.4}, path)
    ckpt = read_checkpoint(path)
    assert ckpt.arch.name == "birealnet18"
    model = build_model(ckpt)
    assert torch.equal(model.fc.weight, reference.fc.weight)


def test_missing_checkpoint_names_the_file(tmp_path):
    path = tmp_path / "absent.pt"
    with pytest.raises(BnnHlsError, match="absent.pt: no such checkpoint"):
        read_checkpoint(path)


def test_corrupt_checkpoint_names_the_file(tmp_path):
    path = tmp_path / "corrupt.pt"
    path.write_bytes(random.Random(0).randbytes(4096))
    with pytest.raises(BnnHlsError, match="corrupt.pt: not a readable PyTorch checkpoint"):
        read_checkpoint(path)


class PickledCode:
    """Loading an instance of this class would require running pickled code."""

    def __init__(self):
        self.state_dict = {"fc.weight": torch.zeros(1)}


def test_checkpoint_needing_pickled_code_is_refused(tmp_path):
    path = tmp_path / "code.pt"
    torch.save(PickledCode(), path)
    with pytest.raises(BnnHlsError, match="code.pt: refused: the file needs pickled code"):
        read_checkpoint(path)


def _digits_yaml_with(tmp_path, old: str, new: str):
    text = (CONFIG_DIR / "digits.yaml").read_text()
    assert old in text
    path = tmp_path / "arch.yaml"
    path.write_text(text.replace(old, new))
    return path


@pytest.mark.parametrize(("old", "new", "message"), [
    ("num_classes: 10", "num_classes: 10\ncolour: blue", "unknown field 'colour'"),
    ("{channels: 64, blocks: 2, stride: 2}", "{channels: 64, blocks: 2, stride: 3}",
     r"stages\[1\].stride: only 1 and 2 are supported, got 3"),
    ("{channels: 64, blocks: 2, stride: 2}", "{channels: 64, blocks: 2, stride: 1}",
     r"stages\[1\]: changing channels 32 -> 64 needs stride 2"),
])
def test_bad_config_names_the_file_and_field(tmp_path, old, new, message):
    path = _digits_yaml_with(tmp_path, old, new)
    with pytest.raises(BnnHlsError, match=message) as info:
        load_arch_config(path)
    assert str(info.value).startswith(str(path))
