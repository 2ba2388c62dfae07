"""XNOR-popcount matrix-vector unit: the binary convolution's dot products, folded.

For each output pixel the unit receives the N = Cin*k*k input bits (and their valid bits) as
``ceil(N / simd)`` beats, keeps them, and loops over the ``ceil(Cout / pe)`` neuron folds
(FINN-style), each producing ``pe`` dot products (see :class:`bnn_hls.hw.stages.XnorMvuStage`).
Weights sit in one ROM per PE, loaded with ``$readmemh`` from the files
:meth:`XnorMvuTile.memory_files` names (bare names: simulators, Yosys, Vivado and Quartus
find them next to the sources or among a project's files).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

from bnn_hls.backends.rtl.block_ram import Ecp5BlockRam, block_ram
from bnn_hls.backends.rtl.cycles import XNOR_MVU_LATENCY
from bnn_hls.backends.rtl.popcount import PopcountParams
from bnn_hls.backends.rtl.popcount_mapped import render_mapped_popcount
from bnn_hls.backends.rtl.tiles import Tile, counter_bits, render_tile, with_helpers
from bnn_hls.hw.intervals import ceil_div
from bnn_hls.hw.popcount_mapped import MappedPopcount, weights_hard_wired
from bnn_hls.hw.stages import XnorMvuStage
from bnn_hls.hw.technology import Technology
from bnn_hls.hw.timing import RtlTiming
from bnn_hls.hw.weight_load import WeightStore


@dataclass(frozen=True)
class XnorMvuTile(Tile):
    """``popcount_stages``: pipeline registers inside each popcount (for wide ``simd``).
    ``technology``: a family's mapped lanes (bnn_hls.hw.popcount_mapped, with the
    same register ranks), else (generic) the behavioural tree. A fully unrolled layer (one
    weight row per PE) with mapped lanes has its weights hard-wired into them, and no ROM. On
    ECP5, ROMs that Yosys would put in block RAM are DP16KD blocks whose output registers are
    the lane inputs (block_ram.py). ``store``: ROMs from the bitstream, or RAMs the weight
    port fills (bnn_hls.hw.weight_load; inferred, on any technology).
    Streams, latency and the partial last fold are documented in templates/rtl/mvu.sv.j2."""

    stage: XnorMvuStage
    popcount_stages: int = 0
    technology: Technology = Technology.GENERIC
    store: WeightStore = WeightStore.ROM

    prefix: ClassVar[str] = "mvu"

    @classmethod
    def for_timing(cls, stage: XnorMvuStage, timing: RtlTiming) -> XnorMvuTile:
        return cls(stage, timing.popcount_stages(stage.simd))

    @property
    def mapped(self) -> bool:
        return self.technology is not Technology.GENERIC

    @property
    def mapped_popcount(self) -> MappedPopcount:
        return MappedPopcount(self.stage.simd, self.technology, stages=self.popcount_stages)

    @property
    def hard_wired(self) -> bool:
        return weights_hard_wired(self.stage, self.technology)

    @property
    def popcount(self) -> PopcountParams:
        return PopcountParams(self.stage.simd, self.popcount_stages)

    @property
    def latency(self) -> int:
        """Clock edges from the one taking a pixel's last input beat to the one making its
        (first neuron fold's) output valid: operands, lane inputs, popcount stages, accumulate,
        output."""
        return XNOR_MVU_LATENCY + self.popcount_stages

    @property
    def block_roms(self) -> list[Ecp5BlockRam]:
        """Each PE's weight ROM on DP16KD, or none: inferred ROMs (or hard-wired weights, or
        RAMs the weight port fills)."""
        if self.hard_wired or self.store is not WeightStore.ROM:
            return []
        p = self.stage
        roms = [block_ram(self.technology, p.simd, p.steps_per_pixel, tuple(rows))
                for rows in p.rom_words]
        return [rom for rom in roms if rom]

    def memory_file(self, instance: str, pe: int) -> str:
        return f"{self.module_name(instance)}_pe{pe}.mem"

    def memory_files(self, instance: str) -> dict[str, str]:
        """One ``$readmemh`` file per PE, one ROM word per line (none when hard-wired, on
        block RAM or loaded through the weight port)."""
        if self.hard_wired or self.block_roms or self.store is not WeightStore.ROM:
            return {}
        digits = ceil_div(self.stage.simd, 4)
        return {self.memory_file(instance, pe): "".join(f"{word:0{digits}x}\n" for word in rows)
                for pe, rows in enumerate(self.stage.rom_words)}

    def render(self, instance: str) -> str:
        p = self.stage
        module = self.module_name(instance)
        names = {"lane": f"{module}_lane", "popcount": f"{module}_popcount",
                 "output": f"{module}_output"}
        roms = self.block_roms
        rom_modules = [f"{module}_rom{pe}" for pe in range(len(roms))]
        main = render_tile(
            "mvu.sv.j2", module=module, names=names, p=p, rom_modules=rom_modules,
            popcount_stages=self.popcount_stages, latency=self.latency,
            sf_w=counter_bits(p.synapse_folds), nf_w=counter_bits(p.neuron_folds),
            row_w=counter_bits(p.steps_per_pixel), count_w=self.popcount.out_width,
            hard_wired=self.hard_wired, memory_files=list(self.memory_files(instance)),
            loaded=self.store is not WeightStore.ROM,
            uram=self.store is WeightStore.LOADED_URAM)
        # The results and tlast in the output register and its spare.
        output = render_tile("output_spare.sv.j2", module=names["output"],
                             width=p.pe * p.dot_width + 1)
        if self.hard_wired:
            lanes = [render_mapped_popcount(
                replace(self.mapped_popcount,
                        weights=tuple((row[0] >> i) & 1 for i in range(p.simd))),
                f"{names['lane']}{pe}") for pe, row in enumerate(p.rom_words)]
            return with_helpers(main, output, *lanes,
                                render_mapped_popcount(self.mapped_popcount, names["popcount"]))
        if self.mapped:
            return with_helpers(
                main, output,
                render_mapped_popcount(replace(self.mapped_popcount, xnor=True), names["lane"]),
                render_mapped_popcount(self.mapped_popcount, names["popcount"]),
                *(rom.render(name) for rom, name in zip(roms, rom_modules, strict=True)))
        return with_helpers(main, output,
                            self.popcount.render_xnor(names["lane"], names["popcount"]),
                            self.popcount.render(names["popcount"]))
