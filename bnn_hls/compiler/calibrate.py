"""Calibration: the largest magnitude each shortcut tensor takes on real images."""

from __future__ import annotations

import numpy as np
import torch

from bnn_hls.model.birealnet import BasicBlock, BiRealNet, normalise_pixels


def calibrate(model: BiRealNet, pixels: np.ndarray, batch: int = 256) -> dict[str, float]:
    """Run the float model; return max |x| per residual tensor, keyed by IR tensor name."""
    stem_name = "maxpool" if isinstance(model.maxpool, torch.nn.MaxPool2d) else "bn1"
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
