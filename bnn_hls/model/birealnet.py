"""Bi-Real Net in PyTorch with the module names of the authors' release.

Block: ``x -> sign(x) -> 1-bit 3x3 conv -> BN -> + shortcut(x)``, no ReLU anywhere. The
downsample shortcut is AvgPool 2x2/2 -> real 1x1 conv -> BN (keys ``downsample.1`` and
``downsample.2``).
"""

from __future__ import annotations

import torch
from torch import nn

from bnn_hls.model.config import ArchConfig, builtin_config
from bnn_hls.model.layers import Activation, BinaryActivation, HardBinaryConv


class BasicBlock(nn.Module):
    def __init__(self, in_ch: int, out_ch: int, stride: int, activation: Activation,
                 binary: bool, shortcut: bool):
        super().__init__()
        self.binary_activation = BinaryActivation(activation)
        self.binary_conv = HardBinaryConv(in_ch, out_ch, 3, stride, 1, binary=binary)
        self.bn1 = nn.BatchNorm2d(out_ch)
        self.downsample = None
        if stride != 1 or in_ch != out_ch:
            self.downsample = nn.Sequential(
                nn.AvgPool2d(kernel_size=2, stride=stride),
                nn.Conv2d(in_ch, out_ch, kernel_size=1, bias=False),
                nn.BatchNorm2d(out_ch),
            )
        self.shortcut = shortcut

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.bn1(self.binary_conv(self.binary_activation(x)))
        if not self.shortcut:
            return out
        residual = x if self.downsample is None else self.downsample(x)
        return out + residual


class BiRealNet(nn.Module):
    """Bi-Real network built from an :class:`ArchConfig`.

    ``activation`` and ``binary`` select the network of each training stage: the real-valued
    pre-training network uses ``Activation.CLIP`` with ``binary=False``; the Bi-Real network
    uses ``Activation.APPROX_SIGN`` with ``binary=True``. Both share state_dict keys.
    """

    def __init__(self, cfg: ArchConfig, activation: Activation = Activation.APPROX_SIGN,
                 binary: bool = True, shortcut: bool = True):
        super().__init__()
        self.cfg = cfg
        stem = cfg.stem
        self.conv1 = nn.Conv2d(cfg.in_channels, stem.channels, stem.kernel, stem.stride,
                               stem.kernel // 2, bias=False)
        self.bn1 = nn.BatchNorm2d(stem.channels)
        self.maxpool = (nn.MaxPool2d(stem.maxpool.kernel, stem.maxpool.stride, stem.maxpool.padding)
                        if stem.maxpool is not None else nn.Identity())
        channels = stem.channels
        for index, stage in enumerate(cfg.stages, start=1):
            blocks = []
            for b in range(stage.blocks):
                stride = stage.stride if b == 0 else 1
                blocks.append(BasicBlock(channels, stage.channels, stride, activation, binary,
                                         shortcut))
                channels = stage.channels
            self.add_module(f"layer{index}", nn.Sequential(*blocks))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(channels, cfg.num_classes)
        for m in self.modules():
            if isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    @property
    def stages(self) -> list[nn.Sequential]:
        return [getattr(self, f"layer{i}") for i in range(1, len(self.cfg.stages) + 1)]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.bn1(self.conv1(x)))
        for stage in self.stages:
            x = stage(x)
        return self.fc(torch.flatten(self.avgpool(x), 1))


def birealnet(cfg: ArchConfig | str, **kwargs) -> BiRealNet:
    return BiRealNet(builtin_config(cfg) if isinstance(cfg, str) else cfg, **kwargs)


def birealnet18(**kwargs) -> BiRealNet:
    return birealnet("birealnet18", **kwargs)


def birealnet34(**kwargs) -> BiRealNet:
    return birealnet("birealnet34", **kwargs)


def normalise_pixels(pixels: torch.Tensor, cfg: ArchConfig) -> torch.Tensor:
    """Raw integer pixels [N, C, H, W] -> the model's input x = (p*scale - mean)/std."""
    norm = cfg.input_norm
    mean = torch.tensor(norm.mean, dtype=torch.float32).view(1, -1, 1, 1)
    std = torch.tensor(norm.std, dtype=torch.float32).view(1, -1, 1, 1)
    return (pixels.float() * norm.scale - mean) / std
