"""Matrix-vector unit on multi-bit integers: the stem convolution, the downsample 1x1
convolution and the FC layer (ops.real_conv / ops.linear), folded FINN-style.

For each output pixel the unit takes the N input elements as ``ceil(N / simd)`` beats, keeps
them, and loops over the ``ceil(Cout / pe)`` neuron folds, emitting ``pe`` exact dot products
per fold. The weights sit in a ROM (one row per (neuron fold, synapse fold) step) loaded with
``$readmemh``, or in constants for a single step; every datapath width comes from
:class:`bnn_hls.hw.stages.RealMvuStage`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from bnn_hls.backends.rtl.block_ram import Ecp5BlockRam, block_ram
from bnn_hls.backends.rtl.cycles import REAL_MVU_LATENCY
from bnn_hls.backends.rtl.tiles import (
    Tile,
    counter_bits,
    hex_literal,
    render_tile,
    with_helpers,
)
from bnn_hls.hw.estimates import fabric, multiplier_primitives
from bnn_hls.hw.reduction_tree import ReductionTree
from bnn_hls.hw.rtl_structure import REAL_MVU_SUM_STAGE
from bnn_hls.hw.stages import RealMvuStage
from bnn_hls.hw.technology import Technology
from bnn_hls.hw.timing import RtlTiming
from bnn_hls.hw.weight_load import WeightStore, row_width
from bnn_hls.hw.weights import rom_row_words


@dataclass(frozen=True)
class RealMvuTile(Tile):
    """``tree_stages``: register ranks in each PE's adder tree over its ``simd`` products.
    Latency (cycles.py) from the handshake of a pixel's last input beat: operands + ROM row,
    their registers, the multipliers' operand registers, products, the tree's ranks, the sum
    into the output register; streams in templates/rtl/mvu_real.sv.j2. On ECP5 a ROM that
    Yosys would put in block RAM is DP16KD blocks with their output registers (block_ram.py),
    and each product a MULT18X18D holding the operand and product registers
    (ecp5_multiplier.sv.j2). ``store``: a ROM from the bitstream, or a RAM the weight port
    fills (bnn_hls.hw.weight_load; inferred, on any technology)."""

    stage: RealMvuStage
    tree_stages: int = 0
    technology: Technology = Technology.GENERIC
    store: WeightStore = WeightStore.ROM

    prefix: ClassVar[str] = "mvu_real"

    @classmethod
    def for_timing(cls, stage: RealMvuStage, timing: RtlTiming) -> RealMvuTile:
        return cls(stage, timing.product_tree_stages(stage.simd))

    def __post_init__(self):
        _ = self.tree

    @property
    def tree(self) -> ReductionTree:
        return ReductionTree(self.stage.simd, self.tree_stages)

    def memory_file(self, instance: str) -> str:
        return f"{self.module_name(instance)}.mem"

    @property
    def on_multipliers(self) -> bool:
        return multiplier_primitives(self.stage, fabric(self.technology))

    @property
    def words(self) -> list[int]:
        return rom_row_words(self.stage.rom_rows, self.stage.weight_width)

    @property
    def block_rom(self) -> Ecp5BlockRam | None:
        """The weight ROM on DP16KD, or None: inferred (or constants for a single step, or a
        RAM the weight port fills)."""
        if self.stage.steps_per_pixel == 1 or self.store is not WeightStore.ROM:
            return None
        return block_ram(self.technology, row_width(self.stage), self.stage.steps_per_pixel,
                         tuple(self.words))

    def memory_files(self, instance: str) -> dict[str, str]:
        if self.stage.steps_per_pixel == 1 or self.block_rom or self.store is not WeightStore.ROM:
            return {}  # constants for a single step; a block ROM holds its own; loaded: none
        digits = -(-row_width(self.stage) // 4)
        return {self.memory_file(instance): "".join(f"{w:0{digits}x}\n" for w in self.words)}

    def render(self, instance: str) -> str:
        p = self.stage
        row_w = row_width(p)
        depth = p.steps_per_pixel
        module = self.module_name(instance)
        rom = self.block_rom
        rom_module = f"{module}_rom"
        multiplier = f"{module}_multiplier" if self.on_multipliers else None
        main = render_tile(
            "mvu_real.sv.j2", module=module, p=p, rom_module=rom_module if rom else None,
            multiplier=multiplier,
            in_beat_width=p.inputs[0].layout.beat_width,
            sf=p.synapse_folds, nf=p.neuron_folds, depth=depth,
            sf_w=counter_bits(p.synapse_folds), nf_w=counter_bits(p.neuron_folds),
            addr_w=counter_bits(depth), pix_w=counter_bits(p.pixels_per_image),
            weight_w=p.weight_width, prod_w=p.product_range.width, acc_w=p.out_width,
            row_w=row_w, memory_file=self.memory_file(instance), tree=self.tree,
            latency=REAL_MVU_LATENCY + self.tree_stages,
            sum_stage=REAL_MVU_SUM_STAGE + self.tree_stages,
            constants=hex_literal(self.words[0], row_w),
            loaded=self.store is not WeightStore.ROM,
            uram=self.store is WeightStore.LOADED_URAM)
        helpers = [rom.render(rom_module)] if rom else []
        if multiplier:
            helpers.append(render_tile("ecp5_multiplier.sv.j2", module=multiplier))
        return with_helpers(main, *helpers)
