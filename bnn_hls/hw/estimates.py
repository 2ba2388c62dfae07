"""Resource estimates per plan stage and per technology family, from the stage's own numbers
and the way the RTL tiles (templates/rtl) build it: LUTs of logic, flip-flops, block-RAM,
UltraRAM and LUTRAM bits occupied (whole blocks and cells), DSP multipliers.

Each stage is a sum of parts (registers, counters, adders, multiplexers, popcount lanes,
memories) costed on a :class:`Fabric`: LUT6 + carry chain (Xilinx) or LUT4 + CCU2C (Lattice
ECP5, a CCU2C counting as two LUT4s as nextpnr does). ``python -m bnn_hls.bench_estimates``
compares every tile type with Yosys ``synth_xilinx`` / ``synth_ecp5``.

Memories are placed once, by :func:`place_memory`, with the costs Yosys's
``memory_libmap`` uses (so an estimate agrees with what Yosys builds).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from functools import singledispatch

from bnn_hls.hw.intervals import ceil_div, clog2
from bnn_hls.hw.plan import DataflowPlan
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
from bnn_hls.hw.technology import Resources, Technology

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
    dsp_a: int  # widest multiplier operands one DSP takes
    dsp_b: int
    popcount_luts_per_bit: float
    popcount_lane_luts: int  # per lane beside the per-bit cost
    rom_luts_per_bit: float  # a ROM in soft logic, measured (0: from its structure)
    dsp_registers: bool  # a DSP absorbs its operand and product registers
    dsp_glue_luts: int  # LUTs beside each DSP multiplier (operand extension), measured

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
    Technology.XILINX_7SERIES: Fabric(6, XILINX_LUTRAM, XILINX_LUTRAM_SP, 4, 8, False, 25, 18,
                                      1.1, 4, 0.077, True, 0),
    Technology.XILINX_ULTRASCALE_PLUS: Fabric(6, XILINX_LUTRAM, XILINX_LUTRAM_SP, 4, 8, True,
                                              27, 18, 1.1, 4, 0.077, True, 0),
    Technology.LATTICE_ECP5: Fabric(4, ((16, 4),), ((16, 4),), 4, 4, False, 18, 18, 7.75, -20,
                                    0, False, 21),
}
FABRICS[Technology.GENERIC] = FABRICS[Technology.XILINX_7SERIES]


def fabric(technology: Technology) -> Fabric:
    return FABRICS[technology]


# --- memories ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Memory:
    """``depth`` words of ``width`` bits, one read port; ``writable``: a RAM (one write port),
    else a ROM initialised from the bitstream (weights). ``single_port``: a registered read
    at the write address (a LUTRAM cell then holds more bits per word). ``registered_read``:
    the read data is registered (in the block, or in flip-flops beside a LUTRAM)."""

    depth: int
    width: int
    writable: bool
    single_port: bool = False
    registered_read: bool = True

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
    for memory in _memories(stage):
        placement = place_memory(memory, fab)
        total_cost += (URAM_COST * memory.urams if placement is Placement.URAM else
                       BLOCK_COST * memory.blocks if placement is Placement.BLOCK else
                       memory.bits / fab.lut_bits)
    return total_cost


def needs_loading(memory: Memory, fab: Fabric) -> bool:
    return not memory.writable and place_memory(memory, fab) is Placement.URAM


def memory_resources(memory: Memory, fab: Fabric) -> Resources:
    placement = place_memory(memory, fab)
    if placement is Placement.BLOCK:
        return Resources(bram_bits=BLOCK_BITS * memory.blocks)
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


def rom_luts(memory: Memory, fab: Fabric) -> int:
    """A ROM in LUTs: per output bit, one LUT per ``lut_bits`` words and a mux tree; deeper
    than one LUT6, what the bench measures inside the matrix-vector units instead
    (synthesis merges the ROM with the logic it feeds)."""
    per_bit = ceil_div(memory.depth, fab.lut_bits)
    if per_bit > 1 and fab.rom_luts_per_bit:
        return round(memory.bits * fab.rom_luts_per_bit)
    return memory.width * (per_bit + mux_luts(per_bit, 1, fab) if per_bit > 1 else 1)


# --- logic parts -------------------------------------------------------------------------------


def mux_luts(inputs: int, width: int, fab: Fabric) -> int:
    """An ``inputs``:1 multiplexer of ``width`` bits."""
    if inputs <= 1:
        return 0
    return width * ceil_div(inputs - 1, fab.mux_inputs - 1)


def counter(n: int) -> Resources:
    """A wrapping counter over 0..n-1: an adder, a compare with the last value, registers."""
    bits = max(1, clog2(n))
    return Resources(luts=bits + ceil_div(bits, 3), ffs=bits) if n > 1 else Resources()


def adder(width: int, count: int = 1) -> Resources:
    """``count`` carry-chain adders of ``width`` bits: one LUT per bit on either family."""
    return Resources(luts=width * count)


def registers(bits: int) -> Resources:
    return Resources(ffs=bits)


def popcount_luts(width: int, fab: Fabric) -> int:
    """An XNOR-popcount lane: the tree of small carry-chain adders of
    bnn_hls.backends.rtl.popcount with the XNOR and mask in its first LUTs (measured per
    input bit with python -m bnn_hls.bench_estimates)."""
    return max(width, round(width * fab.popcount_luts_per_bit) + fab.popcount_lane_luts)


def multipliers(count: int, a_width: int, b_width: int, fab: Fabric) -> Resources:
    """``count`` a x b products in DSPs (Yosys maps every multiplier of >= 2 x 2 bits)."""
    if min(a_width, b_width) < 2:
        return Resources(luts=count * max(a_width, b_width))
    per = ceil_div(max(a_width, b_width), fab.dsp_a) * ceil_div(min(a_width, b_width),
                                                                 fab.dsp_b)
    return Resources(luts=count * per * fab.dsp_glue_luts, dsps=count * per)


def total(*parts: Resources) -> Resources:
    return sum(parts, Resources())


# --- stages ------------------------------------------------------------------------------------


@singledispatch
def stage_resources(stage: Stage, fab: Fabric) -> Resources:
    raise TypeError(f"no resource estimate for {type(stage).__name__}")


def stage_memories(stage: Stage) -> list[Memory]:
    """The memories a stage's tile holds (weights, line buffers, FIFO storage)."""
    return _memories(stage)


