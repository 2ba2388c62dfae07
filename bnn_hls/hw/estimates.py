"""Resource estimates per plan stage and per technology family, from the stage's own numbers
and the way the RTL tiles (templates/rtl) build it for a clock: LUTs of logic, flip-flops,
block-RAM, UltraRAM and LUTRAM bits occupied (whole blocks and cells), DSP multipliers.

Each stage is a sum of parts costed on a :class:`Fabric`: LUT6 + carry chain (Xilinx) or
LUT4 + CCU2C (Lattice ECP5, a CCU2C counting as two LUT4s as nextpnr does). Registers are
counted as the templates declare them, with the register ranks the clock asks for
(bnn_hls.hw.timing, the popcount trees of bnn_hls.hw.popcount_tree), less what synthesis
provably drops or merges (constant and duplicate bits, registers a DSP or block RAM holds,
Xilinx delay chains in SRL16Es). ``python -m bnn_hls.bench_estimates`` compares every tile
type with Yosys ``synth_xilinx`` / ``synth_ecp5``. The tiles' popcount lanes are the
behavioural ones (bnn_hls.backends.rtl.popcount), not the technology-mapped ones.

Memories are placed once, by :func:`place_memory`, with the costs Yosys's
``memory_libmap`` uses (so an estimate agrees with what Yosys builds).
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, replace
from functools import cache, singledispatch

import numpy as np

from bnn_hls.hw.intervals import ceil_div, clog2
from bnn_hls.hw.popcount_mapped import MappedPopcount, weights_hard_wired
from bnn_hls.hw.popcount_tree import Adder, pipeline, plan_tree
from bnn_hls.hw.reduction_tree import ReductionTree
from bnn_hls.hw.rtl_structure import (
    DSP_OPERAND_BITS,
    REAL_MVU_SUM_STAGE,
    affine_latency,
    affine_operand_width,
    column_coordinate_width,
    dp16kd_column_blocks,
    dp16kd_column_fits,
    fifo_capacity,
    operand_limbs,
    relane_fill_levels,
    relane_fill_step,
    relane_fill_width,
    row_coordinate_width,
    row_slots,
)
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
from bnn_hls.hw.technology import Resources, Technology
from bnn_hls.hw.timing import DEFAULT_TIMING, RtlTiming
from bnn_hls.hw.weights import fold_real

BLOCK_BITS = 18 * 1024  # RAMB18 (a RAMB36 is two) and DP16KD
# Aspect ratios of an 18 Kbit block as a simple dual-port RAM (the same on both families).
BLOCK_SHAPES = ((16384, 1), (8192, 2), (4096, 4), (2048, 9), (1024, 18), (512, 36))
URAM_DEPTH, URAM_WIDTH = 4096, 72
URAM_BITS = URAM_DEPTH * URAM_WIDTH
# memory_libmap costs: soft logic per bit (a RAM as flip-flops; a ROM as LUT logic costs
# 1/(bits per LUT), as synth_xilinx and synth_ecp5 set it), and per block
# (xilinx/brams_*.txt 129 per RAMB18, lattice/brams_16kd.txt 128, urams.txt 1024).
RAM_LOGIC_COST = 1.0
BLOCK_COST, URAM_COST = 128, 1024
LUTRAM_MUX_COST = 0.5  # memory_libmap's FACTOR_MUX, per multiplexer input and bit


class Placement(enum.Enum):
    LOGIC = "logic"  # a ROM as LUTs, a RAM as flip-flops
    LUTRAM = "lutram"
    BLOCK = "block RAM"
    URAM = "UltraRAM"


@dataclass(frozen=True)
class Fabric:
    """What a technology family builds logic from."""

    lut_inputs: int
    lutram_shapes: tuple[tuple[int, int], ...]  # (words, bits) of one distributed-RAM cell
    # with separate read and write addresses, shallowest first
    single_port_shapes: tuple[tuple[int, int], ...]  # ... with one address
    lutram_luts: int  # LUTs the cell occupies
    lutram_cost: int  # memory_libmap cost of that cell
    has_uram: bool
    block_ram_bypass: bool  # a writable block RAM needs a read-during-write bypass in logic
    dsp_a: int  # widest multiplier operands one DSP takes
    dsp_b: int
    shift_register_min: int  # shortest register chain mapped to a shift-register LUT (0: none)
    rom_luts_per_bit: float  # a ROM in soft logic, measured (0: from its structure)
    dsp_registers: bool  # a DSP absorbs its operand and product registers
    # The family's RTL instantiates its block RAM with the output register, and multipliers
    # holding their operand and product registers (ECP5: backends/rtl/block_ram.py,
    # templates/rtl/ecp5_multiplier.sv.j2).
    primitives: bool
    # The family whose mapped popcount lanes the RTL builds (hw/popcount_mapped.py), or
    # GENERIC: the behavioural tree.
    lanes: Technology

    @property
    def mux_inputs(self) -> int:
        """Data inputs of a multiplexer one LUT (with the wide-function muxes) selects from."""
        return 4 if self.lut_inputs == 6 else 2

    @property
    def lut_bits(self) -> int:
        """Bits of a ROM one LUT holds."""
        return 1 << self.lut_inputs


XILINX_LUTRAM = ((32, 6), (64, 3))
XILINX_LUTRAM_SP = ((32, 8), (64, 4))
FABRICS = {
    # RAM32M / RAM64M: 3 read ports beside the write port's, or 4 at the write address;
    # TRELLIS_DPR16X4.
    Technology.XILINX_7SERIES: Fabric(6, XILINX_LUTRAM, XILINX_LUTRAM_SP, 4, 8, False, False,
                                      25, 18, 3, 0.077, True, False, Technology.XILINX_7SERIES),
    Technology.XILINX_ULTRASCALE_PLUS: Fabric(6, XILINX_LUTRAM, XILINX_LUTRAM_SP, 4, 8, True,
                                              False, 27, 18, 3, 0.077, True, False,
                                              Technology.XILINX_ULTRASCALE_PLUS),
    Technology.LATTICE_ECP5: Fabric(4, ((16, 4),), ((16, 4),), 4, 4, False, True, 18, 18, 0, 0,
                                    False, True, Technology.LATTICE_ECP5),
}
# Generic RTL (behavioural lanes) on a 7-series-like fabric.
FABRICS[Technology.GENERIC] = replace(FABRICS[Technology.XILINX_7SERIES],
                                      lanes=Technology.GENERIC)


def fabric(technology: Technology) -> Fabric:
    return FABRICS[technology]


# --- memories ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Memory:
    """``depth`` words of ``width`` bits, one read port; ``writable``: a RAM (one write port),
    else a ROM initialised from the bitstream (weights). ``single_port``: a registered read
    at the write address (a LUTRAM cell then holds more bits per word). ``registered_read``:
    the read data is registered (in the block, or in flip-flops beside a LUTRAM).
    ``primitive``: a tile that instantiates the family's block RAM (with its output register)
    where the placement puts the memory there (:func:`on_block_primitive`)."""

    depth: int
    width: int
    writable: bool
    single_port: bool = False
    registered_read: bool = True
    primitive: bool = False

    @property
    def bits(self) -> int:
        return self.depth * self.width

    @property
    def blocks(self) -> int:
        return min(ceil_div(self.depth, d) * ceil_div(self.width, w) for d, w in BLOCK_SHAPES)

    @property
    def urams(self) -> int:
        return ceil_div(self.depth, URAM_DEPTH) * ceil_div(self.width, URAM_WIDTH)


def lutram_shape(memory: Memory, fab: Fabric) -> tuple[int, int]:
    """The cell shape a memory is built from: the shallowest that holds its depth."""
    shapes = fab.single_port_shapes if memory.single_port else fab.lutram_shapes
    return next((s for s in shapes if memory.depth <= s[0]), shapes[-1])


def lutram_cells(memory: Memory, fab: Fabric) -> int:
    depth, width = lutram_shape(memory, fab)
    return ceil_div(memory.depth, depth) * ceil_div(memory.width, width)


def lutram_mux_inputs(memory: Memory, fab: Fabric) -> int:
    """Extra inputs of the read multiplexer over cells stacked in depth."""
    return ceil_div(memory.depth, lutram_shape(memory, fab)[0]) - 1


def place_memory(memory: Memory, fab: Fabric) -> Placement:
    """The one placement rule: the cheapest of soft logic, LUTRAM, block RAM and UltraRAM at
    Yosys ``memory_libmap``'s costs. ROMs never go to LUTRAM (Yosys prunes it for ROMs).
    UltraRAM (UltraScale+) cannot be initialised by the bitstream: a ROM placed there must be
    loaded at start-up, which :func:`needs_loading` reports."""
    logic = memory.bits * (RAM_LOGIC_COST if memory.writable else 1 / fab.lut_bits)
    costs = {Placement.LOGIC: logic, Placement.BLOCK: BLOCK_COST * memory.blocks}
    if memory.writable:  # cells, and memory_libmap's charge for the read multiplexer
        costs[Placement.LUTRAM] = (fab.lutram_cost * lutram_cells(memory, fab)
                                   + LUTRAM_MUX_COST * lutram_mux_inputs(memory, fab)
                                   * memory.width)
    if fab.has_uram:
        costs[Placement.URAM] = URAM_COST * memory.urams
    return min(costs, key=lambda p: (costs[p], list(Placement).index(p)))


def memory_cost(stage: Stage, fab: Fabric) -> float:
    """The stage's memories at the placement rule's costs."""
    total_cost = 0.0
    for memory in stage_memories(stage):
        placement = place_memory(memory, fab)
        total_cost += (URAM_COST * memory.urams if placement is Placement.URAM else
                       BLOCK_COST * memory.blocks if placement is Placement.BLOCK else
                       memory.bits / fab.lut_bits)
    return total_cost


def on_block_primitive(memory: Memory, fab: Fabric) -> bool:
    """Whether the tile instantiates the memory as block-RAM primitives (ECP5 DP16KD, one
    column of blocks deep enough): the block's output register is then the tile's second read
    register, and a RAM needs no read-during-write bypass (the tiles never read a word in its
    write's cycle)."""
    return (memory.primitive and fab.primitives
            and place_memory(memory, fab) is Placement.BLOCK
            and dp16kd_column_fits(memory.width, memory.depth, not memory.writable))


def output_register_bits(memory: Memory, fab: Fabric) -> int:
    """Flip-flops of the register a tile puts after the memory's registered read: none where
    the block's output register is that register."""
    return 0 if on_block_primitive(memory, fab) else memory.width


def needs_loading(memory: Memory, fab: Fabric) -> bool:
    return not memory.writable and place_memory(memory, fab) is Placement.URAM


def memory_resources(memory: Memory, fab: Fabric) -> Resources:
    placement = place_memory(memory, fab)
    if placement is Placement.BLOCK:
        # A RAM read in the cycle of a write to another address: where the block cannot
        # promise the old word, synthesis keeps the written word and selects it.
        bypass = (memory.writable and fab.block_ram_bypass
                  and not on_block_primitive(memory, fab))
        # Instantiated blocks are one column of the widest configuration the depth allows.
        blocks = (dp16kd_column_blocks(memory.width, memory.depth)
                  if on_block_primitive(memory, fab) else memory.blocks)
        return Resources(luts=memory.width if bypass else 0, bram_bits=BLOCK_BITS * blocks)
    if placement is Placement.URAM:
        return Resources(uram_bits=URAM_BITS * memory.urams)
    if placement is Placement.LUTRAM:
        cells = lutram_cells(memory, fab)
        read_mux = mux_luts(lutram_mux_inputs(memory, fab) + 1, memory.width, fab)
        return Resources(luts=read_mux, ffs=memory.width if memory.registered_read else 0,
                         lutram_bits=cells * fab.lutram_luts * fab.lut_bits)
    if memory.writable:  # flip-flops, a write decoder and a read multiplexer
        return Resources(luts=memory.bits // 2 + mux_luts(memory.depth, memory.width, fab),
                         ffs=memory.bits + memory.width)
    return Resources(luts=rom_luts(memory, fab), ffs=memory.width)


def rom_luts(memory: Memory, fab: Fabric, columns: int | None = None) -> int:
    """A ROM in LUTs, ``columns`` distinct output bits (default: its width). On a LUT6 fabric
    synthesis reads it from the next address (its counter's increment, wrap and enable),
    which takes two LUT inputs: up to a quarter of a LUT's bits deep, one LUT per bit;
    deeper, what the bench measures per stored bit. On ECP5 a bit takes a LUT4 per 16 words,
    a power of two of them per slice group of four (whose PFUMX / L6MUX21 muxes are free),
    and a mux LUT per further group."""
    columns = memory.width if columns is None else columns
    if fab.rom_luts_per_bit:
        if 4 * memory.depth > fab.lut_bits:
            return round(memory.depth * columns * fab.rom_luts_per_bit)
        return columns
    leaves = ceil_div(memory.depth, fab.lut_bits)
    if leaves <= 4:
        return columns * (1 << clog2(leaves))
    groups = ceil_div(leaves, 4)
    return columns * (4 * groups + mux_luts(groups, 1, fab))


# --- logic parts -------------------------------------------------------------------------------


def mux_luts(inputs: int, width: int, fab: Fabric) -> int:
    """An ``inputs``:1 multiplexer of ``width`` bits."""
    if inputs <= 1:
        return 0
    return width * ceil_div(inputs - 1, fab.mux_inputs - 1)


def counter_bits(n: int) -> int:
    """Register bits of a counter over 0..n-1 (none for a constant, which synthesis drops)."""
    return clog2(n) if n > 1 else 0


def adder_luts(width: int, fab: Fabric) -> int:
    """A ``width``-bit carry-chain adder: a LUT per position (LUT6 + CARRY4/8), or a CCU2C
    (counted as two LUT4s) per two positions."""
    return width if fab.lut_inputs == 6 else 2 * ceil_div(width, 2)


def adders(width: int, fab: Fabric, count: int = 1) -> Resources:
    return Resources(luts=count * adder_luts(width, fab))


def compare_luts(width: int, fab: Fabric) -> int:
    """An equality compare with a constant: a LUT per ``lut_inputs`` bits and their AND."""
    return ceil_div(width, fab.lut_inputs - 1) if width else 0


def and_luts(inputs: int, fab: Fabric) -> int:
    """An AND of ``inputs`` signals: a tree of LUTs, each taking one earlier result."""
    return ceil_div(inputs - 1, fab.lut_inputs - 1) if inputs > 1 else 0


def counter(n: int, fab: Fabric) -> Resources:
    """A wrapping counter over 0..n-1: an incrementer and the compare with the last value.
    The wrap to zero is a LUT6 fabric's flip-flop synchronous reset, but a LUT4 per bit
    beside a CCU2C chain (whose cells cannot also clear it)."""
    bits = counter_bits(n)
    wrap = bits if fab.lut_inputs == 4 else 0
    return Resources(luts=adder_luts(bits, fab) + compare_luts(bits, fab) + wrap, ffs=bits)


def registers(bits: int) -> Resources:
    return Resources(ffs=bits)


def luts(count: int) -> Resources:
    return Resources(luts=count)


def tree_adder_luts(adder: Adder, fab: Fabric) -> int:
    """One adder ``a + b + c`` of the popcount tree. On a LUT6 fabric only the carry-chain
    positions where two operands overlap need a LUT (a lone operand bit drives the chain
    directly; c rides the carry-in); a CCU2C chain spans the whole result and one position
    more for the carry-in."""
    if fab.lut_inputs == 6:
        return sorted(t.width for t in adder.terms)[-2]
    return adder_luts(adder.out.width + 1, fab)


@cache  # the fit check asks for the same few lanes across many foldings
def popcount_lane(width: int, stages: int, fab: Fabric, xnor: bool) -> Resources:
    """One popcount pipelined in ``stages`` ranks, for an XNOR lane counting each bit's
    XNOR-and-mask; on a family's mapped lanes, :func:`mapped_lane`."""
    if fab.lanes is not Technology.GENERIC:
        return mapped_lane(width, stages, fab, xnor)
    return behavioural_lane(width, stages, fab, xnor)


def behavioural_lane(width: int, stages: int, fab: Fabric, xnor: bool) -> Resources:
    """The tree of bnn_hls.hw.popcount_tree, and for an XNOR lane each bit's XNOR-and-mask
    LUT. Its registers come from the tree; on Xilinx a value delayed through
    ``shift_register_min`` ranks or more goes to a shift-register LUT (SRL16E) instead of
    flip-flops."""
    tree, root = plan_tree(width)
    staged = pipeline(tree, root, stages)
    chains: dict[str, list[int]] = {}
    for r in staged.registers:  # value_q1, value_q2, ...: one chain per delayed value
        chains.setdefault(r.name.rsplit("_q", 1)[0], []).append(r.width)
    ffs = sum(sum(c) for c in chains.values()
              if not fab.shift_register_min or len(c) < fab.shift_register_min)
    return Resources(luts=sum(tree_adder_luts(a, fab) for a in tree) + 1
                     + (width if xnor else 0), ffs=ffs)


def mapped_lane(width: int, stages: int, fab: Fabric, xnor: bool) -> Resources:
    """The mapped lane's netlist as built: its own LUTs, on ECP5 two LUT4s per CCU2C (the
    chain positions' LUTs are its halves), and its register ranks."""
    net = MappedPopcount(width, fab.lanes, xnor=xnor, stages=stages).netlist()[0]
    carry_luts = 2 * net.carry_blocks if fab.lut_inputs == 4 else 0
    return Resources(luts=len(net.standalone_luts) + carry_luts, ffs=net.register_bits)


def multipliers(count: int, a_width: int, b_width: int, fab: Fabric) -> Resources:
    """``count`` a x b products in DSPs (Yosys maps every multiplier of >= 2 x 2 bits)."""
    if min(a_width, b_width) < 2:
        return Resources(luts=count * max(a_width, b_width))
    per = ceil_div(max(a_width, b_width), fab.dsp_a) * ceil_div(min(a_width, b_width),
                                                                 fab.dsp_b)
    return Resources(dsps=count * per)


def total(*parts: Resources) -> Resources:
    return sum(parts, Resources())


def tree_register_values(leaves: int, stages: int) -> int:
    """Values a reduction tree's register ranks hold: a level ``d`` has ceil(leaves / 2**d)."""
    return sum(ceil_div(leaves, 1 << d) for d in ReductionTree(leaves, stages).registered)


# --- stages ------------------------------------------------------------------------------------


@singledispatch
def stage_resources(stage: Stage, fab: Fabric, timing: RtlTiming = DEFAULT_TIMING) -> Resources:
    raise TypeError(f"no resource estimate for {type(stage).__name__}")


@singledispatch
def stage_memories(stage: Stage) -> list[Memory]:
    """The memories a stage's tile holds (weights, line buffers, FIFO storage)."""
    return []


def weight_rom(stage: XnorMvuStage) -> Memory:
    """One PE's weight memory: a word per step; a ROM (on the family's block primitive where
    placed in block RAM), or an inferred RAM the weight port fills."""
    return Memory(stage.steps_per_pixel, stage.simd, stage.weights_loaded,
                  primitive=not stage.weights_loaded)


@stage_memories.register
def _(stage: XnorMvuStage) -> list[Memory]:
    # written the cycle after its step, at its own address (templates/rtl/mvu.sv.j2)
    replay = ([Memory(stage.synapse_folds, 2 * stage.simd, True)]
              if stage.neuron_folds > 1 and stage.synapse_folds > 1 else [])
    return [weight_rom(stage)] * stage.pe + replay


def distinct_weight_columns(stage: XnorMvuStage) -> int:
    """Weight bits (PE, lane) whose values over the steps differ from every other's and are
    not constant: a ROM in logic holds one LUT function (and register) per such column, since
    synthesis merges identical ones and drops constants."""
    rows = fold_real(stage.weights, stage.pe, stage.simd)  # [step, PE, SIMD], the ROM's rows
    columns = rows.reshape(len(rows), -1).T.astype(bool)
    varying = columns[columns.any(axis=1) & ~columns.all(axis=1)]
    return len(np.unique(np.packbits(varying, axis=1), axis=0)) if len(varying) else 0


@stage_memories.register
def _(stage: RealMvuStage) -> list[Memory]:
    row = stage.pe * stage.simd * stage.weight_width
    # a ROM on the family's block primitive, or an inferred RAM the weight port fills
    rom = ([Memory(stage.steps_per_pixel, row, stage.weights_loaded,
                   primitive=not stage.weights_loaded)]
           if stage.steps_per_pixel > 1 else [])
    vector = ([Memory(stage.synapse_folds, stage.simd * stage.elem_width, True,
                      registered_read=False)]
              if stage.neuron_folds > 1 and stage.synapse_folds > 1 else [])
    return rom + vector


def _row_buffer_memories(slots: int, depth: int, width: int) -> list[Memory]:
    return [Memory(depth, width, True, primitive=True)] * slots


@stage_memories.register
def _(stage: WindowStage) -> list[Memory]:
    return _row_buffer_memories(row_slots(stage.kernel), stage.width,
                                stage.channels * stage.elem_width)


@stage_memories.register
def _(stage: PoolStage) -> list[Memory]:
    return _row_buffer_memories(row_slots(stage.kernel), stage.width * stage.folds,
                                stage.lanes * stage.in_width)


@stage_memories.register
def _(stage: GlobalSumStage) -> list[Memory]:
    return ([Memory(stage.folds, stage.lanes * stage.out_width, True)]
            if stage.folds > 1 else [])


@stage_memories.register
def _(stage: FifoStage) -> list[Memory]:
    return [Memory(fifo_capacity(stage.depth), stage.layout.beat_width + 1, True, primitive=True)]


def _with_memories(stage: Stage, logic: Resources, fab: Fabric) -> Resources:
    """The logic and the memories, with the registers of a block RAM's read-during-write
    bypass (the written word and the read's: 2 x width), once for memories written the same
    data (the row buffer's slots)."""
    memories = stage_memories(stage)
    bypassed = {m for m in memories
                if m.writable and fab.block_ram_bypass and place_memory(m, fab) is Placement.BLOCK
                and not on_block_primitive(m, fab)}
    return total(logic, *(memory_resources(m, fab) for m in memories),
                 *(registers(2 * m.width) for m in bypassed))


@stage_resources.register
def _(stage: XnorMvuStage, fab: Fabric, timing: RtlTiming = DEFAULT_TIMING) -> Resources:
    """templates/rtl/mvu.sv.j2 with the fabric's lanes (behavioural, mapped or hard-wired)."""
    pe, simd, acc, dot = stage.pe, stage.simd, stage.count_width, stage.dot_width
    sf, nf = stage.synapse_folds, stage.neuron_folds
    ranks = timing.popcount_stages(simd)
    replayed = nf > 1 and sf > 1
    rom = weight_rom(stage)
    if not rom.writable and place_memory(rom, fab) is Placement.LOGIC:
        # The ROM's read and the lane inputs' weight registers, per distinct weight column.
        columns = distinct_weight_columns(stage)
        weights = Resources(luts=rom_luts(rom, fab, columns),
                            ffs=2 * columns)
    else:  # the block's own read register, then the lane inputs' weight register (on a
        # block primitive, its output register)
        weights = total(*(memory_resources(rom, fab) for _ in range(pe)),
                        registers(pe * output_register_bits(rom, fab)))
    if weights_hard_wired(stage, fab.lanes):
        # Plain counts of if_one / if_zero (valid & act, valid & ~act: a LUT6_2 or two LUT4s
        # per input bit, once for all lanes) picked by each constant weight bit.
        lanes = total(*[popcount_lane(simd, ranks, fab, xnor=False)] * (pe + 1),
                      luts(simd * (1 if fab.lut_inputs == 6 else 2)))
    else:
        # XNOR lanes. Not modelled: in a fully unrolled layer on behavioural lanes (generic),
        # constant weights let synthesis share the PEs' equal sub-sums (the estimate is high
        # there, +71 % LUTs in `bench_estimates --family generic`).
        lanes = total(*[popcount_lane(simd, ranks, fab, xnor=True)] * pe,
                      popcount_lane(simd, ranks, fab, xnor=False))
    partial = stage.last_fold_lanes < pe
    datapath = total(
        weights, lanes,
        # Accumulators (the first step's clear in their LUTs), then 2 * agreements - valid.
        adders(acc, fab, pe + 1), registers((pe + 1) * acc),
        adders(dot, fab, pe),
        # the output register and its spare (output_spare.sv.j2): results and tlast, the
        # select between them, the valid and hold flags
        registers(2 * (pe * dot + 1) + 2), luts(mux_luts(2, pe * dot + 1, fab)),
        luts(pe * dot if partial and fab.lut_inputs == 4 else 0),  # idle lanes' zero
        # The operand beat (beside the replay's read register, the memory's, and a select
        # between them), then the lane inputs' beat.
        registers(2 * simd + 2 * simd), luts(2 * simd if replayed else 0),
    )
    # Step counters, their control bits through the operand, lane and popcount ranks, the
    # accumulate flags and the output handshake.
    control = total(counter(sf, fab), counter(nf, fab), counter(stage.steps_per_pixel, fab),
                    registers(5 * (ranks + 2) + 4 + (1 if nf > 1 else 0)  # from_stream
                              + (counter_bits(sf) + 2 if replayed else 0)),  # delayed write
                    luts(8 + pe * (1 if partial else 0)))
    replay = [memory_resources(m, fab) for m in stage_memories(stage)[pe:]]
    return total(datapath, control, *replay)


def multiplier_primitives(stage: AffineStage | RealMvuStage, fab: Fabric) -> bool:
    """Whether the tile instantiates a multiplier block per product (ECP5 MULT18X18D, whose
    input and output registers are the tile's operand and product registers): on a family
    with primitives, when the operands fit one block (an affine cuts its input into limbs
    that do, so only its multiplier's width counts)."""
    widths = ((stage.mult_width,) if isinstance(stage, AffineStage)
              else (stage.elem_width, stage.weight_width))
    return fab.primitives and max(widths) <= DSP_OPERAND_BITS


def _real_products(stage: RealMvuStage, fab: Fabric, tree_stages: int) -> Resources:
    """The multipliers with their operand registers (the input vector three times, the ROM
    row's two copies: the ROM's read register is the memory's), product registers and each
    PE's adder tree with its register ranks. A Xilinx DSP48 holds the vector's later two
    copies and the row's (its A and B registers), the product registers and, in its
    post-adder, the tree's first level of pairs with its register; the vector's first copy,
    shared by the PEs, stays in flip-flops. An ECP5 MULT18X18D holds the last operand copies
    and the product; a DP16KD ROM's output register is the row's first copy."""
    pe, simd, ew, ww = stage.pe, stage.simd, stage.elem_width, stage.weight_width
    prod_w, acc_w = stage.product_range.width, stage.out_width
    row = pe * simd * ww if stage.steps_per_pixel > 1 else 0  # constants otherwise
    row_copy = output_register_bits(stage_memories(stage)[0], fab) if row else 0
    on_blocks = multiplier_primitives(stage, fab)
    registered = ReductionTree(simd, tree_stages).registered
    tree_values = tree_register_values(simd, tree_stages)
    tree_adds = pe * (simd - 1)
    if fab.dsp_registers:  # the first level: its pairs' adds, and every value's register
        first_level = ceil_div(simd, 2) if 1 in registered else 0
        in_logic = simd * ew + pe * (tree_values - first_level) * acc_w
        tree_adds -= pe * (simd // 2)
    elif on_blocks:
        in_logic = 2 * simd * ew + row_copy + pe * tree_values * acc_w
    else:
        in_logic = 3 * simd * ew + row_copy + row + pe * (simd * prod_w + tree_values * acc_w)
    products = Resources(dsps=pe * simd) if on_blocks else multipliers(pe * simd, ew, ww, fab)
    return total(products, registers(in_logic), adders(acc_w, fab, tree_adds))


@stage_resources.register
def _(stage: RealMvuStage, fab: Fabric, timing: RtlTiming = DEFAULT_TIMING) -> Resources:
    """templates/rtl/mvu_real.sv.j2."""
    pe, simd, ew, acc_w = stage.pe, stage.simd, stage.elem_width, stage.out_width
    sf, nf = stage.synapse_folds, stage.neuron_folds
    tree_stages = timing.product_tree_stages(simd)
    kept = nf > 1 and sf == 1  # the input vector in a register rather than a RAM
    datapath = total(
        _real_products(stage, fab, tree_stages),
        adders(acc_w, fab, pe), registers(pe * acc_w * (2 if sf > 1 else 1)),  # sum, output
        luts(simd * ew if stage.with_valid else 0),  # valid masks
        luts(simd * ew if nf > 1 else 0), registers(simd * ew if kept else 0),  # the vector
    )
    control_bits = 3 + (1 if sf > 1 else 0)
    control = total(counter(sf, fab), counter(nf, fab), counter(stage.pixels_per_image, fab),
                    counter(stage.steps_per_pixel, fab),
                    registers(control_bits * (REAL_MVU_SUM_STAGE + tree_stages) + 2), luts(6))
    return _with_memories(stage, total(datapath, control), fab)


def _row_buffer_logic(stage: WindowStage | PoolStage, beat_width: int, folds: int,
                      fab: Fabric) -> Resources:
    """swg_lines: the RAMs' registered reads (the memories' own) and their output register,
    each tap selecting its slot, position counters and the reader/writer compares; the
    write a cycle after its handshake (slot, address, beat, strobe), and the read decided a
    cycle ahead: the next window's corner and needs, the read column, its in-image flag and
    RAM address, the next window's address, the writer's limit and the registered ready."""
    slots, k = row_slots(stage.kernel), stage.kernel
    slot_w = clog2(slots)
    row_w, col_w = row_coordinate_width(stage.shape), column_coordinate_width(stage.shape)
    addr_w = max(1, clog2(stage.width * folds))
    return total(
        # the reads' output registers
        registers(slots * output_register_bits(stage_memories(stage)[0], fab)),
        luts(k * mux_luts(slots, beat_width, fab)), registers(k * beat_width),  # taps
        registers(2 * k * slot_w + 3 * k + 9),  # tap slots and valids, stage flags
        counter(folds, fab), counter(folds, fab), counter(k, fab),  # write / read fold, kw
        # writer row, column, slot; reader top, left, base, the window's needs
        registers(3 * row_w + 3 * col_w + 2 * slot_w),
        registers(slot_w + addr_w + beat_width + 1),  # the delayed write
        registers(3 * row_w + 3 * col_w + 2 * addr_w + 3),  # the read decided ahead
        adders(row_w, fab, 8), adders(col_w, fab, 8), adders(slot_w, fab, 2 + k),
        adders(addr_w, fab, 2 if folds > 1 else 0), luts(2 * addr_w),
        # the column's spare (output_spare.sv.j2) and its select, the hold flag; the writer's
        # limit less one; this and the next window's readability a cycle earlier, the
        # completion a cycle ago, and the row end and the following needs a cycle late
        registers(k * (beat_width + 1) + 2 + 1), luts(mux_luts(2, k * (beat_width + 1) + 2, fab)),
        registers(row_w + (4 + row_w + col_w if k * folds > 1 else 0)),
    )


@stage_resources.register
def _(stage: WindowStage, fab: Fabric, timing: RtlTiming = DEFAULT_TIMING) -> Resources:
    """templates/rtl/swg.sv.j2: the window register (kernel rows of K pixels), and the output
    shift register with its load-or-shift select."""
    k, column = stage.kernel, stage.channels * stage.elem_width
    padded = stage.beats * stage.simd
    # A tap's valid bit repeats over its channels; shifted by SIMD lanes per beat, blocks of
    # gcd(channels, SIMD) lanes stay equal, and synthesis merges their registers.
    valid_regs = ceil_div(padded, math.gcd(stage.channels, stage.simd))
    window = total(
        registers(k * k * column + k * k),
        # load or shift: the enable is the flip-flop's, the 2:1 select a LUT per data bit but
        # in the last beat, which shifts in zeros (the flip-flops' reset)
        registers(padded * stage.elem_width + valid_regs),
        luts((padded - stage.simd) * stage.elem_width),
        # beats left, the last-beat flag, valid, image end, window full
        registers(clog2(stage.beats + 1) + 4), adders(clog2(stage.beats + 1), fab), luts(4),
    )
    return _with_memories(stage, total(window, _row_buffer_logic(stage, column, 1, fab)), fab)


@stage_resources.register
def _(stage: PoolStage, fab: Fabric, timing: RtlTiming = DEFAULT_TIMING) -> Resources:
    """templates/rtl/pool_window.sv.j2: per lane a column tree over the K taps (compare and
    select, or add), its register ranks, the running value and the output."""
    lanes, out_w, k = stage.lanes, stage.out_width, stage.kernel
    tree_stages = timing.pool_tree_stages(k)
    per_op = (adder_luts(out_w, fab) + out_w) if stage.is_max else adder_luts(out_w, fab)
    pooling = total(
        luts(lanes * k * per_op),  # K - 1 tree operations and the fold into the running value
        # a max's padding taps: a paired tap's select shares its compare's LUTs, an odd one
        # has its own; the running value's restart
        luts(lanes * out_w * ((k % 2) if stage.is_max else 0) + lanes * out_w),
        registers(lanes * out_w * (2 + tree_register_values(k, tree_stages))),
        registers(3 * tree_stages + 2),
    )
    logic = total(pooling, _row_buffer_logic(stage, lanes * stage.in_width, stage.folds, fab))
    return _with_memories(stage, logic, fab)


@stage_resources.register
def _(stage: GlobalSumStage, fab: Fabric, timing: RtlTiming = DEFAULT_TIMING) -> Resources:
    """templates/rtl/pool_global.sv.j2: the beat, the running sums (a RAM over the folds, or
    a register), their add and the output."""
    sums = stage.lanes * stage.out_width
    # The output, and the running sums' register when one fold has no RAM (whose read
    # register, the memory's, is the running sums otherwise).
    kept = sums if stage.folds == 1 else 0
    logic = total(
        registers(stage.lanes * stage.in_width + sums + kept),
        adders(stage.out_width, fab, stage.lanes),
        luts(sums if fab.lut_inputs == 4 else 0),  # the first pixel's clear
        counter(stage.folds, fab), registers(counter_bits(stage.folds)),
        counter(stage.pixels, fab), registers(6), luts(4),
    )
    return _with_memories(stage, logic, fab)


def multiplied_lanes(stage: AffineStage) -> int:
    """Lanes needing a multiplier: with one fold a lane's multiplier is a constant, and a
    constant 0 or a signed power of two is a shift, which synthesis builds without one."""
    if stage.folds > 1:
        return stage.lanes
    return sum(1 for m in stage.lane_mults if m and abs(m) & (abs(m) - 1))


def even_constant_lanes(stage: AffineStage) -> int:
    """Multiplied lanes whose multiplier is an even constant (one fold). Synthesis takes its
    trailing zeros out of the product as a shift, and the DSP48 then keeps its post-adder but
    not the sum's register: those lanes' sums stay in flip-flops (seen per lane in the
    synth_xilinx netlists of the bench's 32-lane affine and of a fresh 16-lane one)."""
    if stage.folds > 1:
        return 0
    return sum(1 for m in stage.lane_mults if m and abs(m) & (abs(m) - 1) and not m & 1)


def varying_columns(values: tuple[int, ...], width: int, lanes: int) -> int:
    """Bits of a register loaded with a per-fold constant (``values`` per channel slot, fold
    major; ``lanes`` slices of ``width`` bits) that differ between folds and from each other:
    synthesis drops the constant ones and merges equal ones, each left a small ROM."""
    folds = len(values) // lanes
    columns = set()
    for lane in range(lanes):
        words = [values[f * lanes + lane] & ((1 << width) - 1) for f in range(folds)]
        for bit in range(width):
            column = tuple((w >> bit) & 1 for w in words)
            if any(column) and not all(column):
                columns.add(column)
    return len(columns)


def saturation_luts(stage: AffineStage | ShortcutStage, value_w: int, out_w: int,
                    fab: Fabric) -> int:
    """Per lane, a compare with each clamped bound (a constant) and the select of the result.
    On a LUT6 fabric a compare checks the bits above the output's against its sign, a LUT per
    three of them on the carry chain; a LUT4 fabric takes a LUT per two bits of the value."""
    sat = stage.saturation
    sides = (1 if sat.clamp_lo else 0) + (1 if sat.clamp_hi else 0)
    if not sides:
        return 0
    compare = (max(1, ceil_div(value_w - out_w, 3)) if fab.lut_inputs == 6
               else ceil_div(value_w, 2))
    return sides * compare + out_w


@stage_resources.register
def _(stage: AffineStage, fab: Fabric, timing: RtlTiming = DEFAULT_TIMING) -> Resources:
    """templates/rtl/affine.sv.j2: the operand, the fold's multiplier and bias (a small ROM
    per varying bit), limb products, sum (its bits above the shift), saturate. A Xilinx DSP48
    holds a multiplied lane's operand, multiplier, product and (one limb) its bias add and
    sum. On ECP5 every lane's limbs are MULT18X18D blocks holding the operand, multiplier and
    product registers (a shift's too)."""
    lanes, x_w = stage.lanes, affine_operand_width(stage)
    sum_w, mult_w, bias_w, out_w = (stage.sum_width, stage.mult_width, stage.bias_width,
                                    stage.out_width)
    limbs = [limb.signed_width for limb in operand_limbs(x_w)]
    split = len(limbs) > 1
    kept_sum = sum_w - stage.shift  # the shifted-out bits are dropped
    on_blocks = multiplier_primitives(stage, fab)
    multiplied = lanes if on_blocks else multiplied_lanes(stage)
    mult_bits = varying_columns(stage.lane_mults, mult_w, lanes)
    bias_bits = varying_columns(stage.rounded_bias, bias_w, lanes)
    products = sum(min(w + mult_w, sum_w) for w in limbs)
    # A split input's sums: the low limb's product and the bias, the higher limbs' products
    # (shifted: their low bits are zeros), and the total of the two, whose low bits are the
    # low sum's: the low sum's bits below the shift feed only dropped bits.
    high_w = sum_w - (DSP_OPERAND_BITS - 1)
    low_w = sum_w - min(stage.shift, DSP_OPERAND_BITS - 1)
    sums = low_w + high_w + kept_sum if split else kept_sum
    sum_adds = (adder_luts(sum_w, fab) + (len(limbs) - 1) * adder_luts(high_w, fab) if split
                else adder_luts(sum_w, fab))
    if fab.dsp_registers:  # the low and high sums in the DSPs' post-adders and registers
        in_logic = (multiplied if split else even_constant_lanes(stage)) * kept_sum + bias_bits
        add_luts = multiplied * (adder_luts(high_w, fab) if split else 0)
    elif on_blocks:
        in_logic = multiplied * sums + 2 * bias_bits
        add_luts = multiplied * sum_adds
    else:
        in_logic = multiplied * (x_w + products + sums) + mult_bits + 2 * bias_bits
        add_luts = multiplied * sum_adds
    unmultiplied = lanes - multiplied  # a shift: the operand, its copy, the sum
    shifted_w = stage.shifted.width
    return total(
        *(Resources(dsps=lanes) if on_blocks else multipliers(multiplied, w, mult_w, fab)
          for w in limbs),
        registers(in_logic + unmultiplied * (2 * x_w + kept_sum) + lanes * out_w),
        luts(add_luts + unmultiplied * adder_luts(sum_w, fab)),
        luts(lanes * saturation_luts(stage, shifted_w, out_w, fab)),
        luts(rom_luts(Memory(stage.folds, 1, False), fab, mult_bits + bias_bits)
             if stage.folds > 1 else 0),
        # valid and last through the registered stages and the output
        counter(stage.folds, fab), registers(2 * affine_latency(stage)),
    )


@stage_resources.register
def _(stage: BinariseStage, fab: Fabric, timing: RtlTiming = DEFAULT_TIMING) -> Resources:
    """templates/rtl/affine_binarise.sv.j2: the earlier folds' signs, the output. A sign is
    its lane's inverted top bit: an INV cell on Xilinx, a LUT4 on ECP5."""
    return total(registers((stage.folds - 1) * stage.lanes + stage.channels + 2),
                 luts(stage.lanes if fab.lut_inputs == 4 else 0),
                 counter(stage.folds, fab), luts(3))


@stage_resources.register
def _(stage: ShortcutStage, fab: Fabric, timing: RtlTiming = DEFAULT_TIMING) -> Resources:
    """templates/rtl/shortcut.sv.j2: per lane the rounding adds, the sum, saturation."""
    lanes, out_w, work_w = stage.lanes, stage.out_format.width, stage.work_width
    # A rounding half is a constant: a LUT6 carry chain adds it in the sum's own LUTs.
    rounding = 0 if fab.lut_inputs == 6 else (stage.conv_shift > 0) + (stage.skip_shift > 0)
    return total(adders(work_w, fab, lanes * (1 + rounding)),
                 luts(lanes * saturation_luts(stage, work_w, out_w, fab)),
                 registers(lanes * (work_w + out_w) + 4), luts(3))


@stage_resources.register
def _(stage: RelaneStage, fab: Fabric, timing: RtlTiming = DEFAULT_TIMING) -> Resources:
    """templates/rtl/width_converter.sv.j2: a buffer of in_lanes + 2 * out_lanes - 1 lanes,
    each keeping its value (its flip-flops' enable), or selecting the one out_lanes above it
    (the beat leaving) or an entering lane at a fill level. The fill only ever moves by the
    beats' lane counts, so it counts groups of their gcd (relane_fill_step), and the lanes
    no fill level reaches (and their selects) go. The decoded
    selects are shared nets (a kept hierarchy boundary), so a buffer bit's select is only its
    candidates and their selects (python -m bnn_hls.bench_estimates --tile relane)."""
    step = relane_fill_step(stage)
    levels = [a * step for a in range(relane_fill_levels(stage))]  # lanes kept as a beat enters
    held = stage.in_lanes + levels[-1]
    select_luts = 0
    for lane in range(held):
        entering = sum(1 for kept in levels if 0 <= lane - kept < stage.in_lanes)
        select_luts += stage.width * max(1, mux_luts(1 + entering, 1, fab))
    # An image-end flag can only sit where a beat's last channel lands, shifted by whole
    # output beats: about one place per output beat held (the others are constant).
    end_flags = ceil_div(held, stage.out_lanes)
    fill_w = relane_fill_width(stage)
    return total(registers(held * stage.width + end_flags), luts(select_luts),
                 counter(stage.in_folds, fab), counter(stage.out_folds, fab),
                 adders(fill_w, fab, 2), registers(fill_w), luts(2 * len(levels)))


@stage_resources.register
def _(stage: ForkStage, fab: Fabric, timing: RtlTiming = DEFAULT_TIMING) -> Resources:
    """templates/rtl/stream_fork.sv.j2: per branch its valid and its taken flag's next value;
    the input's ready, an AND over every branch's taken flag and ready; the handshake that
    clears the flags."""
    branches = stage.branches
    return total(registers(branches),
                 luts(2 * branches + and_luts(2 * branches, fab) + 1))


@stage_resources.register
def _(stage: RegisterSliceStage, fab: Fabric, timing: RtlTiming = DEFAULT_TIMING) -> Resources:
    """templates/rtl/stream_skid.sv.j2: the held beat and tlast, the output's select between
    them and the input, the full flag and the output's valid."""
    bits = stage.layout.beat_width + 1
    return total(registers(bits + 1), luts(mux_luts(2, bits, fab) + 2))


@stage_resources.register
def _(stage: FifoStage, fab: Fabric, timing: RtlTiming = DEFAULT_TIMING) -> Resources:
    """templates/rtl/stream_fifo.sv.j2: the memory with its read register, the head register,
    the pointers and the two occupancy counts."""
    slots = fifo_capacity(stage.depth)
    count_w = clog2(slots + 1)
    return _with_memories(stage, total(
        registers(output_register_bits(stage_memories(stage)[0], fab)),  # the head
        counter(slots, fab), counter(slots, fab), registers(2 * count_w + 2),
        # the two up/down counts: on a LUT6 fabric an adder each, whose +1 / -1 operand the
        # carry chain computes in its own LUTs; on ECP5 an incrementing and a decrementing
        # CCU2C chain each, and a LUT4 per bit selecting between them
        adders(count_w, fab, 2 if fab.lut_inputs == 6 else 4),
        luts(0 if fab.lut_inputs == 6 else 2 * count_w),
        luts(2 * compare_luts(count_w, fab) + 4)), fab)


def estimate_stage(stage: Stage, technology: Technology,
                   timing: RtlTiming = DEFAULT_TIMING) -> Resources:
    """A stage's tile as the RTL backend builds it for ``timing``'s clock."""
    return stage_resources(stage, fabric(technology), timing)
