"""The stages of a dataflow plan: each a frozen dataclass of one operator's parameters and
every number derived from them (stream layouts, datapath widths, constants, folded weights).
Backends render them; none of these numbers is computed again in a backend.

Ports are named ``in`` (``conv`` and ``skip`` for the adder) and ``out`` (``out0`` ..
for a fork). Arithmetic is docs/numerics.md; the golden operator each stage implements is
named in its docstring.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from bnn_hls.compiler.formats import Fixed, Integer
from bnn_hls.geometry import conv_out_size
from bnn_hls.hw.intervals import Interval, Saturation, ceil_div, clog2, last_fold_size
from bnn_hls.hw.layout import StreamLayout
from bnn_hls.hw.weights import fold_binary, fold_real

MAX_REAL_WEIGHT_BITS = 16


@dataclass(frozen=True)
class Port:
    name: str
    layout: StreamLayout
    is_input: bool


def _in(layout: StreamLayout, name: str = "in") -> Port:
    return Port(name, layout, True)


def _out(layout: StreamLayout, name: str = "out") -> Port:
    return Port(name, layout, False)


class Stage:
    """Base of every stage: ``ports()`` in a fixed order, inputs first."""

    def ports(self) -> tuple[Port, ...]:
        raise NotImplementedError

    def port(self, name: str) -> Port:
        return next(p for p in self.ports() if p.name == name)

    @property
    def inputs(self) -> tuple[Port, ...]:
        return tuple(p for p in self.ports() if p.is_input)

    @property
    def outputs(self) -> tuple[Port, ...]:
        return tuple(p for p in self.ports() if not p.is_input)


class LaneFolded:
    """A stage carrying ``channels`` per pixel in beats of ``lanes``: ``folds`` beats."""

    channels: int
    lanes: int

    @property
    def folds(self) -> int:
        return ceil_div(self.channels, self.lanes)


def _padded(values: tuple[int, ...], length: int) -> tuple[int, ...]:
    return values + (0,) * (length - len(values))


# --- pointwise ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AffineStage(LaneFolded, Stage):
    """ops.affine then formats.saturate: out[c] = sat(rshift_round(mult[c]*x + bias[c], shift)).

    Input: ``lanes`` ``in_width``-bit values per beat (``in_signed``: two's complement, else
    unsigned raw pixels) taking values in ``in_range``. Output: ``out_format``'s width,
    saturated to it, or with ``out_format=None`` the width of the exact result range.
    """

    channels: int
    lanes: int
    in_width: int
    mult: tuple[int, ...]
    bias: tuple[int, ...]
    shift: int
    out_format: Fixed | Integer | None = None
    in_range: Interval | None = None
    in_signed: bool = True

    def __post_init__(self):
        object.__setattr__(self, "mult", tuple(int(m) for m in self.mult))
        object.__setattr__(self, "bias", tuple(int(b) for b in self.bias))
        full = Interval.of_width(self.in_width, self.in_signed)
        if self.in_range is None:
            object.__setattr__(self, "in_range", full)
        if len(self.mult) != self.channels or len(self.bias) != self.channels:
            raise ValueError(f"need {self.channels} multipliers and biases")
        if self.shift < 0:
            raise ValueError(f"shift must be >= 0, got {self.shift}")
        if not self.in_range.within(full):
            raise ValueError(f"input range {self.in_range} does not fit {self.in_width} bits")

    @property
    def lane_mults(self) -> tuple[int, ...]:
        """Per channel slot of every fold (padding lanes 0)."""
        return _padded(self.mult, self.folds * self.lanes)

    @property
    def rounded_bias(self) -> tuple[int, ...]:
        """bias + 2**(shift-1) per channel slot: the rounding half folded into the constant."""
        half = (1 << (self.shift - 1)) if self.shift else 0
        return tuple(b + half for b in _padded(self.bias, self.folds * self.lanes))

    @property
    def mult_width(self) -> int:
        return Interval.hull(self.lane_mults).width

    @property
    def bias_width(self) -> int:
        return Interval.hull(self.rounded_bias).width

    @property
    def product(self) -> Interval:
        return Interval.cover(self.in_range.times(m) for m in self.lane_mults)

    @property
    def total(self) -> Interval:
        """mult*x + rounded bias over every channel."""
        return Interval.cover(self.in_range.times(m) + Interval(b, b)
                              for m, b in zip(self.lane_mults, self.rounded_bias, strict=True))

    @property
    def sum_width(self) -> int:
        return max(self.total.width, self.shift + 1)  # keep >= 1 bit after the shift

    @property
    def shifted(self) -> Interval:
        return self.total.floor_shift(self.shift)

    @property
    def saturation(self) -> Saturation:
        if self.out_format is None:
            return Saturation(self.shifted, self.shifted)
        return Saturation(self.shifted, Interval(self.out_format.lo, self.out_format.hi))

    @property
    def out_width(self) -> int:
        return self.shifted.width if self.out_format is None else self.out_format.width

    def ports(self) -> tuple[Port, ...]:
        return (_in(StreamLayout(self.channels, self.lanes, self.in_width, self.in_signed)),
                _out(StreamLayout(self.channels, self.lanes, self.out_width, True)))


@dataclass(frozen=True)
class BinariseStage(LaneFolded, Stage):
    """ops.sign_bits: bit = (x >= 0); all of a pixel's channels in one beat out."""

    channels: int
    lanes: int
    in_width: int

    def ports(self) -> tuple[Port, ...]:
        return (_in(StreamLayout(self.channels, self.lanes, self.in_width, True)),
                _out(StreamLayout(self.channels, self.channels, 1, False)))


