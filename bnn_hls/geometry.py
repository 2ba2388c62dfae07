"""Window geometry shared by the model, the compiler and the backends (no torch needed)."""

from __future__ import annotations


def conv_out_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """Output size of a convolution or pooling window along one axis."""
    return (size + 2 * padding - kernel) // stride + 1
