"""The RTL backend's cycle model: what each tile costs at full rate, stated per stage.

The plan uses it to fold layers, to size skip FIFOs and to predict cycles per image; the
tile and network tests assert the simulated cycle counts against it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import singledispatchmethod

from bnn_hls.hw.rtl_structure import FIFO_LATENCY, ROW_BUFFER_REGISTERS, affine_latency
from bnn_hls.hw.stages import (
    AffineStage,
    BinariseStage,
    FifoStage,
    ForkStage,
    GlobalSumStage,
    PoolStage,
    RealMvuStage,
    RegisterSliceStage,
    RelaneStage,
    ShortcutStage,
    Stage,
    WindowStage,
    XnorMvuStage,
)
from bnn_hls.hw.timing import DEFAULT_TIMING, RtlTiming

GLOBAL_SUM_LATENCY = 2  # the beat and its fold's sum (registered RAM read), the add
SHORTCUT_LATENCY = 2  # aligned sum, saturate (shortcut.sv.j2)
# Operands + ROM row, their registers, the multipliers' operand registers, products,
# accumulate (templates/rtl/mvu_real.sv.j2), without the adder tree's register ranks.
REAL_MVU_LATENCY = 5
# Operands + ROM word, lane inputs, accumulate, without popcount pipeline stages (mvu.sv.j2).
XNOR_MVU_LATENCY = 3
# Tiles whose s_axis_tready follows m_axis_tready within the cycle (the whole pipeline stalls
# together), and tiles whose m_axis_tready feeds a decision several logic levels deep (the
# row buffer's read). A stream into the first kind from either gets a register slice, so no
# ready path spans two tiles.
READY_FOLLOWS_OUTPUT = (AffineStage, BinariseStage, ShortcutStage, GlobalSumStage, ForkStage,
                        RealMvuStage)
OUTPUT_READY_IS_DEEP = (WindowStage, PoolStage)
# Tiles with multipliers (DSP blocks), and the row buffers (block RAM when large): the
# blocks' fixed sites can be far apart, and a stream between two such tiles shares one
# handshake LUT (valid & ready) that the placer puts at one end, so the other end's register
# reaches it and back in one cycle. Such a stream gets a register slice too (latency 0, a
# beat's worth of flip-flops), so each end's path stops at the slice. On every technology:
# the rule is the RTL's, and a small row buffer in LUTRAM pays the slice without the need.
ON_MULTIPLIERS = (AffineStage, RealMvuStage)
ON_BLOCK_RAM = (WindowStage, PoolStage)


def pool_latency(stage: PoolStage, tree_stages: int) -> int:
    """Row buffer, the column tree's ``tree_stages`` register ranks, the running fold."""
    return stage.kernel + 2 + ROW_BUFFER_REGISTERS + tree_stages + stage.folds - 1


@dataclass(frozen=True)
class RtlCycles:
    """The cycle model of the tiles as pipelined for ``timing``'s clock."""

    timing: RtlTiming = field(default=DEFAULT_TIMING)
    name: str = "rtl"

    def window_cycles(self, kernel: int) -> int:
        """The row buffer reads one kernel column per cycle: k cycles per window."""
        return kernel

    def pool_cycles_per_beat(self, kernel: int) -> int:
        return kernel

    @singledispatchmethod
    def cycles_per_image(self, stage: Stage, pixels: int) -> int:
        """Cycles per image at full rate, for ``pixels`` input pixels per image (windows, for
        a matrix-vector unit)."""
        raise TypeError(f"no RTL cycle model for {type(stage).__name__}")

    @cycles_per_image.register
    def _(self, stage: AffineStage | BinariseStage | ShortcutStage | GlobalSumStage,
          pixels: int) -> int:
        return pixels * stage.folds

    @cycles_per_image.register
    def _(self, stage: WindowStage, pixels: int) -> int:
        per_window = max(stage.kernel, stage.beats)
        return max(pixels, stage.shape.out_pixels * per_window)

    @cycles_per_image.register
    def _(self, stage: PoolStage, pixels: int) -> int:
        return max(pixels, stage.shape.out_pixels * stage.kernel) * stage.folds

    @cycles_per_image.register
    def _(self, stage: XnorMvuStage | RealMvuStage, pixels: int) -> int:
        return pixels * stage.steps_per_pixel

    @cycles_per_image.register
    def _(self, stage: ForkStage | FifoStage | RegisterSliceStage, pixels: int) -> int:
        return pixels * stage.layout.beats_per_pixel

    @cycles_per_image.register
    def _(self, stage: RelaneStage, pixels: int) -> int:
        return pixels * max(stage.in_folds, stage.out_folds)

    def needs_register_slice(self, source: Stage, sink: Stage) -> bool:
        ready_path = isinstance(sink, READY_FOLLOWS_OUTPUT) and isinstance(
            source, READY_FOLLOWS_OUTPUT + OUTPUT_READY_IS_DEEP)
        far_apart = isinstance(source, ON_MULTIPLIERS) and isinstance(sink, ON_BLOCK_RAM)
        return ready_path or far_apart

    @singledispatchmethod
    def latency(self, stage: Stage) -> int:
        """Cycles from the input beat that completes an output pixel's inputs to that pixel's
        last output beat, at full rate."""
        raise TypeError(f"no RTL cycle model for {type(stage).__name__}")

    @latency.register
    def _(self, stage: AffineStage) -> int:
        return affine_latency(stage)

    @latency.register
    def _(self, stage: BinariseStage) -> int:
        return 1

    @latency.register
    def _(self, stage: FifoStage) -> int:
        return FIFO_LATENCY

    @latency.register
    def _(self, stage: GlobalSumStage) -> int:
        return GLOBAL_SUM_LATENCY

    @latency.register
    def _(self, stage: ShortcutStage) -> int:
        return SHORTCUT_LATENCY

    @latency.register
    def _(self, stage: ForkStage | RegisterSliceStage) -> int:
        return 0

    @latency.register
    def _(self, stage: RelaneStage) -> int:
        return stage.out_folds

    @latency.register
    def _(self, stage: WindowStage) -> int:
        return stage.kernel + 3 + ROW_BUFFER_REGISTERS + stage.beats - 1

    @latency.register
    def _(self, stage: PoolStage) -> int:
        return pool_latency(stage, self.timing.pool_tree_stages(stage.kernel))

    @latency.register
    def _(self, stage: XnorMvuStage) -> int:
        return (XNOR_MVU_LATENCY + self.timing.popcount_stages(stage.simd)
                + (stage.neuron_folds - 1) * stage.synapse_folds)

    @latency.register
    def _(self, stage: RealMvuStage) -> int:
        return (REAL_MVU_LATENCY + self.timing.product_tree_stages(stage.simd)
                + (stage.neuron_folds - 1) * stage.synapse_folds)


RTL_CYCLES = RtlCycles()
