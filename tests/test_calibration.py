"""Calibration input (a .npy array or a folder of images) and the data-free default ranges."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from PIL import Image

from bnn_hls.cli import main
from bnn_hls.compiler.calibrate import DATA_FREE_STDS, calibrate, data_free_ranges
from bnn_hls.compiler.pipeline import compile_model
from bnn_hls.compiler.summary import numerics_summary
from bnn_hls.errors import BnnHlsError
from bnn_hls.images import load_calibration
from bnn_hls.model import birealnet, randomise_birealnet
from bnn_hls.model.checkpoint import save_checkpoint


def test_data_free_ranges_follow_the_batchnorm_statistics(digits_net):
    ranges = data_free_ranges(digits_net)
    pixels = np.zeros((1, 1, 8, 8), np.uint8)
    assert set(ranges) == set(calibrate(digits_net, pixels))
    beta = digits_net.bn1.bias.detach().double().numpy()
    gamma = digits_net.bn1.weight.detach().double().abs().numpy()
    assert ranges["maxpool"] == pytest.approx((np.abs(beta) + DATA_FREE_STDS * gamma).max())
    # every block adds a branch: its range can only widen along an identity chain
    assert ranges["layer1.1.add"] > ranges["layer1.0.add"] * 0.5


def test_default_compile_is_data_free_and_says_so(digits_net):
    compiled = compile_model(copy.deepcopy(digits_net))
    assert compiled.range_source.startswith("data-free")
    assert compiled.calibrated_max == data_free_ranges(digits_net)
    text = numerics_summary(compiled)
    assert "expected ranges from data-free: BatchNorm statistics, mean +- 4 std" in text
    assert "can saturate" in text  # the worst case is not what the formats hold


def test_data_free_compiles_what_the_worst_case_cannot():
    # Trained-like statistics over two stages: the worst case would need more shortcut bits.
    net = randomise_birealnet(birealnet("digits"), seed=3, pixel_max=16)
    for module in net.modules():
        if hasattr(module, "running_var"):
            module.running_var.mul_(1e-3)  # tiny variances: huge worst-case gains
    from bnn_hls.compiler.config import CompileConfig

    with pytest.raises(BnnHlsError, match="shortcut bits cannot hold"):
        compile_model(copy.deepcopy(net), CompileConfig(data_free=False))
    assert compile_model(copy.deepcopy(net)).range_source.startswith("data-free")


def _png(path, size, mode="RGB", value=None):
    rng = np.random.default_rng(len(str(path)))
    shape = (size[1], size[0]) + ((3,) if mode == "RGB" else ())
    data = rng.integers(0, 256, shape, dtype=np.uint8) if value is None else \
        np.full(shape, value, np.uint8)
    Image.fromarray(data, mode).save(path)


def test_a_folder_is_resized_and_centre_cropped(tmp_path):
    # 40x20 (w x h): shorter side 20 -> round(16 * 256/224) = 18, so 36x18, centre crop 16x16
    image = np.zeros((20, 40, 3), np.uint8)
    image[:, 18:22] = 255  # a bright vertical bar in the middle
    Image.fromarray(image).save(tmp_path / "a.png")
    _png(tmp_path / "b.jpg", (30, 30))
    (tmp_path / "notes.txt").write_text("not an image")
    pixels = load_calibration(tmp_path, 3, 16)
    assert pixels.shape == (2, 3, 16, 16) and pixels.dtype == np.uint8
    middle, edge = pixels[0, 0, :, 7:9].mean(), pixels[0, 0, :, :3].mean()
    assert middle > 200 and edge < 20


def test_npy_calibration(tmp_path):
    good = tmp_path / "good.npy"
    np.save(good, np.zeros((5, 1, 8, 8), np.uint8))
    assert load_calibration(good, 1, 8).shape == (5, 1, 8, 8)


@pytest.mark.parametrize("make, message", [
    (lambda p: np.save(p / "x.npy", np.zeros((5, 1, 8, 8), np.float32)),
     "x.npy: expected raw images uint8 (N, 1, 8, 8), got float32 (5, 1, 8, 8)"),
    (lambda p: np.save(p / "x.npy", np.zeros((5, 3, 8, 8), np.uint8)),
     "x.npy: expected raw images uint8 (N, 1, 8, 8), got uint8 (5, 3, 8, 8)"),
    (lambda p: np.save(p / "x.npy", np.zeros((0, 1, 8, 8), np.uint8)), "x.npy: no images"),
    (lambda p: (p / "x.npy").write_text("junk"), "x.npy: not a readable .npy array"),
])
def test_bad_npy_is_one_line(tmp_path, make, message):
    make(tmp_path)
    with pytest.raises(BnnHlsError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_calibration(tmp_path / "x.npy", 1, 8)


def test_bad_folders_are_one_line(tmp_path):
    with pytest.raises(BnnHlsError, match="no JPEG or PNG images"):
        load_calibration(tmp_path, 3, 8)
    _png(tmp_path / "gray.png", (10, 10), mode="L")
    with pytest.raises(BnnHlsError, match=r"gray.png: 1 colour channel\(s\), the model takes 3"):
        load_calibration(tmp_path, 3, 8)
    (tmp_path / "gray.png").unlink()
    (tmp_path / "broken.png").write_bytes(b"\x89PNG not really")
    with pytest.raises(BnnHlsError, match="broken.png: not a readable image"):
        load_calibration(tmp_path, 3, 8)


def test_cli_compile_with_a_calibration_folder(tmp_path, capsys, digits_net):
    checkpoint = tmp_path / "model.pt"
    save_checkpoint(digits_net, checkpoint)
    images = tmp_path / "images"
    images.mkdir()
    for i in range(3):
        _png(images / f"{i}.png", (12, 9), mode="L")
    assert main(["compile", str(checkpoint), "-o", str(tmp_path / "out"), "--calibration",
                 str(images)]) == 0
    numerics = (tmp_path / "out" / "numerics.txt").read_text()
    assert "expected ranges from calibration on 3 images" in numerics
    assert main(["compile", str(checkpoint), "-o", str(tmp_path / "out2"), "--calibration",
                 str(tmp_path / "missing")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "missing" in err[0]
