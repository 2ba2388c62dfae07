"""Reading and writing checkpoints safely.

A checkpoint of ours is ``{"state_dict": ..., "arch": ArchConfig.to_dict(), "meta": {...}}``.
The authors' release is also accepted: a bare state_dict or one wrapped as
``{"state_dict": ...}`` beside other entries, keys possibly prefixed ``module.``; its
architecture is recognised from the keys (Bi-Real-18/34) when no config is saved.
"""

from __future__ import annotations

import math
import pickle
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import torch

from bnn_hls.errors import BnnHlsError
from bnn_hls.model.birealnet import BiRealNet
from bnn_hls.model.config import ArchConfig, builtin_config


@dataclass
class Checkpoint:
    arch: ArchConfig
    state_dict: dict[str, torch.Tensor]
    meta: dict = field(default_factory=dict)
    source: str = "<memory>"


def save_checkpoint(model: BiRealNet, path: str | Path, meta: dict | None = None) -> None:
    state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
    torch.save({"state_dict": state, "arch": model.cfg.to_dict(), "meta": meta or {}}, path)


def read_checkpoint(path: str | Path, arch: ArchConfig | None = None) -> Checkpoint:
    """Load a checkpoint file without executing pickled code; errors name the file and key."""
    path = Path(path)
    if not path.is_file():
        raise BnnHlsError(f"{path}: no such checkpoint file")
    try:
        raw = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        if "Unsupported global" in str(exc):
            raise BnnHlsError(f"{path}: refused: the file needs pickled code to load, which is "
                              "unsafe (save a plain state_dict instead)") from None
        raise BnnHlsError(f"{path}: not a readable PyTorch checkpoint "
                          f"({_weights_unpickler_reason(exc)})") from None
    except (RuntimeError, EOFError, zipfile.BadZipFile, OSError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BnnHlsError(f"{path}: not a readable PyTorch checkpoint ({first})") from None
    return checkpoint_from_object(raw, str(path), arch)


def _weights_unpickler_reason(exc: Exception) -> str:
    """The one informative line of torch's long weights-only error."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    for index, line in enumerate(lines):
        if "WeightsUnpickler error:" in line:
            rest = line.split("WeightsUnpickler error:", 1)[1].strip()
            return rest or (lines[index + 1] if index + 1 < len(lines) else "unreadable")
    return "unpickling failed"


def checkpoint_from_object(raw, source: str, arch: ArchConfig | None = None) -> Checkpoint:
    if not isinstance(raw, dict):
        raise BnnHlsError(f"{source}: expected a state_dict or a dict with 'state_dict', "
                          f"got {type(raw).__name__}")
    meta = {}
    if "state_dict" in raw:
        state = raw["state_dict"]
        meta = raw.get("meta", {}) if isinstance(raw.get("meta", {}), dict) else {}
        if arch is None and raw.get("arch") is not None:
            arch = ArchConfig.from_dict(raw["arch"], f"{source}: arch")
    else:
        state = raw
    if not isinstance(state, dict) or not state:
        raise BnnHlsError(f"{source}: 'state_dict' is empty or not a mapping")
    cleaned = {}
    for key, value in state.items():
        if not isinstance(value, torch.Tensor):
            raise BnnHlsError(f"{source}: key '{key}' is not a tensor")
        cleaned[key.removeprefix("module.")] = value
    if arch is None:
        arch = infer_arch(cleaned, source)
    return Checkpoint(arch=arch, state_dict=cleaned, meta=meta, source=source)


def infer_arch(state: dict[str, torch.Tensor], source: str) -> ArchConfig:
    """Recognise the authors' Bi-Real-18/34 from block counts and widths."""
    blocks: dict[int, set[int]] = {}
    for key in state:
        m = re.match(r"layer(\d+)\.(\d+)\.binary_conv\.weights$", key)
        if m:
            blocks.setdefault(int(m.group(1)), set()).add(int(m.group(2)))
    counts = [len(blocks[i]) for i in sorted(blocks)]
    for name in ("birealnet18", "birealnet34"):
        cfg = builtin_config(name)
        if counts == [s.blocks for s in cfg.stages] and _widths_match(state, cfg):
            return cfg
    raise BnnHlsError(f"{source}: no architecture config saved and the keys match neither "
                      f"Bi-Real-18 nor Bi-Real-34 (blocks per stage {counts}); "
                      "pass an architecture config (--arch FILE.yaml)")


def _widths_match(state: dict[str, torch.Tensor], cfg: ArchConfig) -> bool:
    conv1 = state.get("conv1.weight")
    fc = state.get("fc.weight")
    return (conv1 is not None and fc is not None
            and tuple(conv1.shape) == (cfg.stem.channels, cfg.in_channels, cfg.stem.kernel,
                                       cfg.stem.kernel)
            and fc.shape[1] == cfg.stages[-1].channels)


def build_model(ckpt: Checkpoint, **model_kwargs) -> BiRealNet:
    """Instantiate the network and load the weights, checking every key and shape."""
    model = BiRealNet(ckpt.arch, **model_kwargs)
    expected = model.state_dict()
    for key, value in expected.items():
        if key not in ckpt.state_dict:
            raise BnnHlsError(f"{ckpt.source}: missing key '{key}'")
        got = ckpt.state_dict[key]
        if tuple(got.shape) != tuple(value.shape):
            raise BnnHlsError(f"{ckpt.source}: key '{key}' has shape {tuple(got.shape)}, "
                              f"expected {tuple(value.shape)}")
        if got.is_floating_point() and not torch.isfinite(got).all():
            raise BnnHlsError(f"{ckpt.source}: key '{key}' contains NaN or Inf")
    unexpected = sorted(set(ckpt.state_dict) - set(expected))
    if unexpected:
        raise BnnHlsError(f"{ckpt.source}: unexpected key '{unexpected[0]}'")
    for key, value in ckpt.state_dict.items():
        if key.endswith("running_var") and (value <= 0).any():
            layer = key.removesuffix(".running_var")
            raise BnnHlsError(f"{ckpt.source}: layer '{layer}' has zero or negative BN variance")
    model.load_state_dict(ckpt.state_dict)
    model.eval()
    return model


def load_model(path: str | Path, arch: ArchConfig | None = None) -> BiRealNet:
    return build_model(read_checkpoint(path, arch))


def param_count(model: torch.nn.Module) -> int:
    return sum(math.prod(p.shape) for p in model.parameters())
