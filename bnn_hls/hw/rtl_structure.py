"""Structure of the RTL tiles that both the cycle model (backends/rtl/cycles.py) and the
resource estimates (hw/estimates.py) count: multiplier operand limbs, the affine's and the
FIFO's register stages, the row buffer's slots and counter widths, the width converter's
lane buffer. Stated once here, so an
estimate counts the registers the templates render.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from bnn_hls.hw.intervals import Interval, clog2
from bnn_hls.hw.stages import AffineStage, RelaneStage, WindowShape

DSP_OPERAND_BITS = 18  # a signed multiplier operand: ECP5 MULT18X18D, Xilinx DSP48 B port
FIFO_LATENCY = 3  # memory write, its read register, the head register (stream_fifo.sv.j2)
# The row buffer's registers besides its RAM read: the read decision (taken a cycle ahead),
# the RAM output register and the tap select (templates/rtl/swg_lines.sv.j2).
ROW_BUFFER_REGISTERS = 3
# The real MVU's step control bits travel with the operands, their registers, the
# multipliers' operand registers and the products (the fourth stage), then the adder tree's
# register ranks, to the sum (templates/rtl/mvu_real.sv.j2).
REAL_MVU_SUM_STAGE = 4
# ECP5 DP16KD: ADA/ADB are bit addresses of the 16 Kbit array, the low bits unused per data
# width; its configurations as (data width, address bits below the word), widest first.
DP16KD_ADDRESS_BITS = 14
DP16KD_CONFIGS = ((18, 4), (9, 3), (4, 2), (2, 1), (1, 0))


def dp16kd_config(depth: int) -> tuple[int, int]:
    """The widest DP16KD configuration holding ``depth`` words: (data width, address bits
    below the word)."""
    return next(c for c in DP16KD_CONFIGS if depth <= (1 << DP16KD_ADDRESS_BITS) >> c[1])


def dp16kd_column_blocks(width: int, depth: int) -> int:
    """DP16KD blocks of one column holding ``depth`` words of ``width`` bits."""
    return -(-width // dp16kd_config(depth)[0])


def dp16kd_column_fits(width: int, depth: int, rom: bool) -> bool:
    """Whether one column of DP16KD blocks (tiled across the width) holds ``depth`` words; a
    ROM's contents use the 1024 x 18 configuration only (backends/rtl/block_ram.py)."""
    deepest = 1 << DP16KD_ADDRESS_BITS
    return width > 0 and 0 < depth <= (deepest >> DP16KD_CONFIGS[0][1] if rom else deepest)


@dataclass(frozen=True)
class Limb:
    """Bits [lsb, lsb + width) of a signed multiplier operand; the top limb is signed, the
    others unsigned (a zero bit above them keeps them one signed DSP operand)."""

    lsb: int
    width: int
    top: bool

    @property
    def signed_width(self) -> int:
        """The limb as a signed multiplier operand (an unsigned limb gains a zero sign)."""
        return self.width + (0 if self.top else 1)


def operand_limbs(width: int) -> tuple[Limb, ...]:
    """A ``width``-bit signed operand cut into DSP-sized limbs, low bits first: each limb's
    product is one hardware multiplier with its own registers."""
    limbs, lsb = [], 0
    while width - lsb > DSP_OPERAND_BITS:
        limbs.append(Limb(lsb, DSP_OPERAND_BITS - 1, False))
        lsb += DSP_OPERAND_BITS - 1
    return (*limbs, Limb(lsb, width - lsb, True))


def affine_operand_width(stage: AffineStage) -> int:
    """The signed width of the affine's input (an unsigned input gains a zero sign bit)."""
    return stage.in_width + (0 if stage.in_signed else 1)


def affine_latency(stage: AffineStage) -> int:
    """Operands (the multipliers' input registers), the limbs' products (their output
    registers), the sum (one add of the low product and the bias, one more for the higher
    limbs' products when there are any), saturate (affine.sv.j2)."""
    limbs = len(operand_limbs(affine_operand_width(stage)))
    return 4 + (limbs > 1)


def fifo_capacity(depth: int) -> int:
    """Beats a stream FIFO tile holds: ``depth``, at least the FIFO_LATENCY + 1 a full-rate
    stream needs (a beat holds its slot from its push through its latency until the cycle
    after its pop, when "not full" sees the slot free)."""
    return max(depth, FIFO_LATENCY + 1)


def relane_capacity(stage: RelaneStage) -> int:
    """Lanes a width converter (templates/rtl/width_converter.sv.j2) holds: whenever its input
    side must wait at least 2 * out_lanes are held, so the output side never does (and vice
    versa)."""
    return stage.in_lanes + 2 * stage.out_lanes - 1


def relane_fill_step(stage: RelaneStage) -> int:
    """The lane count every beat of either side moves, so the converter's fill is counted in
    groups of it: a fill level between its multiples is never reached."""
    return math.gcd(stage.in_lanes, stage.out_lanes, stage.in_last_lanes, stage.out_last_lanes)


def relane_fill_levels(stage: RelaneStage) -> int:
    """The fill levels (in groups) a beat can enter the width converter at: 0 up to the most
    groups kept while it may."""
    return (relane_capacity(stage) - stage.in_lanes) // relane_fill_step(stage) + 1


def relane_fill_width(stage: RelaneStage) -> int:
    """Bits of the width converter's fill, counted in groups of relane_fill_step lanes."""
    return clog2(relane_capacity(stage) // relane_fill_step(stage) + 1)


def row_slots(kernel: int) -> int:
    """The row buffer's slots: the K window rows plus one being written ahead, rounded up to a
    power of two so a row's slot is its low bits."""
    return 1 << clog2(kernel + 1)


def row_coordinate_width(window: WindowShape) -> int:
    """Signed rows of the reader's image and the next one."""
    return Interval(-window.pad,
                    2 * window.height + row_slots(window.kernel) + window.kernel).width


def column_coordinate_width(window: WindowShape) -> int:
    return Interval(-window.pad, window.width + window.kernel + window.stride).width
