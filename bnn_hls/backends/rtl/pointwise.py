"""Pointwise tiles on fixed-point streams: per-channel affine, binariser, shortcut adder.

All take LANES channels per beat, channel fold innermost (beat f of a pixel carries channels
f*LANES .. f*LANES+LANES-1; lanes past the last channel are don't-care and come out as such).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from bnn_hls.backends.rtl.tiles import (
    Tile,
    counter_bits,
    hex_literal,
    render_tile,
    with_helpers,
)
from bnn_hls.hw.estimates import fabric, multiplier_primitives
from bnn_hls.hw.rtl_structure import affine_latency, affine_operand_width, operand_limbs
from bnn_hls.hw.stages import AffineStage, BinariseStage, ShortcutStage
from bnn_hls.hw.technology import Technology


@dataclass(frozen=True)
class AffineTile(Tile):
    """Latency rtl_structure.affine_latency (operands, products of DSP-sized limbs of the input,
    sum, saturate); tready follows m_axis_tready. On ECP5 each limb's product is a MULT18X18D
    holding the operand and product registers (ecp5_multiplier.sv.j2)."""

    stage: AffineStage
    technology: Technology = Technology.GENERIC

    prefix: ClassVar[str] = "affine"

    @property
    def on_multipliers(self) -> bool:
        return multiplier_primitives(self.stage, fabric(self.technology))

    def render(self, instance: str) -> str:
        p = self.stage
        module = self.module_name(instance)
        multiplier = f"{module}_multiplier" if self.on_multipliers else None
        main = render_tile(
            "affine.sv.j2", module=module, p=p, multiplier=multiplier,
            fold_w=counter_bits(p.folds), x_w=affine_operand_width(p),
            limbs=operand_limbs(affine_operand_width(p)), latency=affine_latency(p),
            mults=_by_fold([hex_literal(m, p.mult_width) for m in p.lane_mults], p.lanes),
            biases=_by_fold([hex_literal(b, p.bias_width) for b in p.rounded_bias], p.lanes))
        if multiplier:
            return with_helpers(main, render_tile("ecp5_multiplier.sv.j2", module=multiplier))
        return main


def _by_fold(per_channel: list[str], lanes: int) -> list[list[str]]:
    """Channel slots fold by fold: [fold][lane]."""
    return [per_channel[f:f + lanes] for f in range(0, len(per_channel), lanes)]


@dataclass(frozen=True)
class BinariseTile(Tile):
    """Bit = (x >= 0), the inverted MSB; latency 1 cycle after a pixel's last beat."""

    stage: BinariseStage

    prefix: ClassVar[str] = "binarise"

    def render(self, instance: str) -> str:
        return render_tile("affine_binarise.sv.j2", module=self.module_name(instance),
                           p=self.stage, fold_w=counter_bits(self.stage.folds))


@dataclass(frozen=True)
class ShortcutTile(Tile):
    """Joins the conv and skip streams beat by beat; latency SHORTCUT_LATENCY from the later
    operand.
    The skip stream's buffering is the plan's channel FIFO in front of it."""

    stage: ShortcutStage

    prefix: ClassVar[str] = "shortcut"

    def render(self, instance: str) -> str:
        return render_tile("shortcut.sv.j2", module=self.module_name(instance), p=self.stage)
