"""Technology-mapped popcount lanes (the netlist: bnn_hls.hw.popcount_mapped) rendered as
instances of the family's LUT and carry primitives: Xilinx LUT6_2 with CARRY4/CARRY8, ECP5
LUT4 with CCU2C."""

from __future__ import annotations

from dataclasses import dataclass

from bnn_hls.backends.rtl.tiles import render_tile
from bnn_hls.hw.popcount_mapped import ZERO, Chain, Lut, MappedPopcount, Netlist
from bnn_hls.hw.technology import Technology


def render_mapped_popcount(popcount: MappedPopcount, module: str) -> str:
    """The lane's module: its LUTs and carry blocks instantiated with their tables."""
    net, result, depth = popcount.netlist()
    template = {Technology.LATTICE_ECP5: "popcount_ecp5.sv.j2"}.get(
        popcount.technology, "popcount_xilinx.sv.j2")
    blocks = [b for chain in net.chains for b in _blocks(chain, net)]
    return render_tile(template, module=module, p=popcount, blocks=blocks, result=result,
                       depth=depth, ranks=net.ranks, luts=net.standalone_luts)


@dataclass(frozen=True)
class CarryBlock:
    """One carry primitive of a chain (CARRY4, CARRY8 or CCU2C): carry-in, S and DI per
    position (padding: constant 0), and on ECP5 the LUT4 of each half (``None``: S = 0)."""

    name: str
    ci: str
    chained: bool  # ci is the previous block's top carry (else the chain's own carry-in)
    s: tuple[str, ...]
    di: tuple[str, ...]
    halves: tuple[Lut | None, ...] = ()


def _blocks(chain: Chain, net: Netlist) -> list[CarryBlock]:
    size = net.family.carry_positions
    by_output = {lut.o6: lut for lut in net.luts}
    blocks = []
    for j, start in enumerate(range(0, len(chain.s), size)):
        pad = (ZERO,) * (size - len(chain.s[start:start + size]))
        ci = chain.ci if j == 0 else (f"{chain.name}_b{j - 1}_cout" if size == 2 else
                                      f"{chain.name}_b{j - 1}_co[{size - 1}]")
        s = chain.s[start:start + size] + pad
        di = chain.di[start:start + size] + pad
        blocks.append(CarryBlock(f"{chain.name}_b{j}", ci, j > 0, s, di,
                                 tuple(by_output.get(ref) for ref in s)))
    return blocks
