"""Calibration images from disk: a ``.npy`` array of raw uint8 images or a folder of JPEG/PNG
files, prepared the way ImageNet evaluation prepares them (shorter side scaled to
size * 256/224, centre crop of size x size)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bnn_hls.errors import BnnHlsError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
RESIZE_RATIO = 256 / 224  # shorter side before the centre crop, as in ImageNet evaluation


def load_calibration(path: str | Path, channels: int, size: int) -> np.ndarray:
    """Raw uint8 pixels [N, channels, size, size] from ``path`` (a .npy file or a folder)."""
    path = Path(path)
    if path.is_dir():
        return _load_folder(path, channels, size)
    if path.suffix != ".npy":
        raise BnnHlsError(f"{path}: calibration must be a .npy array or a folder of "
                          "JPEG/PNG images")
    try:
        pixels = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise BnnHlsError(f"{path}: not a readable .npy array ({exc})") from None
    expected = f"uint8 (N, {channels}, {size}, {size})"
    if pixels.dtype != np.uint8 or pixels.ndim != 4 or pixels.shape[1:] != (channels, size,
                                                                            size):
        raise BnnHlsError(f"{path}: expected raw images {expected}, got {pixels.dtype} "
                          f"{pixels.shape}")
    if not len(pixels):
        raise BnnHlsError(f"{path}: no images (expected {expected})")
    return pixels


def _load_folder(folder: Path, channels: int, size: int) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise BnnHlsError(f"{folder}: no JPEG or PNG images")
    images = []
    for file in files:
        try:
            with Image.open(file) as image:
                images.append(_prepare(file, image, channels, size))
        except (OSError, UnidentifiedImageError):
            raise BnnHlsError(f"{file}: not a readable image") from None
    return np.stack(images)


def _prepare(file: Path, image, channels: int, size: int) -> np.ndarray:
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    bands = [b for b in image.getbands() if b != "A"]
    if len(bands) != channels:
        raise BnnHlsError(f"{file}: {len(bands)} colour channel(s), the model takes "
                          f"{channels}")
    image = image.convert("L" if channels == 1 else "RGB")
    scale = round(size * RESIZE_RATIO) / min(image.size)
    width, height = (max(size, round(d * scale)) for d in image.size)
    image = image.resize((width, height), resample=2)  # bilinear
    left, top = (width - size) // 2, (height - size) // 2
    pixels = np.asarray(image.crop((left, top, left + size, top + size)), dtype=np.uint8)
    return pixels[None] if channels == 1 else pixels.transpose(2, 0, 1)