@dataclass(frozen=True)
class ShortcutStage(LaneFolded, Stage):
    """ops.add_saturate: out = sat(align(conv, Fc, Fo) + align(skip, Fs, Fo), out_format),
    ``lanes`` channels per beat on all three streams. ``conv_range``/``skip_range``: the
    values the operands take (default: their formats' whole range)."""

    channels: int
    lanes: int
    conv_format: Fixed
    skip_format: Fixed
    out_format: Fixed
    conv_range: Interval | None = None
    skip_range: Interval | None = None
    conv_width: int = 0  # element widths of the operand streams (default: the formats')
    skip_width: int = 0

    def __post_init__(self):
        for name, fmt in (("conv", self.conv_format), ("skip", self.skip_format)):
            if getattr(self, f"{name}_width") == 0:
                object.__setattr__(self, f"{name}_width", fmt.width)
            if getattr(self, f"{name}_range") is None:
                object.__setattr__(self, f"{name}_range", Interval(fmt.lo, fmt.hi))

    @property
    def conv_shift(self) -> int:
        return self.conv_format.frac_bits - self.out_format.frac_bits

    @property
    def skip_shift(self) -> int:
        return self.skip_format.frac_bits - self.out_format.frac_bits

    @property
    def aligned_sum(self) -> Interval:
        return (self.conv_range.rshift_round(self.conv_shift)
                + self.skip_range.rshift_round(self.skip_shift))

    @property
    def work_width(self) -> int:
        """One width for every intermediate: operands, +rounding half, aligned operands, sum."""
        ranges = [self.aligned_sum]
        for values, shift in ((self.conv_range, self.conv_shift),
                              (self.skip_range, self.skip_shift)):
            ranges += [values, values.rshift_round(shift)]
            if shift > 0:
                ranges.append(values + Interval(0, 1 << (shift - 1)))
        return max(r.width for r in ranges)

    @property
    def saturation(self) -> Saturation:
        return Saturation(self.aligned_sum, Interval(self.out_format.lo, self.out_format.hi))

    def ports(self) -> tuple[Port, ...]:
        return (_in(StreamLayout(self.channels, self.lanes, self.conv_width, True), "conv"),
                _in(StreamLayout(self.channels, self.lanes, self.skip_width, True), "skip"),
                _out(StreamLayout(self.channels, self.lanes, self.out_format.width, True)))


