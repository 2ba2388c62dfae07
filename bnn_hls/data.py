"""The digits data set: scikit-learn's 1797 real 8x8 handwritten digits, shipped offline.

Images stay as raw unsigned pixels (0..16) because that is what the hardware receives; the
model's own input normalisation (``normalise_pixels``) is applied by whoever feeds a network.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split


@dataclass(frozen=True)
class DigitsSplit:
    train_x: np.ndarray  # uint8 [N, 1, 8, 8], raw pixels 0..16
    train_y: np.ndarray  # int64 [N]
    test_x: np.ndarray
    test_y: np.ndarray


def digits_split(seed: int = 0, test_fraction: float = 0.25) -> DigitsSplit:
    """Seeded split, stratified so every class keeps its share in both halves.

    The default split is the compiler's calibration and evaluation set: keep the defaults fixed.
    """
    digits = load_digits()
    pixels = digits.images.astype(np.uint8)[:, np.newaxis, :, :]
    labels = digits.target.astype(np.int64)
    train_x, test_x, train_y, test_y = train_test_split(
        pixels, labels, test_size=test_fraction, random_state=seed, stratify=labels)
    return DigitsSplit(train_x=train_x, train_y=train_y, test_x=test_x, test_y=test_y)
