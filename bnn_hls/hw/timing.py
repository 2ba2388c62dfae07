"""Pipeline depths of the RTL tiles for a target clock, in the plan so that the resource
estimates see the same registers the RTL backend renders.

A clock period, less a path's fixed cost, buys a number of operations (an adder, a compare
and select) between registers. The tiles whose depth grows with their parameters (popcount
adder trees, pool window trees) take as many register ranks as their logic needs at that
budget; the cycle model (backends/rtl/cycles.py) states the resulting latencies, so skip
FIFOs stay exact.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from bnn_hls.errors import BnnHlsError
from bnn_hls.hw.intervals import clog2
from bnn_hls.hw.popcount_tree import plan_tree

# ECP5 speed 6 under nextpnr (python -m bnn_hls.bench_timing); faster grades and Xilinx
# parts only gain slack.
NS_PER_PATH = 1.5  # clock-to-out, setup, clock skew
NS_PER_ADDER = 1.2  # a short carry-chain adder with its entry LUT and route
NS_PER_COMPARE = 2.0  # a compare (carry chain) and the select it drives
NS_PER_WIDE_ADDER = 2.5  # a sum of products (30-40 bits of carry chain) and its route

DEFAULT_CLOCK_MHZ = 200.0


@dataclass(frozen=True)
class RtlTiming:
    clock_mhz: float = DEFAULT_CLOCK_MHZ

    def __post_init__(self):
        if not 1 <= self.clock_mhz <= 1000:
            raise BnnHlsError(f"--clock-mhz {self.clock_mhz:g}: expected 1 to 1000 MHz")

    def ops_per_stage(self, ns_per_op: float) -> int:
        """Operations of ``ns_per_op`` one clock period holds between registers (at least
        one)."""
        return max(1, math.floor((1000 / self.clock_mhz - NS_PER_PATH) / ns_per_op))

    def popcount_stages(self, width: int) -> int:
        """Register ranks inside the popcount tree of ``width`` bits, whose count then feeds
        one more adder (the MVU's accumulator) before a register."""
        depth = plan_tree(width)[1].depth
        return math.ceil((depth + 1) / self.ops_per_stage(NS_PER_ADDER)) - 1

    def tree_stages(self, leaves: int, ns_per_op: float) -> int:
        """Register ranks of a pairwise tree over ``leaves`` values whose root then meets a
        running value (one more operation) before a register."""
        return math.ceil((clog2(leaves) + 1) / self.ops_per_stage(ns_per_op)) - 1

    def pool_tree_stages(self, kernel: int) -> int:
        """Ranks of the compare (or add) tree reducing a window column's ``kernel`` taps."""
        return self.tree_stages(kernel, NS_PER_COMPARE)

    def product_tree_stages(self, simd: int) -> int:
        """Ranks of the adder tree summing a real MVU step's ``simd`` products."""
        return self.tree_stages(simd, NS_PER_WIDE_ADDER)


DEFAULT_TIMING = RtlTiming()