# --- windows, pools ----------------------------------------------------------------------------


@dataclass(frozen=True)
class WindowShape:
    """A k x k window of stride s and zero padding p sliding over an H x W image."""

    height: int
    width: int
    kernel: int
    stride: int
    pad: int

    def __post_init__(self):
        if not 0 <= self.pad < self.kernel:
            raise ValueError(f"pad {self.pad} must be in [0, kernel={self.kernel})")
        if self.out_height < 1 or self.out_width < 1:
            raise ValueError(f"{self.height}x{self.width} image is smaller than the kernel")

    @property
    def out_height(self) -> int:
        return conv_out_size(self.height, self.kernel, self.stride, self.pad)

    @property
    def out_width(self) -> int:
        return conv_out_size(self.width, self.kernel, self.stride, self.pad)

    @property
    def in_pixels(self) -> int:
        return self.height * self.width

    @property
    def out_pixels(self) -> int:
        return self.out_height * self.out_width

    def last_needed_pixel(self, oh: int, ow: int) -> int:
        """Raster index of the window's bottom-right in-image pixel: the input pixel after
        which a window generator can emit output pixel (oh, ow)."""
        row = min(oh * self.stride - self.pad + self.kernel - 1, self.height - 1)
        col = min(ow * self.stride - self.pad + self.kernel - 1, self.width - 1)
        return row * self.width + col


@dataclass(frozen=True)
class WindowStage(Stage):
    """Sliding-window generator: in, [channels, H, W] of ``elem_width``-bit elements, one pixel
    per beat; out, per output pixel (raster order) the window vector of N = k*k*channels
    elements (element (kh*k + kw)*C + c) in ceil(N / simd) beats of {valid[simd],
    data[simd x elem_width]}; padding taps and the elements past N have valid = 0, data = 0."""

    channels: int
    height: int
    width: int
    kernel: int
    stride: int
    pad: int
    simd: int
    elem_width: int = 1

    def __post_init__(self):
        _ = self.shape  # refuse an impossible window when the stage is made

    @property
    def shape(self) -> WindowShape:
        return WindowShape(self.height, self.width, self.kernel, self.stride, self.pad)

    @property
    def window_elems(self) -> int:
        return self.kernel * self.kernel * self.channels

    @property
    def beats(self) -> int:
        return ceil_div(self.window_elems, self.simd)

    @property
    def signed(self) -> bool:
        return self.elem_width > 1

    def ports(self) -> tuple[Port, ...]:
        return (_in(StreamLayout(self.channels, self.channels, self.elem_width, self.signed)),
                _out(StreamLayout(self.window_elems, self.simd, self.elem_width, self.signed,
                                  valid_bits=True)))


class PoolKind(enum.Enum):
    MAX = "max"
    SUM = "sum"