@singledispatch
def _memories(stage: Stage) -> list[Memory]:
    return []


@_memories.register
def _(stage: XnorMvuStage) -> list[Memory]:
    rom = [Memory(stage.steps_per_pixel, stage.simd, False)] * stage.pe
    replay = ([Memory(stage.synapse_folds, 2 * stage.simd, True, single_port=True)]
              if stage.neuron_folds > 1 else [])
    return rom + replay


@_memories.register
def _(stage: RealMvuStage) -> list[Memory]:
    row = stage.pe * stage.simd * stage.weight_width
    rom = [Memory(stage.steps_per_pixel, row, False)] if stage.steps_per_pixel > 1 else []
    vector = ([Memory(stage.synapse_folds, stage.simd * stage.elem_width, True,
                      registered_read=False)]
              if stage.neuron_folds > 1 and stage.synapse_folds > 1 else [])
    return rom + vector


def _row_buffer_memories(slots: int, depth: int, width: int) -> list[Memory]:
    return [Memory(depth, width, True)] * slots


def row_slots(kernel: int) -> int:
    """The row buffer's slots: the K window rows plus one, a power of two (swg_lines)."""
    return 1 << clog2(kernel + 1)


@_memories.register
def _(stage: WindowStage) -> list[Memory]:
    return _row_buffer_memories(row_slots(stage.kernel), stage.width,
                                stage.channels * stage.elem_width)


@_memories.register
def _(stage: PoolStage) -> list[Memory]:
    return _row_buffer_memories(row_slots(stage.kernel), stage.width * stage.folds,
                                stage.lanes * stage.in_width)


@_memories.register
def _(stage: GlobalSumStage) -> list[Memory]:
    return ([Memory(stage.folds, stage.lanes * stage.out_width, True, registered_read=False)]
            if stage.folds > 1 else [])


@_memories.register
def _(stage: FifoStage) -> list[Memory]:
    # The head register is the FIFO's own (it bypasses the memory when the FIFO is empty).
    return [Memory(stage.depth, stage.layout.beat_width + 1, True, registered_read=False)]


def _with_memories(stage: Stage, logic: Resources, fab: Fabric) -> Resources:
    return total(logic, *(memory_resources(m, fab) for m in _memories(stage)))


