"""Random weights with the statistics of a trained Bi-Real Net, for tests and for hardware
runs of architectures no trained checkpoint is available for here (ImageNet Bi-Real-18).

A freshly constructed network is a poor subject (BN is the identity, every binary weight is
positive), so :func:`randomise_birealnet` gives it random binary weights, BN running statistics
measured on random pixels (so activations are O(1), as after training) and random affine BN
parameters including negative gammas."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from bnn_hls.model.birealnet import normalise_pixels
from bnn_hls.model.config import ArchConfig
from bnn_hls.model.layers import HardBinaryConv


def random_pixels(cfg: ArchConfig, n: int, seed: int, high: int | None = None) -> np.ndarray:
    high = (1 << cfg.input_norm.pixel_bits) - 1 if high is None else high
    rng = np.random.default_rng(seed)
    return rng.integers(0, high + 1, (n, cfg.in_channels, cfg.input_size, cfg.input_size))


def randomise_birealnet(model, seed: int, pixel_max: int | None = None, stats_images: int = 64):
    """Random binary weights, data-derived BN statistics, random gammas (some negative)."""
    g = torch.Generator().manual_seed(seed)
    cfg = model.cfg
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, HardBinaryConv):
                module.weights.copy_(torch.randn(module.weights.shape, generator=g) * 0.05)
            elif isinstance(module, nn.Conv2d | nn.Linear):
                module.weight.copy_(torch.randn(module.weight.shape, generator=g)
                                    / np.sqrt(module.weight[0].numel()))
                if getattr(module, "bias", None) is not None:
                    module.bias.copy_(torch.randn(module.bias.shape, generator=g) * 0.3)
        # Running statistics measured on random pixels (cumulative average), as training would.
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.reset_running_stats()
                module.momentum = None
        model.train()
        pixels = random_pixels(cfg, stats_images, seed, pixel_max)
        model(normalise_pixels(torch.from_numpy(pixels), cfg))
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                c = module.num_features
                magnitude = 0.3 + 1.2 * torch.rand(c, generator=g)
                sign = torch.where(torch.rand(c, generator=g) < 0.3, -1.0, 1.0)
                sign[0] = -1.0  # at least one negative gamma per layer
                module.weight.copy_(sign * magnitude)
                module.bias.copy_(torch.randn(c, generator=g) * 0.3)
                sigma = module.running_var.sqrt()
                module.running_mean.add_(0.2 * sigma * torch.randn(c, generator=g))
                module.running_var.mul_(0.8 + 0.4 * torch.rand(c, generator=g))
                module.momentum = 0.1
    return model.eval()
