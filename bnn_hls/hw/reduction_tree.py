"""Pairwise reduction trees with register ranks (pool window columns, real-MVU product sums).

A tile reduces ``leaves`` values through ``clog2(leaves)`` levels of a two-input operation
(compare and select, add), then folds the root into a running value before a register; the
ranks a target clock asks for (bnn_hls.hw.timing) are spread evenly over those
levels and that fold. The RTL renders the trees; the estimates count their registers.
"""

from __future__ import annotations

from dataclasses import dataclass

from bnn_hls.hw.intervals import clog2


@dataclass(frozen=True)
class TreeNode:
    """``name`` = op(a, b), or a alone when the level has an odd value out (b is None)."""

    name: str
    a: str
    b: str | None


@dataclass(frozen=True)
class ReductionTree:
    """The pairwise tree reducing ``leaves`` values, with register ranks after the levels in
    ``registered`` (1-based)."""

    leaves: int
    stages: int

    def __post_init__(self):
        if not 0 <= self.stages <= clog2(self.leaves):
            raise ValueError(f"a {self.leaves}-leaf tree has at most {clog2(self.leaves)} "
                             f"register ranks, not {self.stages}")

    @staticmethod
    def leaf(index: int) -> str:
        return f"leaf{index}"

    @property
    def levels(self) -> tuple[tuple[TreeNode, ...], ...]:
        values = [self.leaf(i) for i in range(self.leaves)]
        levels = []
        for depth in range(1, clog2(self.leaves) + 1):
            pairs = [values[i:i + 2] for i in range(0, len(values), 2)]
            level = tuple(TreeNode(f"level{depth}_{i}", pair[0], pair[1] if len(pair) > 1
                                   else None) for i, pair in enumerate(pairs))
            levels.append(level)
            values = [n.name for n in level]
        return tuple(levels)

    @property
    def root(self) -> str:
        return self.levels[-1][0].name if self.leaves > 1 else self.leaf(0)

    @property
    def registered(self) -> tuple[int, ...]:
        span, cuts = clog2(self.leaves) + 1, self.stages + 1
        return tuple(d for d in range(1, span) if d * cuts // span > (d - 1) * cuts // span)
