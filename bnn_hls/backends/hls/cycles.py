"""The HLS backend's cycle model: what each kernel of ``templates/hls/`` costs per image,
read from its loop structure (one loop iteration per cycle at the II=1 the kernels ask for).

The costs are the loops' trip counts, so they hold if Vitis meets II=1; the latencies are
estimates of pipeline depth (no Vitis run was made here), used only for the skip FIFOs'
slack above their geometric need, which alone keeps the design deadlock-free.
"""

from __future__ import annotations

from functools import singledispatchmethod

from bnn_hls.hw.stages import (
    AffineStage,
    BinariseStage,
    FifoStage,
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

MVU_PIPELINE_DEPTH = 5  # read/replay, weights, XNOR or multiply, popcount or adder tree, write


class HlsCycles:
    name = "hls"

    def window_cycles(self, kernel: int) -> int:
        """The window kernel's loop spends an iteration on every input beat and every output
        beat: at least one of each per output pixel (stride 1; more input at stride 2)."""
        return 2

    def pool_cycles_per_beat(self, kernel: int) -> int:
        """One iteration per output beat plus one per input beat, at most kernel^2 input
        beats per output beat (stride <= kernel): an upper bound."""
        return 1 + kernel * kernel

    @singledispatchmethod
    def cycles_per_image(self, stage: Stage, pixels: int) -> int:
        """Loop iterations per image, for ``pixels`` input pixels per image (windows, for a
        matrix-vector unit)."""
        raise TypeError(f"no HLS cycle model for {type(stage).__name__}")

    @cycles_per_image.register
    def _(self, stage: AffineStage | BinariseStage | ShortcutStage, pixels: int) -> int:
        return pixels * stage.folds

    @cycles_per_image.register
    def _(self, stage: GlobalSumStage, pixels: int) -> int:
        return (pixels + 1) * stage.folds  # the sums, then one output pixel

    @cycles_per_image.register
    def _(self, stage: WindowStage, pixels: int) -> int:
        return pixels + stage.shape.out_pixels * stage.beats

    @cycles_per_image.register
    def _(self, stage: PoolStage, pixels: int) -> int:
        return (pixels + stage.shape.out_pixels) * stage.folds

    @cycles_per_image.register
    def _(self, stage: XnorMvuStage | RealMvuStage, pixels: int) -> int:
        return pixels * stage.steps_per_pixel

    @cycles_per_image.register
    def _(self, stage: ForkStage | FifoStage, pixels: int) -> int:
        return pixels * stage.layout.beats_per_pixel

    @cycles_per_image.register
    def _(self, stage: RelaneStage, pixels: int) -> int:
        return pixels * (stage.in_folds + stage.out_folds)  # gather, then scatter

    def needs_register_slice(self, source: Stage, sink: Stage) -> bool:
        return False  # the HLS tool registers its own stream interfaces

    @singledispatchmethod
    def latency(self, stage: Stage) -> int:
        """Estimated cycles from the input beat that completes an output pixel's inputs to
        that pixel's last output beat."""
        raise TypeError(f"no HLS cycle model for {type(stage).__name__}")

    @latency.register
    def _(self, stage: AffineStage | ShortcutStage) -> int:
        return 3 + stage.folds - 1

    @latency.register
    def _(self, stage: BinariseStage | GlobalSumStage) -> int:
        return 2 + stage.folds - 1

    @latency.register
    def _(self, stage: ForkStage | FifoStage) -> int:
        return 1

    @latency.register
    def _(self, stage: RelaneStage) -> int:
        return stage.out_folds + 2

    @latency.register
    def _(self, stage: WindowStage) -> int:
        return stage.beats + 2

    @latency.register
    def _(self, stage: PoolStage) -> int:
        return stage.folds + 3

    @latency.register
    def _(self, stage: XnorMvuStage | RealMvuStage) -> int:
        return MVU_PIPELINE_DEPTH + stage.steps_per_pixel - 1


HLS_CYCLES = HlsCycles()
