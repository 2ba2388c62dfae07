"""Calibration: the largest magnitude each shortcut tensor takes on real images, or, with no
images, a data-free estimate from the BatchNorm running statistics."""

from __future__ import annotations

import numpy as np
import torch

from bnn_hls.model.birealnet import BasicBlock, BiRealNet, normalise_pixels

DATA_FREE_STDS = 4.0  # the data-free range of a channel: its mean +- this many std


def _stem_name(model: BiRealNet) -> str:
    """The IR name of the stem's output, the first residual tensor."""
    return "maxpool" if isinstance(model.maxpool, torch.nn.MaxPool2d) else "bn1"


def data_free_ranges(model: BiRealNet, stds: float = DATA_FREE_STDS) -> dict[str, float]:
    """Per residual tensor, max over channels of |mean| + ``stds`` * std, keyed as
    :func:`calibrate` keys it. A BatchNorm output has per channel mean beta and std |gamma|
    (its running statistics normalise its input); a block's sum adds the means and the
    variances of its branch and its shortcut (taken as independent); a max pool stays in
    its input's range."""

    def bn_moments(bn: torch.nn.BatchNorm2d) -> tuple[np.ndarray, np.ndarray]:
        return bn.bias.detach().double().numpy(), bn.weight.detach().double().abs().numpy()

    def peak(mean: np.ndarray, std: np.ndarray) -> float:
        return float((np.abs(mean) + stds * std).max())

    mean, std = bn_moments(model.bn1)
    ranges = {_stem_name(model): peak(mean, std)}
    for name, block in model.named_modules():
        if not isinstance(block, BasicBlock):
            continue
        branch_mean, branch_std = bn_moments(block.bn1)
        if block.downsample is not None:
            mean, std = bn_moments(block.downsample[2])
        mean, std = mean + branch_mean, np.sqrt(std**2 + branch_std**2)
        ranges[f"{name}.add"] = peak(mean, std)
    return ranges


def calibrate(model: BiRealNet, pixels: np.ndarray, batch: int = 256) -> dict[str, float]:
    """Run the float model; return max |x| per residual tensor, keyed by IR tensor name."""
    stem_name = _stem_name(model)
    watched = {stem_name: getattr(model, stem_name)}
    for name, module in model.named_modules():
        if isinstance(module, BasicBlock):
            watched[f"{name}.add"] = module
    peaks = dict.fromkeys(watched, 0.0)

    def hook_for(name):
        def hook(_module, _inputs, output):
            peaks[name] = max(peaks[name], float(output.detach().abs().max()))
        return hook

    handles = [m.register_forward_hook(hook_for(n)) for n, m in watched.items()]
    try:
        with torch.no_grad():
            for start in range(0, len(pixels), batch):
                chunk = torch.from_numpy(np.asarray(pixels[start:start + batch]))
                model(normalise_pixels(chunk, model.cfg))
    finally:
        for handle in handles:
            handle.remove()
    return peaks