@dataclass(frozen=True)
class PoolStage(LaneFolded, Stage):
    """Window pooling over a [channels, H, W] stream of signed ``in_width``-bit values in
    ``in_range``, ``lanes`` per beat, output in the same layout.

    ``PoolKind.MAX``: ops.max_pool (padding taps ignored), ``in_width`` bits out.
    ``PoolKind.SUM``: the exact window sum; kernel 2, stride 2, pad 0 is ops.avg_pool_sum.
    """

    kind: PoolKind
    channels: int
    lanes: int
    in_width: int
    height: int
    width: int
    kernel: int
    stride: int
    pad: int
    in_range: Interval | None = None

    def __post_init__(self):
        if self.in_range is None:
            object.__setattr__(self, "in_range", Interval.of_width(self.in_width))
        _ = self.shape

    @classmethod
    def avg_pool_sum(cls, channels: int, lanes: int, in_width: int, height: int, width: int,
                     in_range: Interval | None = None) -> PoolStage:
        return cls(PoolKind.SUM, channels, lanes, in_width, height, width, kernel=2, stride=2,
                   pad=0, in_range=in_range)

    @property
    def shape(self) -> WindowShape:
        return WindowShape(self.height, self.width, self.kernel, self.stride, self.pad)

    @property
    def is_max(self) -> bool:
        return self.kind is PoolKind.MAX

    @property
    def out_range(self) -> Interval:
        """A max stays in its input range; a sum's partial sums start from 0."""
        if self.is_max:
            return self.in_range
        return self.in_range.times(self.kernel * self.kernel).with_zero()

    @property
    def out_width(self) -> int:
        return self.in_width if self.is_max else self.out_range.width

    def ports(self) -> tuple[Port, ...]:
        return (_in(StreamLayout(self.channels, self.lanes, self.in_width, True)),
                _out(StreamLayout(self.channels, self.lanes, self.out_width, True)))


@dataclass(frozen=True)
class GlobalSumStage(LaneFolded, Stage):
    """ops.global_sum: per-channel exact sum over H x W pixels; one pixel out per image."""

    channels: int
    lanes: int
    in_width: int
    height: int
    width: int
    in_range: Interval | None = None

    def __post_init__(self):
        if self.in_range is None:
            object.__setattr__(self, "in_range", Interval.of_width(self.in_width))

    @property
    def pixels(self) -> int:
        return self.height * self.width

    @property
    def out_range(self) -> Interval:
        return self.in_range.times(self.pixels).with_zero()

    @property
    def out_width(self) -> int:
        return self.out_range.width

    def ports(self) -> tuple[Port, ...]:
        return (_in(StreamLayout(self.channels, self.lanes, self.in_width, True)),
                _out(StreamLayout(self.channels, self.lanes, self.out_width, True)))


# --- matrix-vector units -----------------------------------------------------------------------


class FoldedMatrix:
    """Folding arithmetic shared by the binary and the real matrix-vector units: ``fan_in``
    (N) inputs by ``out_channels`` outputs, ``pe`` outputs and ``simd`` inputs per cycle."""

    fan_in: int
    out_channels: int
    pe: int
    simd: int

    @property
    def shape_text(self) -> str:
        return f"N={self.fan_in} Cout={self.out_channels} PE={self.pe} SIMD={self.simd}"

    @property
    def synapse_folds(self) -> int:
        """Input beats per output pixel."""
        return ceil_div(self.fan_in, self.simd)

    @property
    def neuron_folds(self) -> int:
        """Output beats per output pixel."""
        return ceil_div(self.out_channels, self.pe)

    @property
    def last_fold_lanes(self) -> int:
        """Lanes of the last neuron fold that carry a channel (the rest carry zero)."""
        return last_fold_size(self.out_channels, self.pe)

    @property
    def steps_per_pixel(self) -> int:
        return self.synapse_folds * self.neuron_folds


