"""The digits data split and the two-stage training recipe."""

import hashlib

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

from bnn_hls.data import digits_split
from bnn_hls.errors import BnnHlsError
from bnn_hls.model import Activation, BiRealNet, build_model, builtin_config, read_checkpoint
from bnn_hls.model.train import (
    Pretrain,
    TrainConfig,
    binary_from_real,
    shift_pixels,
    train_digits,
    train_main,
)

DIGITS = builtin_config("digits")
QUICK = TrainConfig(real_epochs=1, binary_epochs=1, train_limit=256)


def test_digits_split_is_uint8_pixels_and_int64_labels():
    split = digits_split()
    assert split.train_x.shape == (1347, 1, 8, 8) and split.test_x.shape == (450, 1, 8, 8)
    for x in (split.train_x, split.test_x):
        assert x.dtype == np.uint8 and x.min() == 0 and x.max() == 16
    assert split.train_y.dtype == np.int64 and split.test_y.dtype == np.int64


def test_digits_split_is_a_stratified_partition():
    split = digits_split()
    train_counts = np.bincount(split.train_y, minlength=10)
    test_counts = np.bincount(split.test_y, minlength=10)
    total = train_counts + test_counts
    assert np.all(np.abs(test_counts - 0.25 * total) <= 1)
    # Disjoint and complete: together the halves are exactly the 1797 images (as a multiset,
    # since the data set has a few duplicate images).
    halves = np.concatenate([split.train_x, split.test_x]).reshape(1797, -1)
    everything = load_digits().images.astype(np.uint8).reshape(1797, -1)
    for got, want in zip(np.unique(halves, axis=0, return_counts=True),
                         np.unique(everything, axis=0, return_counts=True), strict=True):
        assert np.array_equal(got, want)


def test_digits_split_is_deterministic_and_seeded():
    first, again, other = digits_split(), digits_split(), digits_split(seed=1)
    assert np.array_equal(first.test_x, again.test_x)
    assert np.array_equal(first.test_y, again.test_y)
    assert not np.array_equal(first.test_y, other.test_y)


def test_default_split_is_pinned():
    """The compiler calibrates and evaluates on this test set: a library change must show."""
    split = digits_split()
    digest = hashlib.sha256(split.test_x.tobytes() + split.test_y.tobytes()).hexdigest()
    assert digest.startswith("690b4d3329b59ad4")


def test_shift_pixels_moves_each_image_by_at_most_one_pixel():
    pixels = torch.from_numpy(digits_split().train_x[:64])
    shifted = shift_pixels(pixels, torch.Generator().manual_seed(0))
    padded = torch.nn.functional.pad(pixels, (1, 1, 1, 1))
    candidates = torch.stack([padded[..., dy:dy + 8, dx:dx + 8]
                              for dy in range(3) for dx in range(3)], dim=1)
    matches = (candidates == shifted[:, None]).flatten(2).all(dim=2)
    assert matches.any(dim=1).all()
    assert not matches[:, 4].all()  # not every image left unshifted


def test_binary_network_starts_from_the_real_network():
    torch.manual_seed(0)
    real = BiRealNet(DIGITS, activation=Activation.CLIP, binary=False)
    binary = binary_from_real(real, TrainConfig())
    assert binary.layer1[0].binary_conv.binary and not real.layer1[0].binary_conv.binary
    assert binary.layer1[0].binary_activation.kind is Activation.APPROX_SIGN
    real_state, binary_state = real.state_dict(), binary.state_dict()
    assert real_state.keys() == binary_state.keys()
    assert all(torch.equal(real_state[k], binary_state[k]) for k in real_state)


def test_short_training_run_beats_chance_by_far():
    cfg = TrainConfig(real_epochs=3, binary_epochs=3)
    result = train_digits(DIGITS, cfg, progress=False)
    assert result.binary_accuracy >= 0.6
    assert result.real_accuracy >= 0.6
    assert not result.model.training


def test_same_seed_gives_identical_results():
    first = train_digits(DIGITS, QUICK, progress=False)
    again = train_digits(DIGITS, QUICK, progress=False)
    assert first.binary_accuracy == again.binary_accuracy
    first_state, again_state = first.model.state_dict(), again.model.state_dict()
    assert all(torch.equal(first_state[k], again_state[k]) for k in first_state)


def test_training_from_scratch_has_no_real_network():
    cfg = TrainConfig(real_epochs=0, binary_epochs=1, train_limit=64, pretrain=Pretrain.NONE,
                      sign_gradient=Activation.STE, shortcut=False)
    result = train_digits(DIGITS, cfg, progress=False)
    assert result.real_accuracy is None
    assert cfg.stage2_epochs == 1
    assert result.model.layer1[0].binary_activation.kind is Activation.STE


def test_training_restores_torch_settings():
    threads = torch.get_num_threads()
    train_digits(DIGITS, TrainConfig(real_epochs=0, binary_epochs=0, threads=threads + 1),
                 progress=False)
    assert torch.get_num_threads() == threads
    assert not torch.are_deterministic_algorithms_enabled()


def test_stage2_gradient_must_be_a_sign():
    with pytest.raises(BnnHlsError, match="sign_gradient"):
        TrainConfig(sign_gradient=Activation.CLIP)


def test_train_main_writes_a_loadable_checkpoint(tmp_path, capsys):
    path = tmp_path / "nested" / "digits.pt"
    result = train_main(path, epochs=1, seed=3, progress=False)
    assert "Bi-Real top-1" in capsys.readouterr().out
    ckpt = read_checkpoint(path)
    assert ckpt.arch == DIGITS
    assert ckpt.meta["binary_accuracy"] == result.binary_accuracy
    assert ckpt.meta["seed"] == 3 and ckpt.meta["recipe"]["pretrain"] == "clip"
    model = build_model(ckpt)
    inputs = torch.randn(4, 1, 8, 8)
    assert torch.equal(model(inputs), result.model(inputs))
