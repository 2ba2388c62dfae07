"""Compile options, read from a YAML file; every field has a default that works."""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass
from pathlib import Path

from bnn_hls.errors import BnnHlsError
from bnn_hls.yaml_file import load_yaml


class Rounding(enum.Enum):
    HALF_UP = "half_up"  # round to nearest, ties toward +infinity
    FLOOR = "floor"  # truncate toward -infinity (cheaper: no rounding constant)


@dataclass(frozen=True)
class CompileConfig:
    real_weight_bits: int = 8  # stem, downsample 1x1 and FC weights, per-channel symmetric
    input_frac_bits: int = 8  # fraction bits of the normalisation offset in the input unit
    shortcut_bits: int = 16  # total width of every real-valued shortcut (residual) tensor
    shortcut_int_bits: int | None = None  # None: from calibration + worst-case intervals
    calibration_headroom: float = 2.0  # calibrated max |x| is multiplied by this
    multiplier_bits: int = 18  # signed width of per-channel affine multipliers (DSP-friendly)
    max_shift: int = 40  # cap on an affine's right shift
    logit_frac_bits: int = 8  # fraction bits of the integer logits
    rounding: Rounding = Rounding.HALF_UP  # of every affine (BN/scale folding) result
    calibration_images: int = 512
    data_free: bool = True  # without calibration: ranges from BatchNorm statistics, not only
    # the worst case over every input (which can need many more shortcut bits)

    @classmethod
    def from_dict(cls, data: dict | None, source: str = "compile config") -> CompileConfig:
        data = data or {}
        if not isinstance(data, dict):
            raise BnnHlsError(f"{source}: expected a mapping of options")
        fields = {f.name: f for f in dataclasses.fields(cls)}
        kwargs = {}
        for key, value in data.items():
            if key not in fields:
                raise BnnHlsError(f"{source}: unknown field '{key}' "
                                  f"(known: {', '.join(sorted(fields))})")
            if key == "rounding":
                try:
                    value = Rounding(value)
                except ValueError:
                    raise BnnHlsError(f"{source}: rounding: '{value}' is not one of "
                                      f"{[r.value for r in Rounding]}") from None
            elif key == "shortcut_int_bits" and value is None:
                pass
            elif key == "data_free":
                if not isinstance(value, bool):
                    raise BnnHlsError(f"{source}: {key}: expected true or false, got {value!r}")
            elif key == "calibration_headroom":
                if not isinstance(value, (int, float)) or value < 1:
                    raise BnnHlsError(f"{source}: {key}: expected a number >= 1, got {value!r}")
            elif not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise BnnHlsError(f"{source}: {key}: expected a non-negative integer, "
                                  f"got {value!r}")
            kwargs[key] = value
        config = cls(**kwargs)
        for name, (lo, hi) in _RANGES.items():
            if not lo <= getattr(config, name) <= hi:
                raise BnnHlsError(f"{source}: {name}: must be in {lo}..{hi}, "
                                  f"got {getattr(config, name)}")
        return config

    def to_dict(self) -> dict:
        data = dataclasses.asdict(self)
        data["rounding"] = self.rounding.value
        return data


_RANGES = {  # inclusive bounds of the integer options
    "real_weight_bits": (2, 16),
    "input_frac_bits": (0, 16),
    "shortcut_bits": (2, 32),
    "multiplier_bits": (4, 32),
    "max_shift": (1, 48),
    "logit_frac_bits": (0, 24),
    "calibration_images": (1, 1 << 20),
}


def load_compile_config(path: str | Path | None) -> CompileConfig:
    if path is None:
        return CompileConfig()
    return CompileConfig.from_dict(load_yaml(path, "compile config"), str(path))