@dataclass(frozen=True, eq=False)
class XnorMvuStage(FoldedMatrix, Stage):
    """ops.binary_conv's dot products: for each output pixel, the N = ``fan_in`` window bits
    (and their valid bits) in ceil(N / simd) beats; per neuron fold ``pe`` dot products
    dot[o] = 2 * popcount(valid & ~(act ^ w[o])) - popcount(valid), so padding taps count 0.

    ``weights``: [Cout, N] bool, N in the window stream's element order.
    """

    weights: np.ndarray = field(repr=False)
    pe: int = 1
    simd: int = 1
    pixels_per_image: int = 1
    weights_loaded: bool = False  # RAMs the weight port fills at start-up (hw/weight_load.py)

    def __post_init__(self):
        weights = np.asarray(self.weights, dtype=bool)
        if weights.ndim != 2 or weights.size == 0:
            raise ValueError("weights must be a non-empty [Cout, N] bool matrix")
        object.__setattr__(self, "weights", weights)
        if min(self.pe, self.simd, self.pixels_per_image) < 1:
            raise ValueError(f"MVU sizes must be >= 1: {self.shape_text}")

    @property
    def fan_in(self) -> int:
        return self.weights.shape[1]

    @property
    def out_channels(self) -> int:
        return self.weights.shape[0]

    @property
    def count_width(self) -> int:
        """An unsigned count of up to N bits."""
        return clog2(self.fan_in + 1)

    @property
    def dot_range(self) -> Interval:
        return Interval(-self.fan_in, self.fan_in)

    @property
    def dot_width(self) -> int:
        return self.dot_range.width

    @cached_property
    def rom_words(self) -> np.ndarray:
        """[PE, NF*SF] Python ints: PE pe's word of step nf*SF + sf holds channel nf*PE + pe's
        inputs [sf*SIMD, (sf+1)*SIMD), input sf*SIMD + s at bit s; zero past N and Cout."""
        return fold_binary(self.weights, self.pe, self.simd)

    def ports(self) -> tuple[Port, ...]:
        return (_in(StreamLayout(self.fan_in, self.simd, 1, False, valid_bits=True)),
                _out(StreamLayout(self.out_channels, self.pe, self.dot_width, True)))


@dataclass(frozen=True, eq=False)
class RealMvuStage(FoldedMatrix, Stage):
    """ops.real_conv / ops.linear: out[o] = sum_i W[o, i] * x[i] over N = ``fan_in`` signed
    ``elem_width``-bit inputs with values in ``in_range``; ``pe`` outputs and ``simd`` inputs
    per cycle. ``with_valid``: input beats are {valid, data} window beats and elements with
    valid = 0 contribute 0. ``pixels_per_image`` output pixels make an image (tlast)."""

    weights: np.ndarray = field(repr=False)
    pe: int = 1
    simd: int = 1
    elem_width: int = 8
    in_range: Interval | None = None
    with_valid: bool = False
    pixels_per_image: int = 1
    weights_loaded: bool = False  # RAMs the weight port fills at start-up (hw/weight_load.py)

    def __post_init__(self):
        weights = np.asarray(self.weights)
        if weights.ndim != 2 or weights.size == 0 or not np.issubdtype(weights.dtype,
                                                                        np.integer):
            raise ValueError(f"weights must be a non-empty 2-D integer array, got "
                             f"{weights.dtype} {weights.shape}")
        object.__setattr__(self, "weights", weights.astype(np.int64))
        if self.in_range is None:
            object.__setattr__(self, "in_range", Interval.of_width(self.elem_width))
        if min(self.pe, self.simd, self.elem_width, self.pixels_per_image) < 1:
            raise ValueError(f"real MVU sizes must be >= 1: {self.shape_text}")
        if self.weight_width > MAX_REAL_WEIGHT_BITS:
            raise ValueError(f"real MVU weights need {self.weight_width} bits, at most "
                             f"{MAX_REAL_WEIGHT_BITS} are supported")
        if not self.in_range.within(Interval.of_width(self.elem_width)):
            raise ValueError(f"input range {self.in_range} does not fit {self.elem_width} bits")

    @property
    def fan_in(self) -> int:
        return self.weights.shape[1]

    @property
    def out_channels(self) -> int:
        return self.weights.shape[0]

    @cached_property
    def weight_width(self) -> int:
        return Interval.hull([0, int(self.weights.min()), int(self.weights.max())]).width

    @property
    def elem_range(self) -> Interval:
        """What one element contributes a value from: the input range, and 0 (masked
        elements, and the partial sums of an accumulation start from 0)."""
        return self.in_range.with_zero()

    @property
    def product_range(self) -> Interval:
        return Interval.cover([self.elem_range.times(int(self.weights.min())),
                               self.elem_range.times(int(self.weights.max()))])

    @cached_property
    def acc_range(self) -> Interval:
        """The exact worst case of any output channel and of every partial sum (each term's
        range holds 0). Lanes past Cout are 0."""
        positive = np.maximum(self.weights, 0).sum(axis=1)
        negative = np.minimum(self.weights, 0).sum(axis=1)
        lo, hi = self.elem_range.lo, self.elem_range.hi
        return Interval.cover([Interval(0, 0)] + [Interval(int(p) * lo + int(n) * hi,
                                                           int(p) * hi + int(n) * lo)
                                                  for p, n in zip(positive, negative,
                                                                  strict=True)])

    @property
    def out_width(self) -> int:
        return self.acc_range.width

    @cached_property
    def rom_rows(self) -> np.ndarray:
        """[NF*SF, PE, SIMD] int64: step nf*SF + sf holds W[nf*PE + p, sf*SIMD + s] at
        [step, p, s], zero past N and past Cout."""
        return fold_real(self.weights, self.pe, self.simd)

    def ports(self) -> tuple[Port, ...]:
        return (_in(StreamLayout(self.fan_in, self.simd, self.elem_width, True,
                                 valid_bits=self.with_valid)),
                _out(StreamLayout(self.out_channels, self.pe, self.out_width, True)))