@stage_resources.register
def _(stage: XnorMvuStage, fab: Fabric) -> Resources:
    pe, simd, acc = stage.pe, stage.simd, stage.count_width
    datapath = total(
        Resources(luts=(pe + 1) * popcount_luts(simd, fab)),  # PE lanes + the valid count
        adder(acc, pe + 1),  # accumulators
        adder(stage.dot_width, pe),  # 2 * agreements - valid
        registers((pe + 1) * acc + pe * stage.dot_width),
        # The operand beat, or the stream beat beside the replay's read register; the
        # weight words are the ROMs' read registers.
        registers(2 * simd),
        Resources(luts=2 * simd if stage.neuron_folds > 1 else 0),  # replay / stream select
    )
    control = total(counter(stage.synapse_folds), counter(stage.neuron_folds),
                    counter(stage.steps_per_pixel), registers(12), Resources(luts=10))
    return _with_memories(stage, total(datapath, control), fab)


@stage_resources.register
def _(stage: RealMvuStage, fab: Fabric) -> Resources:
    pe, simd, ew = stage.pe, stage.simd, stage.elem_width
    prod_w, acc_w = stage.product_range.width, stage.out_width
    datapath = total(
        multipliers(pe * simd, ew, stage.weight_width, fab),
        # Operand and product registers, inside the DSPs where they can hold them.
        registers(0 if fab.dsp_registers else pe * simd * prod_w + simd * ew),
        adder(acc_w, pe * simd),  # the adder chain over SIMD products (+ accumulator)
        registers(pe * acc_w * (2 if stage.synapse_folds > 1 else 1)),
        Resources(luts=simd * ew if stage.with_valid else 0),  # valid masks
        Resources(luts=simd * ew if stage.neuron_folds > 1 else 0),  # operand select
    )
    control = total(counter(stage.synapse_folds), counter(stage.neuron_folds),
                    counter(stage.pixels_per_image), counter(stage.steps_per_pixel),
                    registers(8), Resources(luts=8))
    return _with_memories(stage, total(datapath, control), fab)


def _row_buffer_logic(stage: WindowStage | PoolStage, beat_width: int, folds: int,
                      fab: Fabric) -> Resources:
    """swg_lines: each tap selecting its slot's registered read (the read registers are the
    memories'), position counters and the reader/writer compare."""
    slots = row_slots(stage.kernel)
    row_w, col_w = clog2(2 * stage.height + 2 * slots) + 1, clog2(stage.width + 2 * slots) + 1
    return total(
        Resources(luts=stage.kernel * mux_luts(slots, beat_width, fab)),
        registers(stage.kernel * (clog2(slots) + 1)),
        counter(folds), counter(stage.kernel),
        registers(3 * row_w + 3 * col_w + clog2(slots) * 2 + 4),
        adder(row_w, 6), adder(col_w, 6), Resources(luts=2 * clog2(stage.width * folds + 1)),
    )


@stage_resources.register
def _(stage: WindowStage, fab: Fabric) -> Resources:
    k, column = stage.kernel, stage.channels * stage.elem_width
    padded = stage.beats * stage.simd
    # The window kept per kernel column, and the output shift register with its load-or-
    # shift select. Its valid bits repeat per channel, so synthesis merges their registers.
    window = total(
        registers(k * k * column + k * k),
        registers(padded * stage.elem_width), Resources(luts=padded * stage.elem_width),
        counter(stage.beats + 1),
    )
    return _with_memories(stage, total(window, _row_buffer_logic(stage, column, 1, fab)), fab)


@stage_resources.register
def _(stage: PoolStage, fab: Fabric) -> Resources:
    lanes, out_w, k = stage.lanes, stage.out_width, stage.kernel
    per_tap = 2 * out_w if stage.is_max else out_w  # compare and select, or add
    pooling = total(
        Resources(luts=lanes * k * per_tap),
        registers(lanes * out_w * 2),  # running value, output
    )
    logic = total(pooling, _row_buffer_logic(stage, lanes * stage.in_width, stage.folds, fab))
    return _with_memories(stage, logic, fab)


@stage_resources.register
def _(stage: GlobalSumStage, fab: Fabric) -> Resources:
    logic = total(adder(stage.out_width, stage.lanes), registers(stage.lanes * stage.out_width),
                  counter(stage.folds), counter(stage.pixels), registers(2))
    if stage.folds == 1:
        logic = logic + registers(stage.lanes * stage.out_width)
    return _with_memories(stage, logic, fab)


