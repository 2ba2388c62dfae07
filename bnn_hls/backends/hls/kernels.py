"""Each plan stage as a call of one kernel of ``templates/hls/``: its template arguments and
constant arrays, all read from the stage (nothing is derived again here)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from bnn_hls.hw.stages import (
    AffineStage,
    BinariseStage,
    ForkStage,
    GlobalSumStage,
    PoolStage,
    RealMvuStage,
    RelaneStage,
    ShortcutStage,
    Stage,
    WindowStage,
    XnorMvuStage,
)

LONG_LONG_BITS = 64


@dataclass(frozen=True)
class ConstArray:
    """A ``static const`` array of the weights header: ``ctype name[dims...] = {values}``."""

    name: str
    ctype: str
    dims: tuple[int, ...]
    values: tuple[str, ...]  # C++ initialisers, row-major


@dataclass(frozen=True)
class KernelCall:
    function: str  # in namespace bnn
    template_args: tuple[str, ...]
    constants: tuple[ConstArray, ...] = ()


def _arg(value: int | bool | str) -> str:
    if isinstance(value, str):  # already a C++ literal
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(int(value))


def long_long(value: int) -> str:
    """A ``long long`` template argument (saturation limits)."""
    if not -(1 << (LONG_LONG_BITS - 1)) < value < (1 << (LONG_LONG_BITS - 1)):
        raise ValueError(f"constant {value} does not fit a long long")
    return f"{value}LL"


def storage_type(width: int, signed: bool) -> str:
    """The narrowest C integer type holding ``width``-bit values: constant arrays of plain
    integers are static data to g++ (ap_int elements would each need a constructor run at
    load time, minutes of compile time for a large model); kernels widen them on use."""
    for bits in (8, 16, 32, 64):
        if width <= bits:
            return f"int{bits}_t" if signed else f"uint{bits}_t"
    raise ValueError(f"a {width}-bit constant is wider than 64 bits")


def _array(name: str, width: int, signed: bool, values: np.ndarray) -> ConstArray:
    values = np.asarray(values)
    ctype = storage_type(width, signed)
    literal = "{}LL" if ctype == "int64_t" else "{:#x}ULL" if ctype == "uint64_t" else "{}"
    return ConstArray(name, ctype, tuple(values.shape),
                      tuple(literal.format(int(v)) for v in values.ravel()))


def binary_limbs(words: np.ndarray, simd: int) -> np.ndarray:
    """[PE, steps] SIMD-bit words -> [PE, steps, limbs] of their 64-bit limbs, least
    significant first (the xnor_mvu kernel joins them)."""
    limbs = -(-simd // LONG_LONG_BITS)
    mask = (1 << LONG_LONG_BITS) - 1
    out = np.empty(words.shape + (limbs,), dtype=object)
    for index, word in np.ndenumerate(words):
        for limb in range(limbs):
            out[index + (limb,)] = (int(word) >> (LONG_LONG_BITS * limb)) & mask
    return out


def _call(function: str, args: Iterable[int | bool | str], *constants: ConstArray) -> KernelCall:
    return KernelCall(function, tuple(_arg(a) for a in args), constants)


def affine(stage: AffineStage, pixels: int, name: str) -> KernelCall:
    sat = stage.saturation
    return _call("affine", (stage.lanes, stage.folds, pixels, stage.in_width, stage.in_signed,
                            stage.out_width, stage.mult_width, stage.bias_width,
                            stage.product.width, stage.sum_width, stage.shift, sat.clamp_lo,
                            sat.clamp_hi, long_long(sat.out.lo), long_long(sat.out.hi)),
                 _array(f"{name}_mults", stage.mult_width, True,
                        np.array(stage.lane_mults, dtype=object)),
                 _array(f"{name}_rounded_biases", stage.bias_width, True,
                        np.array(stage.rounded_bias, dtype=object)))


def binarise(stage: BinariseStage, pixels: int, name: str) -> KernelCall:
    return _call("binarise", (stage.channels, stage.lanes, stage.folds, pixels, stage.in_width))


def shortcut(stage: ShortcutStage, pixels: int, name: str) -> KernelCall:
    sat = stage.saturation
    return _call("shortcut_add", (stage.lanes, stage.folds, pixels, stage.conv_width,
                                  stage.skip_width, stage.out_format.width, stage.work_width,
                                  stage.conv_shift, stage.skip_shift, sat.clamp_lo,
                                  sat.clamp_hi, long_long(sat.out.lo), long_long(sat.out.hi)))


def window(stage: WindowStage, pixels: int, name: str) -> KernelCall:
    shape = stage.shape
    return _call("window", (stage.channels, stage.height, stage.width, stage.kernel,
                            stage.stride, stage.pad, shape.out_height, shape.out_width,
                            stage.simd, stage.elem_width, stage.beats))


def pool(stage: PoolStage, pixels: int, name: str) -> KernelCall:
    shape = stage.shape
    return _call("pool", (stage.is_max, stage.lanes, stage.folds, stage.height, stage.width,
                          stage.kernel, stage.stride, stage.pad, shape.out_height,
                          shape.out_width, stage.in_width, stage.out_width))


def global_sum(stage: GlobalSumStage, pixels: int, name: str) -> KernelCall:
    return _call("global_sum", (stage.lanes, stage.folds, stage.pixels, stage.in_width,
                                stage.out_width))


def xnor_mvu(stage: XnorMvuStage, pixels: int, name: str) -> KernelCall:
    return _call("xnor_mvu", (stage.simd, stage.pe, stage.synapse_folds, stage.neuron_folds,
                              stage.pixels_per_image, stage.count_width, stage.dot_width),
                 _array(f"{name}_weights", min(stage.simd, LONG_LONG_BITS), False,
                        binary_limbs(stage.rom_words, stage.simd)))


def real_mvu(stage: RealMvuStage, pixels: int, name: str) -> KernelCall:
    return _call("real_mvu", (stage.simd, stage.pe, stage.synapse_folds, stage.neuron_folds,
                              stage.pixels_per_image, stage.elem_width, stage.with_valid,
                              stage.weight_width, stage.product_range.width, stage.out_width),
                 _array(f"{name}_weights", stage.weight_width, True, stage.rom_rows))


def fork(stage: ForkStage, pixels: int, name: str) -> KernelCall:
    return _call("fork", (pixels * stage.layout.beats_per_pixel, stage.layout.beat_width))


def relane(stage: RelaneStage, pixels: int, name: str) -> KernelCall:
    return _call("relane", (stage.channels, stage.width, stage.in_lanes, stage.in_folds,
                            stage.out_lanes, stage.out_folds, pixels))


KERNELS: dict[type[Stage], Callable[[Stage, int, str], KernelCall]] = {
    AffineStage: affine, BinariseStage: binarise, ShortcutStage: shortcut,
    WindowStage: window, PoolStage: pool, GlobalSumStage: global_sum,
    XnorMvuStage: xnor_mvu, RealMvuStage: real_mvu, ForkStage: fork, RelaneStage: relane,
}