# --- plumbing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ForkStage(Stage):
    """Broadcasts every beat of ``in`` to ``out0`` .. ``out<branches-1>``."""

    layout: StreamLayout
    branches: int = 2

    def __post_init__(self):
        if self.branches < 2:
            raise ValueError(f"a fork needs >= 2 outputs, got {self.branches}")

    def ports(self) -> tuple[Port, ...]:
        return (_in(self.layout), *(_out(self.layout, f"out{i}") for i in range(self.branches)))


@dataclass(frozen=True)
class RelaneStage(Stage):
    """Re-folds each pixel's ``channels`` from ``in_lanes`` to ``out_lanes`` lanes of
    ``width`` bits per beat (lanes past the last channel: don't-care in, 0 out)."""

    channels: int
    in_lanes: int
    out_lanes: int
    width: int
    signed: bool = True

    def __post_init__(self):
        if min(self.channels, self.in_lanes, self.out_lanes, self.width) < 1:
            raise ValueError(f"re-laning sizes must be >= 1, got {self}")

    @property
    def in_folds(self) -> int:
        return ceil_div(self.channels, self.in_lanes)

    @property
    def out_folds(self) -> int:
        return ceil_div(self.channels, self.out_lanes)

    @property
    def in_last_lanes(self) -> int:
        """Channels in a pixel's last input beat."""
        return last_fold_size(self.channels, self.in_lanes)

    @property
    def out_last_lanes(self) -> int:
        """Channels in a pixel's last output beat (its other lanes carry 0)."""
        return last_fold_size(self.channels, self.out_lanes)

    def ports(self) -> tuple[Port, ...]:
        return (_in(StreamLayout(self.channels, self.in_lanes, self.width, self.signed)),
                _out(StreamLayout(self.channels, self.out_lanes, self.width, self.signed)))


@dataclass(frozen=True)
class FifoStage(Stage):
    """A stream FIFO of ``depth`` beats (a channel's buffering, where a backend makes one)."""

    layout: StreamLayout
    depth: int

    def __post_init__(self):
        if self.depth < 2:
            raise ValueError(f"a stream FIFO needs depth >= 2, got {self.depth}")

    def ports(self) -> tuple[Port, ...]:
        return (_in(self.layout), _out(self.layout))


@dataclass(frozen=True)
class RegisterSliceStage(Stage):
    """A register slice (skid buffer) on a stream, where a backend needs its ready path cut:
    beats pass in the same cycle, and one is held when the consumer stalls."""

    layout: StreamLayout

    def ports(self) -> tuple[Port, ...]:
        return (_in(self.layout), _out(self.layout))
