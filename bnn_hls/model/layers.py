"""Bi-Real Net building blocks: activations and the magnitude-aware binary convolution."""

from __future__ import annotations

import enum

import torch
import torch.nn.functional as F
from torch import nn


class Activation(enum.Enum):
    """What a block applies to its input before the 3x3 convolution."""

    APPROX_SIGN = "approxsign"  # sign forward, piecewise-linear ApproxSign gradient (the paper)
    STE = "ste"  # sign forward, straight-through gradient 1 on [-1, 1] (ablation)
    CLIP = "clip"  # clip(-1, x, 1): the real-valued pre-training network
    RELU = "relu"  # ReLU: the conventional pre-training network (ablation)


def hw_sign(x: torch.Tensor) -> torch.Tensor:
    """Sign with 0 -> +1: hardware stores one bit, so zero must pick a side (torch.sign gives 0)."""
    return torch.where(x >= 0, torch.ones_like(x), -torch.ones_like(x))


class _SignFn(torch.autograd.Function):
    """Forward: hw_sign. Subclasses give the surrogate gradient of the backward pass."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return hw_sign(x)


class _ApproxSignFn(_SignFn):
    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors
        # d/dx of the quadratic ApproxSign: 2+2x on [-1,0), 2-2x on [0,1), 0 elsewhere.
        grad = torch.zeros_like(x)
        left = (x >= -1) & (x < 0)
        right = (x >= 0) & (x < 1)
        grad = torch.where(left, 2 + 2 * x, grad)
        grad = torch.where(right, 2 - 2 * x, grad)
        return grad_out * grad


class _SteSignFn(_SignFn):
    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors
        return grad_out * (x.abs() <= 1).to(grad_out.dtype)


def approx_sign(x: torch.Tensor) -> torch.Tensor:
    return _ApproxSignFn.apply(x)


class BinaryActivation(nn.Module):
    """The block's input activation; holds no parameters so state_dict keys stay official."""

    def __init__(self, kind: Activation = Activation.APPROX_SIGN):
        super().__init__()
        self.kind = kind

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.kind is Activation.APPROX_SIGN:
            return _ApproxSignFn.apply(x)
        if self.kind is Activation.STE:
            return _SteSignFn.apply(x)
        if self.kind is Activation.CLIP:
            return torch.clamp(x, -1.0, 1.0)
        return F.relu(x)

    def extra_repr(self) -> str:
        return self.kind.value


class HardBinaryConv(nn.Module):
    """3x3 convolution with weights alpha_c * sign(W), alpha_c = mean|W| per output channel.

    The weight is stored flattened as ``[Cout*Cin*k*k, 1]`` in OIHW order, as in the authors'
    release, so their checkpoints load unchanged. With ``binary=False`` the same parameter is
    used as a real-valued weight (the pre-training network shares key names with the binary one).
    """

    def __init__(self, in_ch: int, out_ch: int, kernel_size: int = 3, stride: int = 1,
                 padding: int = 1, binary: bool = True):
        super().__init__()
        self.stride = stride
        self.padding = padding
        self.binary = binary
        self.shape = (out_ch, in_ch, kernel_size, kernel_size)
        # The authors' initialisation: small positive values, refined by the real pre-training.
        fan = out_ch * in_ch * kernel_size * kernel_size
        self.weights = nn.Parameter(torch.rand(fan, 1) * 1e-3)

    def effective_weight(self) -> torch.Tensor:
        real = self.weights.view(self.shape)
        if not self.binary:
            return real
        alpha = real.abs().mean(dim=(1, 2, 3), keepdim=True).detach()
        binary = alpha * hw_sign(real)
        clipped = torch.clamp(real, -1.0, 1.0)
        # Forward value is alpha*sign(W); the gradient flows straight through clamp(W, -1, 1).
        return binary.detach() - clipped.detach() + clipped

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.effective_weight(), stride=self.stride, padding=self.padding)

    def extra_repr(self) -> str:
        o, i, k, _ = self.shape
        return f"{i}, {o}, kernel_size={k}, stride={self.stride}, binary={self.binary}"
