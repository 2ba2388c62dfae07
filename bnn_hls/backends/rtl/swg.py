"""Sliding-window tiles: the row buffer + window reader they share, and the SWG."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from bnn_hls.backends.rtl.block_ram import Ecp5BlockRam, block_ram
from bnn_hls.backends.rtl.tiles import Tile, counter_bits, render_tile, with_helpers
from bnn_hls.hw.intervals import clog2
from bnn_hls.hw.rtl_structure import column_coordinate_width, row_coordinate_width, row_slots
from bnn_hls.hw.stages import WindowShape, WindowStage
from bnn_hls.hw.technology import Technology


@dataclass(frozen=True)
class WindowStart:
    """A window's top-left corner and its bottom-right in-image pixel, the one the writer must
    be past; rows count from the reader's image (past its height: the next image)."""

    top: int
    left: int
    need_row: int
    need_col: int


@dataclass(frozen=True)
class RowBuffer:
    """Row buffer + window reader (templates/rtl/swg_lines.sv.j2) over an image of ``folds``
    beats per pixel, ``beat_width`` bits each.

    It keeps ``rows`` image rows (not the image) in ``rows`` RAMs with registered reads, and
    reads one kernel column (K taps of one fold) per cycle: a window fold takes K cycles,
    whatever the stride. The writer never waits for more than the rows the reader still needs,
    and runs into the next image while the reader finishes this one. On ECP5 a row that Yosys
    would put in block RAM is a DP16KD with its output register (block_ram.py).
    """

    beat_width: int
    folds: int
    window: WindowShape
    technology: Technology = Technology.GENERIC

    def __post_init__(self):
        # The writer may run at most one image ahead of the reader (row coordinates < 2H).
        if self.last_top + self.rows > 2 * self.window.height:
            raise ValueError(f"image height {self.window.height} too small for a "
                             f"{self.rows}-row buffer")

    @property
    def rows(self) -> int:
        return row_slots(self.window.kernel)

    def window_start(self, index: int) -> WindowStart:
        """Window ``index`` in raster order (``out_pixels`` and on: the next image's)."""
        w = self.window
        image, pixel = divmod(index, w.out_pixels)
        oh, ow = divmod(pixel, w.out_width)
        need = w.last_needed_pixel(oh, ow)
        return WindowStart(oh * w.stride - w.pad, ow * w.stride - w.pad,
                           need // w.width + image * w.height, need % w.width)

    @property
    def first(self) -> WindowStart:
        return self.window_start(0)

    @property
    def second(self) -> WindowStart:
        return self.window_start(1)

    @property
    def last_top(self) -> int:
        w = self.window
        return (w.out_height - 1) * w.stride - w.pad

    @property
    def last_left(self) -> int:
        w = self.window
        return (w.out_width - 1) * w.stride - w.pad

    @property
    def row_w(self) -> int:
        return row_coordinate_width(self.window)

    @property
    def col_w(self) -> int:
        return column_coordinate_width(self.window)

    @property
    def slot_w(self) -> int:
        return clog2(self.rows)

    @property
    def addr_w(self) -> int:
        return counter_bits(self.window.width * self.folds)

    def address(self, value: int) -> int:
        """``value`` modulo the RAM address width (address steps may be negative)."""
        return value % (1 << self.addr_w)

    @property
    def fold_w(self) -> int:
        return counter_bits(self.folds)

    @property
    def kw_w(self) -> int:
        return counter_bits(self.window.kernel)

    @property
    def block_ram(self) -> Ecp5BlockRam | None:
        """One row slot's DP16KD memory, or None: an inferred memory."""
        return block_ram(self.technology, self.beat_width, self.window.width * self.folds)

    def render(self, module: str) -> list[str]:
        """The row buffer's module, its output stage's, and its block RAM's when it has
        one."""
        ram = self.block_ram
        ram_module, output_module = f"{module}_ram", f"{module}_output"
        lines = render_tile("swg_lines.sv.j2", module=module, g=self, w=self.window,
                            ram_module=ram_module, output_module=output_module)
        # A column: kernel taps of a beat, their valid flags, kernel-column and image ends.
        output = render_tile("output_spare.sv.j2", module=output_module,
                             width=self.window.kernel * (self.beat_width + 1) + 2)
        return [lines, output, ram.render(ram_module)] if ram else [lines, output]


@dataclass(frozen=True)
class SwgTile(Tile):
    """Throughput: one window per max(kernel, beats) cycles. Latency (cycles.py): kernel + 3
    cycles plus the row buffer's output registers, from the window's last input pixel to its
    first beat."""

    stage: WindowStage
    technology: Technology = Technology.GENERIC

    prefix: ClassVar[str] = "swg"

    def __post_init__(self):
        _ = self.row_buffer  # refuse a shape the row buffer cannot hold when made

    @property
    def row_buffer(self) -> RowBuffer:
        s = self.stage
        return RowBuffer(s.channels * s.elem_width, 1, s.shape, self.technology)

    def render(self, instance: str) -> str:
        module = self.module_name(instance)
        lines = f"{module}_lines"
        main = render_tile("swg.sv.j2", module=module, lines_module=lines, p=self.stage,
                           beat_count_w=clog2(self.stage.beats + 1))
        return with_helpers(main, *self.row_buffer.render(lines))
