"""Technology-mapped popcount: the fabric's LUTs and carry chains instantiated directly, so the
cost is set by construction rather than left to Yosys/ABC.

The count is a *bit heap*: column ``c`` holds bits of weight ``2**c``; it starts with every
counted bit in column 0 and is compressed, stage by stage, until each column holds one bit.
Every compressor is one carry chain over consecutive columns; each chain position is one LUT
whose output drives the position's propagate input ``S`` (``sum = S ^ carry_in``,
``carry_out = S ? carry_in : DI``):

* Xilinx (LUT6_2 + CARRY4/CARRY8). A position adds up to four bits ``x`` of its column (one
  of them may be ``v_in``, the second output its lower neighbour passes up) and the carry-in:
  ``S = parity(x)``, ``DI = x[-1]`` and ``O5 = sum(x[:-1]) >> 1``, a bit of the column above
  (so ``sum(x) + carry_in = sum + 2 * (carry_out + O5)``). A chain's first position takes one
  more bit on the carry-in: five bits in, three out, one LUT. Positions above it add three
  bits and ``v_in`` (three numbers summed along the chain), so every full position removes
  two bits from the heap: a popcount of ``n`` wires costs about ``n / 2`` LUTs.
* The XNOR lane's counted bits ``valid & ~(act ^ weight)`` are three signals each; two of them
  fit one LUT6 (``S = A ^ B``), and ``O5`` (the LUT with ``I5 = valid_B`` low, i.e. ``A``) is
  the ``DI``: so the first stage adds pairs ``A + B + c`` on one chain position each, ``c``
  the sum bit of the pair before it (a cascade of ``PAIR_CASCADE`` pairs). ``n`` XNOR bits
  then cost ``n / 2`` LUTs and leave about ``n / 2`` wires of weight 2.
* Lattice ECP5 (LUT4 + CCU2C): a position is a CCU2C half, one LUT4 with no second output
  and ``DI`` = the same LUT's table at ``C = D = 0``; chains start from a constant carry.
  So positions add two bits (``S = x ^ y``, ``DI = x`` with ``x`` on input A), a counted bit
  is first made by its own LUT4 (three signals), and a chain's top carry is read out by one
  more position.

LUT tables (INIT) are computed here by evaluating each position's function: this is the
lane's netlist, which bnn_hls.backends.rtl.popcount_mapped only instantiates and the resource
estimates (bnn_hls.hw.estimates) count. ``python -m bnn_hls.bench_lut`` measures the cost
against the naive and the behavioural (bnn_hls.backends.rtl.popcount) units.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bnn_hls.hw.intervals import clog2
from bnn_hls.hw.stages import XnorMvuStage
from bnn_hls.hw.technology import Technology

PAIR_CASCADE = 8  # pairs whose carry-ins chain through the previous pair's sum bit
MAX_CHAIN = 8  # positions per carry chain: two CARRY4 or one CARRY8
FULL_POSITION = 5  # bits a chain position can add: four through its LUT, one on the carry-in
ZERO, ONE = "1'b0", "1'b1"


@dataclass(frozen=True)
class CountedBit:
    """A bit to count: ``signals`` (Verilog refs) and its value as a function of them. A
    plain wire has one signal; an XNOR-lane bit has act, weight and valid."""

    signals: tuple[str, ...]
    value: Callable[[Sequence[int]], int] = field(compare=False)
    kill: int = 0  # index of a signal that forces the bit to 0 when low


def wire(ref: str) -> CountedBit:
    return CountedBit((ref,), lambda s: s[0])


def xnor_bit(index: int) -> CountedBit:
    """valid & ~(act ^ weights) of input bit ``index``: signals act, weights, valid."""
    return CountedBit((f"act[{index}]", f"weights[{index}]", f"valid[{index}]"),
                      lambda s: s[2] & (1 ^ s[0] ^ s[1]), kill=2)


@dataclass(frozen=True)
class Lut:
    """One LUT: ``inputs`` on I0.. (LUT6_2) or A.. (LUT4), ``init`` its table; ``o6`` drives a
    chain position's S (or a plain wire); ``o5`` (Xilinx) is the second output or ``None``."""

    name: str
    inputs: tuple[str, ...]
    init: int
    o6: str
    o5: str | None = None


