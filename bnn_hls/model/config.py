"""Architecture configuration of a Bi-Real network, loaded from YAML or a checkpoint.

Unknown fields and unsupported options are rejected with a message naming the field, so a
typo never silently falls back to a default.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from bnn_hls.errors import BnnHlsError
from bnn_hls.geometry import conv_out_size
from bnn_hls.yaml_file import load_yaml


@dataclass(frozen=True)
class MaxPoolConfig:
    kernel: int = 3
    stride: int = 2
    padding: int = 1


@dataclass(frozen=True)
class StemConfig:
    channels: int = 64
    kernel: int = 7
    stride: int = 2
    maxpool: MaxPoolConfig | None = field(default_factory=MaxPoolConfig)


@dataclass(frozen=True)
class StageConfig:
    channels: int
    blocks: int
    stride: int = 1


@dataclass(frozen=True)
class InputNorm:
    """Model input x = (pixel * scale - mean[c]) / std[c], pixels being raw unsigned integers."""

    scale: float = 1.0 / 255.0
    mean: tuple[float, ...] = (0.485, 0.456, 0.406)
    std: tuple[float, ...] = (0.229, 0.224, 0.225)
    pixel_bits: int = 8


@dataclass(frozen=True)
class ArchConfig:
    name: str
    in_channels: int
    input_size: int
    num_classes: int
    stem: StemConfig
    stages: tuple[StageConfig, ...]
    input_norm: InputNorm

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict, source: str = "config") -> ArchConfig:
        cfg = _build(cls, data, source)
        cfg.validate(source)
        return cfg

    def validate(self, source: str = "config") -> None:
        def fail(where: str, why: str):
            raise BnnHlsError(f"{source}: {where}: {why}")

        for name in ("in_channels", "input_size", "num_classes"):
            if getattr(self, name) < 1:
                fail(name, "must be a positive integer")
        if self.stem.kernel < 1 or self.stem.kernel % 2 != 1:
            fail("stem.kernel", f"must be odd and positive, got {self.stem.kernel}")
        if self.stem.stride < 1 or self.stem.channels < 1:
            fail("stem", "stride and channels must be positive")
        if self.stem.maxpool is not None:
            mp = self.stem.maxpool
            if mp.kernel < 1 or mp.stride < 1 or not 0 <= mp.padding <= mp.kernel // 2:
                fail("stem.maxpool", "kernel and stride must be positive and padding in "
                                     f"0..kernel//2, got {mp}")
        if not 1 <= self.input_norm.pixel_bits <= 8:
            fail("input_norm.pixel_bits", "raw pixels are 1 to 8 bits, got "
                                          f"{self.input_norm.pixel_bits}")
        if not self.stages:
            fail("stages", "at least one stage is required")
        norm = self.input_norm
        if len(norm.mean) != self.in_channels or len(norm.std) != self.in_channels:
            fail("input_norm", f"mean and std need {self.in_channels} entries (in_channels)")
        if any(s <= 0 for s in norm.std) or norm.scale <= 0:
            fail("input_norm", "scale and std must be positive")
        size = self.feature_size()
        channels = self.stem.channels
        for i, stage in enumerate(self.stages):
            where = f"stages[{i}]"
            if stage.stride not in (1, 2):
                fail(f"{where}.stride", f"only 1 and 2 are supported, got {stage.stride}")
            if stage.blocks < 1 or stage.channels < 1:
                fail(where, "channels and blocks must be positive")
            if stage.stride == 1 and stage.channels != channels:
                fail(where, f"changing channels {channels} -> {stage.channels} needs stride 2 "
                            "(the downsample shortcut is AvgPool 2x2/2 -> 1x1 conv)")
            if stage.stride == 2:
                if size % 2:
                    fail(where, f"stride 2 on odd spatial size {size}: the 3x3 conv and the "
                                "2x2 average-pool shortcut would disagree in output size")
                size //= 2
            if size < 1:
                fail(where, "spatial size shrinks below 1")
            channels = stage.channels

    def feature_size(self) -> int:
        """Spatial size after the stem (and maxpool)."""
        stem = self.stem
        size = conv_out_size(self.input_size, stem.kernel, stem.stride, stem.kernel // 2)
        if self.stem.maxpool is not None:
            mp = self.stem.maxpool
            size = conv_out_size(size, mp.kernel, mp.stride, mp.padding)
        return size


_NESTED = {
    (ArchConfig, "stem"): StemConfig,
    (StemConfig, "maxpool"): MaxPoolConfig,
    (ArchConfig, "input_norm"): InputNorm,
}


def _build(cls, data, path: str):
    if not isinstance(data, dict):
        raise BnnHlsError(f"{path}: expected a mapping, got {type(data).__name__}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise BnnHlsError(f"{path}: unknown field '{unknown[0]}' "
                          f"(known: {', '.join(sorted(fields))})")
    kwargs = {}
    for name, value in data.items():
        where = f"{path}.{name}"
        nested = _NESTED.get((cls, name))
        if nested is not None:
            kwargs[name] = None if value is None else _build(nested, value, where)
        elif cls is ArchConfig and name == "stages":
            if not isinstance(value, (list, tuple)):
                raise BnnHlsError(f"{where}: expected a list of stages")
            kwargs[name] = tuple(_build(StageConfig, s, f"{where}[{i}]")
                                 for i, s in enumerate(value))
        elif isinstance(value, (list, tuple)):
            kwargs[name] = tuple(_check_number(v, where) for v in value)
        else:
            kwargs[name] = value
    missing = [n for n, f in fields.items() if n not in kwargs
               and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    if missing:
        raise BnnHlsError(f"{path}: missing field '{missing[0]}'")
    for name, value in kwargs.items():
        expected = fields[name].type
        if expected in ("int", "float") and (isinstance(value, bool)
                                             or not isinstance(value, (int, float))):
            raise BnnHlsError(f"{path}.{name}: expected a number, got {value!r}")
        if expected == "int" and isinstance(value, float):
            raise BnnHlsError(f"{path}.{name}: expected an integer, got {value!r}")
    return cls(**kwargs)


def _check_number(value, where: str):
    if not isinstance(value, (int, float)):
        raise BnnHlsError(f"{where}: expected numbers, got {value!r}")
    return float(value)


def load_arch_config(path: str | Path) -> ArchConfig:
    return ArchConfig.from_dict(load_yaml(path, "config file"), str(path))


CONFIG_DIR = Path(__file__).parent / "configs"


def builtin_config(name: str) -> ArchConfig:
    path = CONFIG_DIR / f"{name}.yaml"
    if not path.exists():
        known = ", ".join(sorted(p.stem for p in CONFIG_DIR.glob("*.yaml")))
        raise BnnHlsError(f"unknown architecture '{name}' (built in: {known})")
    return load_arch_config(path)
