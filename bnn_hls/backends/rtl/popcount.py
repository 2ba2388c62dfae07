"""LUT-efficient popcount: a tree of small adders ``a + b + c``, one carry chain each.

Why this shape rather than a compressor tree of LUT counters (as mapped by Yosys
``synth_xilinx``; the arguments hold for any LUT6 + carry-chain FPGA):

* An adder ``a + b + c`` with a single-bit ``c`` is one carry chain: ``c`` enters on the
  chain's carry-in for free and each chain position costs one 2-input propagate LUT.
* A counted bit that is itself a small function (XNOR + valid mask: 3 inputs) is one LUT3,
  which packs with a 2-input propagate LUT into one dual-output LUT6_2. So when every input
  bit meets a carry-chain position, the whole count costs about one LUT per input bit.
* Yosys maps adders of at most 2 result bits to LUT logic, not carry chains, so the tree
  starts from a few 2-bit seeds (``b0 + b1``, a half adder), each of which then absorbs two
  more bits per level (``seed + b + c``) before the seeds' sums merge pairwise, each merge
  taking one more input bit on its carry-in. Longer absorb chains mean fewer seeds (the
  seeds are the expensive part) but a deeper tree; ``ABSORB_STEPS`` balances the two.

Every adder output carries ``(* keep = "true" *)`` in the Verilog: without it Yosys fuses the tree
back into one multi-operand sum, maps that onto LUT-only full adders and needs about twice
the LUTs. Optional pipeline registers split the tree by adder depth.
"""

from __future__ import annotations

from dataclasses import dataclass

from bnn_hls.backends.rtl.tiles import render_tile, with_helpers
from bnn_hls.hw.intervals import clog2
from bnn_hls.hw.popcount_tree import ABSORB_STEPS, PipelinedTree, pipeline, plan_tree


@dataclass(frozen=True)
class PopcountParams:
    """Popcount of ``width`` bits into ``clog2(width + 1)`` bits, ``stages`` cycles latency.

    With stages = 0 the module is combinational (ports ``bits``, ``count``); otherwise it
    has ``clk`` and ``en``, and ``count`` is the popcount of the ``bits`` presented
    ``stages`` enabled cycles earlier (registers hold while ``en`` is low).
    """

    width: int
    stages: int = 0
    absorb_steps: int = ABSORB_STEPS

    def __post_init__(self):
        if self.width < 1 or self.stages < 0 or self.absorb_steps < 0:
            raise ValueError(f"popcount needs width >= 1, stages >= 0, absorb_steps >= 0: "
                             f"{self}")

    @property
    def out_width(self) -> int:
        return max(1, clog2(self.width + 1))

    def tree(self) -> PipelinedTree:
        return pipeline(*plan_tree(self.width, self.absorb_steps), self.stages)

    def render(self, module: str) -> str:
        tree = self.tree()
        return render_tile("popcount.sv.j2", module=module, p=self, tree=tree,
                           depth=max((a.out.depth for a in tree.adders), default=0))

    def render_xnor(self, module: str, popcount_module: str) -> str:
        """An XNOR-popcount lane (ports act, weights, valid, count) using ``popcount_module``,
        this popcount rendered by the caller (an MVU shares one among its lanes)."""
        return render_tile("popcount_xnor.sv.j2", module=module, p=self,
                           popcount_module=popcount_module)

    def render_xnor_lane(self, module: str) -> str:
        """A self-contained XNOR-popcount lane: the lane plus its popcount helper module."""
        helper = f"{module}_popcount"
        return with_helpers(self.render_xnor(module, helper), self.render(helper))