@dataclass(frozen=True)
class Chain:
    """A carry chain: positions ``s[k]``/``di[k]``, carry-in ``ci``; sums ``o[k]`` and the top
    carry ``co`` (``None`` when no position above reads it)."""

    name: str
    ci: str
    s: tuple[str, ...]
    di: tuple[str, ...]
    o: tuple[str, ...]
    co: str | None


@dataclass(frozen=True)
class Rank:
    """A rank of pipeline registers: ``name[j]`` holds ``inputs[j]``."""

    name: str
    inputs: tuple[str, ...]


@dataclass
class Netlist:
    family: Technology
    luts: list[Lut] = field(default_factory=list)
    chains: list[Chain] = field(default_factory=list)
    ranks: list[Rank] = field(default_factory=list)

    def lut(self, bits: Sequence[CountedBit], o6: Callable[[Sequence[int]], int],
            o5: Callable[[Sequence[int]], int] | None = None,
            slots: Sequence[int] | None = None) -> Lut:
        """A LUT over the signals of ``bits``; ``o6``/``o5`` take the bits' values. Xilinx: up
        to five signals with I5 high (O6 = INIT[63:32], O5 = INIT[31:0]), or six with the last
        bit's kill signal on I5, so that O5 (O6 at I5 low) is ``o5`` without that bit. ECP5:
        a LUT4 with signal k on input ``slots[k]`` (default A, B, C, D in order)."""
        signals = [sig for b in bits for sig in b.signals]
        ecp5 = self.family is Technology.LATTICE_ECP5
        if len(signals) == 6 and not ecp5:
            killer = bits[-1].signals[bits[-1].kill]
            signals.remove(killer)
            signals.append(killer)
        size = 4 if ecp5 else (6 if len(signals) == 6 else 5)
        slots = list(slots) if slots is not None else list(range(len(signals)))
        assert len(signals) <= size and len(slots) == len(signals), (signals, slots)

        def values(assignment: Sequence[int]) -> list[int]:
            env = {sig: assignment[slot] for sig, slot in zip(signals, slots, strict=True)}
            return [b.value([env[s] for s in b.signals]) for b in bits]

        name = f"lut{len(self.luts)}"
        inputs = [ZERO] * size
        for sig, slot in zip(signals, slots, strict=True):
            inputs[slot] = sig
        table = _assignments(size)

        def _table(assignments: list[list[int]], fn: Callable[[Sequence[int]], int]) -> int:
            return sum(fn(values(a)) << i for i, a in enumerate(assignments))

        if ecp5:
            lut = Lut(name, tuple(inputs), _table(table, o6), f"{name}_z")
        elif size == 6:
            init = _table(table, o6)
            if o5 is not None:  # O5 = O6 with I5 low must be the wanted function
                assert all((init >> i) & 1 == o5(values(a)) for i, a in enumerate(table[:32]))
            lut = Lut(name, tuple(inputs), init, f"{name}_o6", f"{name}_o5" if o5 else None)
        else:
            init = _table(table, o6) << 32 | (_table(table, o5) if o5 is not None else 0)
            lut = Lut(name, (*inputs, ONE), init, f"{name}_o6", f"{name}_o5" if o5 else None)
        self.luts.append(lut)
        return lut

    @property
    def standalone_luts(self) -> list[Lut]:
        """The LUTs that are cells of their own: on ECP5 a LUT driving a chain position is
        that CCU2C half's own LUT4."""
        if self.family is not Technology.LATTICE_ECP5:
            return list(self.luts)
        in_chain = {ref for chain in self.chains for ref in chain.s}
        return [lut for lut in self.luts if lut.o6 not in in_chain]

    @property
    def carry_blocks(self) -> int:
        """Carry primitives (CARRY4, CARRY8 or CCU2C) of all chains."""
        size = self.family.carry_positions
        return sum(-(-len(chain.s) // size) for chain in self.chains)

    @property
    def register_bits(self) -> int:
        return sum(len(rank.inputs) for rank in self.ranks)

    def chain(self, ci: str, s: Sequence[str], di: Sequence[str], top_carry: bool) -> Chain:
        """Positions k of a chain are position k % size of its carry block k // size."""
        name, size, top = f"chain{len(self.chains)}", self.family.carry_positions, len(s) - 1
        chain = Chain(name, ci, tuple(s), tuple(di),
                      tuple(f"{name}_b{k // size}_o[{k % size}]" for k in range(len(s))),
                      f"{name}_b{top // size}_co[{top % size}]" if top_carry else None)
        self.chains.append(chain)
        return chain


def _assignments(inputs: int) -> list[list[int]]:
    """Every assignment of ``inputs`` LUT inputs in INIT order (I0 fastest)."""
    return [[(index >> k) & 1 for k in range(inputs)] for index in range(1 << inputs)]


def parity(bits: Sequence[int]) -> int:
    return sum(bits) & 1


Heap = dict[int, list[CountedBit]]  # column -> bits of weight 2**column


class _Compressor:
    """Builds the netlist stage by stage (see the module docstring for the shapes)."""

    def __init__(self, family: Technology):
        self.net = Netlist(family)
        self.ecp5 = family is Technology.LATTICE_ECP5
        self.depth = 0  # compressor stages built
        self.out_width = 0

    def _out(self, heap: Heap, column: int, ref: str) -> None:
        """A bit of weight 2**column into ``heap``; none of weight 2**out_width or more can be
        set (the count is below that), so those are left unread."""
        if column < self.out_width:
            heap.setdefault(column, []).append(wire(ref))

    # --- Xilinx -----------------------------------------------------------------------------

    def pairs(self, raws: list[CountedBit], heap: Heap) -> None:
        """A + B + c on one position each, c the previous pair's sum (cascades)."""
        ci = ZERO
        for k in range(0, len(raws) - 1, 2):
            a, b = raws[k], raws[k + 1]
            lut = self.net.lut([a, b], parity, lambda v: v[0])
            chain = self.net.chain(ci, [lut.o6], [lut.o5], top_carry=True)
            self._out(heap, 1, chain.co)
            last = (k // 2) % PAIR_CASCADE == PAIR_CASCADE - 1 or k + 3 >= len(raws)
            ci = ZERO if last else chain.o[0]
            if last:
                self._out(heap, 0, chain.o[0])
        if len(raws) % 2:
            lut = self.net.lut([raws[-1]], lambda v: v[0])
            self._out(heap, 0, lut.o6)

    def counter_chain(self, column: int, takes: list[list[CountedBit]], ci: CountedBit | None,
                      heap: Heap) -> None:
        """One chain: position k adds the wires ``takes[k]`` of column + k and ``v_in``, the
        second output of position k - 1, with ``ci`` on the chain's carry-in."""
        s, di, v_in = [], [], None
        for bits in takes:
            ops = bits + ([v_in] if v_in else [])
            n = len(ops) - 1  # O5 = sum(ops[:n]) >> 1, so that sum(ops[:n]) = parity + 2*O5
            lut = self.net.lut(ops, parity, (lambda v, n=n: sum(v[:n]) >> 1) if n >= 2 else None)
            s.append(lut.o6)
            di.append(ops[-1].signals[0])
            v_in = wire(lut.o5) if n >= 2 else None
        chain = self.net.chain(ci.signals[0] if ci else ZERO, s, di, top_carry=True)
        for k, ref in enumerate(chain.o):
            self._out(heap, column + k, ref)
        self._out(heap, column + len(takes), chain.co)
        if v_in:
            self._out(heap, column + len(takes), v_in.signals[0])

    def xilinx_stage(self, heap: Heap) -> Heap:
        """Chains from every column of at least FULL_POSITION bits, each climbing through the
        columns above while they hold three more bits; once no column is that tall, chains
        from every column of two or more (the final adders)."""
        out: Heap = {}
        rest = {c: list(bits) for c, bits in heap.items()}
        final = all(len(b) < FULL_POSITION for b in rest.values())
        start, climb = (2, 1) if final else (FULL_POSITION, FULL_POSITION - 2)
        for column in range(max(rest) + 1):
            while len(rest.get(column, [])) >= start:
                here = rest[column]
                ci = here.pop()
                takes = [here[-(FULL_POSITION - 1):]]
                del here[-(FULL_POSITION - 1):]
                k = column + 1
                while len(takes) < MAX_CHAIN and len(rest.get(k, [])) >= climb:
                    takes.append(rest[k][-(FULL_POSITION - 2):])
                    del rest[k][-(FULL_POSITION - 2):]
                    k += 1
                self.counter_chain(column, takes, ci, out)
        for column, bits in rest.items():
            out.setdefault(column, []).extend(bits)
        return {c: b for c, b in out.items() if b}

    # --- Lattice ECP5 -----------------------------------------------------------------------

    def full_adder(self, column: int, bits: list[CountedBit], heap: Heap) -> None:
        """Three bits -> sum and carry, one LUT4 each."""
        self._out(heap, column, self.net.lut(bits, parity).o6)
        self._out(heap, column + 1, self.net.lut(bits, lambda v: int(sum(v) >= 2)).o6)

    def ripple(self, column: int, rows: list[list[CountedBit]], heap: Heap) -> None:
        """x + y per position on CCU2C halves (x on input A so that DI = the table at
        C = D = 0 is x), and one more half reading the top carry out."""
        s = []
        for bits in rows:  # wires only: x on A, y on C
            s.append(self.net.lut(bits, parity, slots=[0, 2][:len(bits)]).o6)
        s.append(ZERO)
        chain = self.net.chain(ZERO, s, [ZERO] * len(s), top_carry=False)
        for k, ref in enumerate(chain.o):
            self._out(heap, column + k, ref)

    def ecp5_stage(self, heap: Heap) -> Heap:
        out: Heap = {}
        rest = {c: list(bits) for c, bits in heap.items()}
        final = all(len(b) <= 2 for b in rest.values())
        for column in range(max(rest) + 1):
            while True:
                here = rest.get(column, [])
                run = 0
                while len(rest.get(column + run, [])) >= 2 and run < MAX_CHAIN:
                    run += 1
                if run >= 3 or (final and run):
                    rows = []
                    for k in range(run):
                        bits = rest[column + k]
                        rows.append(bits[-2:])
                        del bits[-2:]
                    self.ripple(column, rows, out)
                elif len(here) >= 3:
                    self.full_adder(column, here[-3:], out)
                    del here[-3:]
                else:
                    break
        for column, bits in rest.items():
            out.setdefault(column, []).extend(bits)
        return {c: b for c, b in out.items() if b}

    def register(self, heap: Heap) -> Heap:
        """The heap through one rank of registers."""
        refs = [(c, bit.signals[0]) for c in sorted(heap) for bit in heap[c]]
        rank = Rank(f"rank{len(self.net.ranks)}", tuple(ref for _, ref in refs))
        self.net.ranks.append(rank)
        out: Heap = {}
        for j, (c, _) in enumerate(refs):
            out.setdefault(c, []).append(wire(f"{rank.name}[{j}]"))
        return out

    def compress(self, bits: list[CountedBit], out_width: int,
                 ranks_after: Sequence[int] = ()) -> list[str]:
        """The count of ``bits`` as ``out_width`` refs (bit 0 first), with a register rank
        after compressor stage k for each k in ``ranks_after`` (0: on the inputs, which must
        then be wires)."""
        heap: Heap = {}
        self.out_width = out_width
        multi = [b for b in bits if len(b.signals) > 1]
        wires = [b for b in bits if len(b.signals) == 1]
        if self.ecp5:  # an XNOR bit is three signals: its own LUT4 first
            wires += [wire(self.net.lut([b], parity).o6) for b in multi]
        else:
            self.pairs(multi, heap)
        if wires:
            heap.setdefault(0, []).extend(wires)
        stage = self.ecp5_stage if self.ecp5 else self.xilinx_stage
        self.depth = 1 if multi else 0
        while True:
            for _ in range(list(ranks_after).count(self.depth)):
                heap = self.register(heap)
            if all(len(b) <= 1 for b in heap.values()):
                break
            heap = stage(heap)
            self.depth += 1
        return [heap[c][0].signals[0] if c in heap else ZERO for c in range(out_width)]


@dataclass(frozen=True)
class MappedPopcount:
    """A popcount of ``width`` bits on ``technology``'s primitives, with ``stages`` register
    ranks (ports clk, en) spread over its compressor stages (combinational when 0).

    ``xnor``: the XNOR lane (ports act, weights, valid, count; counts valid & ~(act ^ weights)),
    else a plain popcount (ports bits, count) as bnn_hls.backends.rtl.popcount's with
    stages = 0. ``weights`` (hard-wired lane, ports if_one, if_zero, count): the weight bits are
    constants, so bit i is ``if_one[i]`` where the weight is 1 and ``if_zero[i]`` where it is 0:
    ``valid & act`` and ``valid & ~act``, made once for all of an MVU's lanes -- and the
    XNOR costs nothing in the lane.
    """

    width: int
    technology: Technology
    xnor: bool = False
    weights: tuple[int, ...] | None = None
    stages: int = 0

    def __post_init__(self):
        if self.width < 1 or self.technology is Technology.GENERIC:
            raise ValueError(f"a mapped popcount needs width >= 1 and a technology: {self}")
        if self.weights is not None and (len(self.weights) != self.width or self.xnor):
            raise ValueError(f"hard-wired weights need one bit per input and no xnor: {self}")

    @property
    def out_width(self) -> int:
        return max(1, clog2(self.width + 1))

    def counted_bits(self) -> list[CountedBit]:
        if self.xnor:
            return [xnor_bit(i) for i in range(self.width)]
        if self.weights is not None:
            return [wire(f"if_one[{i}]" if w else f"if_zero[{i}]")
                    for i, w in enumerate(self.weights)]
        return [wire(f"bits[{i}]") for i in range(self.width)]

    def netlist(self) -> tuple[Netlist, list[str], int]:
        """LUTs, chains and register ranks, the count's refs, and the number of compressor
        stages."""
        ranks_after: list[int] = []
        if self.stages:  # the stages are known once built without registers
            plain = _Compressor(self.technology)
            plain.compress(self.counted_bits(), self.out_width)
            ranks_after = self.ranks_after(plain.depth)
        compressor = _Compressor(self.technology)
        result = compressor.compress(self.counted_bits(), self.out_width, ranks_after)
        return compressor.net, result, compressor.depth

    def ranks_after(self, depth: int) -> list[int]:
        """The stages each register rank follows: evenly spaced, after the last stage when
        there are more ranks than stages, never on the inputs unless there is no stage."""
        return [min(depth, max(1 if depth else 0, -(-(j + 1) * depth // (self.stages + 1))))
                for j in range(self.stages)]


def weights_hard_wired(stage: XnorMvuStage, technology: Technology) -> bool:
    """Whether an XNOR MVU's weights fold into its lanes: a fully unrolled layer (one weight
    row per PE) on a family's mapped lanes."""
    return (technology is not Technology.GENERIC
            and stage.synapse_folds == 1 and stage.neuron_folds == 1)
