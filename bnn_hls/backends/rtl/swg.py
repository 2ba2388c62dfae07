"""Sliding-window tiles: the row buffer + window reader they share, and the SWG."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from bnn_hls.backends.rtl.tiles import (
    Interval,
    StreamPort,
    Tile,
    clog2,
    counter_bits,
    render_tile,
    with_helpers,
)
from bnn_hls.geometry import conv_out_size


@dataclass(frozen=True)
class WindowGeometry:
    """Row buffer + window reader (templates/rtl/swg_lines.v.j2) over a [C, H, W] stream of
    ``folds`` beats per pixel, ``beat_width`` bits each.

    It keeps ``rows`` image rows (not the image) in ``rows`` RAMs with registered reads, and
    reads one kernel column (K taps of one fold) per cycle: a window fold takes K cycles,
    whatever the stride. The writer never waits for more than the rows the reader still needs,
    and runs into the next image while the reader finishes this one.
    """

    beat_width: int
    folds: int
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
        # The writer may run at most one image ahead of the reader (row coordinates < 2H).
        if self.last_top + self.rows > 2 * self.height:
            raise ValueError(f"image height {self.height} too small for a {self.rows}-row buffer")

    @property
    def out_height(self) -> int:
        return conv_out_size(self.height, self.kernel, self.stride, self.pad)

    @property
    def out_width(self) -> int:
        return conv_out_size(self.width, self.kernel, self.stride, self.pad)

    @property
    def rows(self) -> int:
        """Row slots: the K window rows plus one being written ahead, rounded up to a power of
        two so a row's slot is its low bits."""
        return 1 << clog2(self.kernel + 1)

    @property
    def last_top(self) -> int:
        return (self.out_height - 1) * self.stride - self.pad

    @property
    def last_left(self) -> int:
        return (self.out_width - 1) * self.stride - self.pad

    @property
    def row_w(self) -> int:  # signed rows of the reader's image and the next one
        return Interval(-self.pad, 2 * self.height + self.rows + self.kernel).width

    @property
    def col_w(self) -> int:
        return Interval(-self.pad, self.width + self.kernel + self.stride).width

    @property
    def slot_w(self) -> int:
        return clog2(self.rows)

    @property
    def addr_w(self) -> int:
        return counter_bits(self.width * self.folds)

    @property
    def fold_w(self) -> int:
        return counter_bits(self.folds)

    @property
    def kw_w(self) -> int:
        return counter_bits(self.kernel)

    def render(self, module: str) -> str:
        return render_tile("swg_lines.v.j2", module=module, g=self)


@dataclass(frozen=True)
class SwgParams(Tile):
    """Sliding-window generator feeding a matrix-vector unit (XNOR MVU for binary input).

    In: [channels, height, width] of ``elem_width``-bit elements (1: binary), one pixel per
    beat. Out: per output pixel, the window vector of N = k*k*channels elements (element
    (kh*k + kw)*C + c) in ceil(N/simd) beats; tdata = {valid[simd], data[simd*elem_width]},
    padding taps and the elements past N valid = 0, data = 0.
    Throughput: one window per max(kernel, beats) cycles. Latency: kernel + 3 cycles from the
    window's last input pixel to its first beat.
    """

    channels: int
    height: int
    width: int
    kernel: int
    stride: int
    pad: int
    simd: int
    elem_width: int = 1

    prefix: ClassVar[str] = "swg"

    def __post_init__(self):
        _ = self.geometry  # refuse an unsupported window shape when the tile is made

    @property
    def geometry(self) -> WindowGeometry:
        return WindowGeometry(self.channels * self.elem_width, 1, self.height, self.width,
                              self.kernel, self.stride, self.pad)

    @property
    def out_height(self) -> int:
        return self.geometry.out_height

    @property
    def out_width(self) -> int:
        return self.geometry.out_width

    @property
    def window_elems(self) -> int:
        return self.kernel * self.kernel * self.channels

    @property
    def beats(self) -> int:
        return -(-self.window_elems // self.simd)

    @property
    def beat_count_w(self) -> int:
        return clog2(self.beats + 1)

    def ports(self) -> tuple[StreamPort, ...]:
        return (StreamPort("s_axis", self.channels * self.elem_width, True),
                StreamPort("m_axis", self.simd * (self.elem_width + 1), False))

    def render(self, instance: str) -> str:
        module = self.module_name(instance)
        lines = f"{module}_lines"
        return with_helpers(render_tile("swg.v.j2", module=module, lines_module=lines, p=self),
                            self.geometry.render(lines))