def constants_rom(stage: AffineStage, fab: Fabric) -> Resources:
    """The multipliers and biases of every fold, selected by the fold counter: a ROM in LUTs."""
    if stage.folds == 1:
        return Resources()
    width = stage.lanes * (stage.mult_width + stage.bias_width)
    return Resources(luts=rom_luts(Memory(stage.folds, width, False), fab))


@stage_resources.register
def _(stage: AffineStage, fab: Fabric) -> Resources:
    lanes, x_w = stage.lanes, stage.in_width + (0 if stage.in_signed else 1)
    prod_w = stage.product.width
    return total(
        multipliers(lanes, x_w, stage.mult_width, fab),
        # The product and its bias, in the DSPs' registers where they can hold them.
        registers(lanes * ((0 if fab.dsp_registers else prod_w + stage.bias_width)
                           + stage.out_width)),
        adder(stage.sum_width, lanes),
        Resources(luts=lanes * stage.out_width),  # saturation
        constants_rom(stage, fab),
        counter(stage.folds), registers(4),
    )


@stage_resources.register
def _(stage: BinariseStage, fab: Fabric) -> Resources:
    return total(registers(stage.channels + 2), counter(stage.folds),
                 Resources(luts=stage.lanes if stage.folds > 1 else 0))


@stage_resources.register
def _(stage: ShortcutStage, fab: Fabric) -> Resources:
    lanes, out_w = stage.lanes, stage.out_format.width
    return total(adder(stage.work_width, 3 * lanes), Resources(luts=lanes * out_w),
                 registers(lanes * out_w + 2), Resources(luts=2))


@stage_resources.register
def _(stage: RelaneStage, fab: Fabric) -> Resources:
    capacity = stage.in_lanes + 2 * stage.out_lanes - 1
    per_lane = stage.width + 1  # data and the image-end flag
    return total(registers(capacity * per_lane),
                 # each held lane keeps, shifts down by out_lanes or takes an input lane
                 # at one of several fill levels: about two LUTs per bit
                 Resources(luts=2 * capacity * per_lane),
                 counter(stage.in_folds), counter(stage.out_folds),
                 adder(clog2(capacity + 1), 2), registers(clog2(capacity + 1) + 2))


@stage_resources.register
def _(stage: ForkStage, fab: Fabric) -> Resources:
    return total(registers(stage.branches), Resources(luts=2 * stage.branches + 1))


@stage_resources.register
def _(stage: FifoStage, fab: Fabric) -> Resources:
    addr = max(1, clog2(stage.depth))
    width = stage.layout.beat_width + 1
    return _with_memories(stage, total(
        registers(width), Resources(luts=width),  # head register, bypass select
        counter(stage.depth), counter(stage.depth), registers(clog2(stage.depth + 1)),
        adder(clog2(stage.depth + 1)), Resources(luts=2 * addr)), fab)


def estimate_stage(stage: Stage, technology: Technology) -> Resources:
    return stage_resources(stage, fabric(technology))


# --- a whole plan ------------------------------------------------------------------------------


@dataclass(frozen=True)
class StageEstimate:
    name: str
    layer: str
    resources: Resources
    load_bits: int  # weight bits in UltraRAM, loaded at start-up


def _fifo_stages(plan: DataflowPlan) -> list[tuple[str, str, FifoStage]]:
    """The stream FIFOs of the plan's buffered channels (skip FIFOs), named as the RTL
    names them."""
    return [(f"{c.sink.stage}_{c.sink.port}_fifo", plan.stages[c.sink.stage].layer,
             FifoStage(c.layout, c.depth)) for c in plan.channels if c.depth]


def estimate_plan(plan: DataflowPlan, technology: Technology) -> list[StageEstimate]:
    """Every stage of ``plan`` and every FIFO of its buffered channels."""
    fab = fabric(technology)
    placed = [(p.name, p.layer, p.stage) for p in plan.stages.values()] + _fifo_stages(plan)
    return [StageEstimate(name, layer, stage_resources(stage, fab),
                          sum(m.bits for m in _memories(stage) if needs_loading(m, fab)))
            for name, layer, stage in placed]


def plan_total(estimates: list[StageEstimate]) -> Resources:
    return total(*(e.resources for e in estimates))
