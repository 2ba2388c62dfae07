"""Cost report: operations and parameter memory per layer, the paper's way and as deployed.

The paper (Liu et al. 2018, following XNOR-Net) counts FLOPs as binary operations / 64 plus
real FLOPs (one multiply-accumulate = one FLOP), and memory as 1 bit per binary weight plus
32 bits per real-valued parameter.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bnn_hls.compiler import ir
from bnn_hls.compiler.formats import bits_for_range


@dataclass(frozen=True)
class LayerCost:
    name: str
    kind: str
    binary_macs: int
    real_macs: int
    binary_params: int
    real_params: int
    deployed_bits: int  # at the chosen widths: weights, multipliers, biases, offsets

    @property
    def paper_flops(self) -> float:
        return self.binary_macs / 64 + self.real_macs

    @property
    def paper_bits(self) -> int:
        return self.binary_params + 32 * self.real_params


def layer_costs(graph: ir.Graph, real_weight_bits: int, multiplier_bits: int) -> list[LayerCost]:
    costs = []
    for node in graph.nodes:
        out = graph.tensors[node.output]
        pixels = int(np.prod(out.shape[1:])) if len(out.shape) == 3 else 1
        if isinstance(node, ir.BinaryConv):
            weights = int(node.weight_bits.size)
            costs.append(LayerCost(node.name, "binary conv", weights * pixels, 0, weights, 0,
                                   weights))
        elif isinstance(node, ir.Conv | ir.Linear):
            weights = int(node.weight.size)
            costs.append(LayerCost(node.name, type(node).__name__.lower(), 0, weights * pixels,
                                   0, weights, weights * real_weight_bits))
        elif isinstance(node, ir.Affine):
            channels = out.channels
            bias_bits = _bits(node.bias)
            # BN (and the FC bias) are real parameters in the paper's count: 2 per channel
            # for BN (gamma, beta) or 1 for a plain bias; deployed as a multiplier and a bias.
            real_params = channels if node.name.endswith(".bias") else 2 * channels
            costs.append(LayerCost(node.name, "affine", 0, channels * pixels, 0, real_params,
                                   channels * (multiplier_bits + bias_bits)))
        elif isinstance(node, ir.InputQuant):
            costs.append(LayerCost(node.name, "input", 0, 0, 0, 0,
                                   len(node.offset) * _bits(node.offset)))
        elif not isinstance(node, _UNCOUNTED):
            raise ir.unsupported(node, "the cost report")
    return costs


# No parameters, and no multiply-accumulates in the paper's count.
_UNCOUNTED = (ir.MaxPool, ir.Sign, ir.AvgPool2Sum, ir.Add, ir.GlobalSum)


def _bits(values: np.ndarray) -> int:
    return bits_for_range(int(values.min(initial=0)), int(values.max(initial=0)))


def format_report(graph: ir.Graph, costs: list[LayerCost]) -> str:
    header = (f"{'layer':<28} {'kind':<12} {'binary MACs':>14} {'real MACs':>12} "
              f"{'FLOPs (paper)':>14} {'mem paper (bit)':>16} {'mem deployed (bit)':>19}")
    lines = [f"Cost report for {graph.name}", header, "-" * len(header)]
    for c in costs:
        lines.append(f"{c.name:<28} {c.kind:<12} {c.binary_macs:>14,} {c.real_macs:>12,} "
                     f"{c.paper_flops:>14,.0f} {c.paper_bits:>16,} {c.deployed_bits:>19,}")
    total_binary = sum(c.binary_macs for c in costs)
    total_real = sum(c.real_macs for c in costs)
    total_flops = sum(c.paper_flops for c in costs)
    total_paper = sum(c.paper_bits for c in costs)
    total_deployed = sum(c.deployed_bits for c in costs)
    lines.append("-" * len(header))
    lines.append(f"{'total':<28} {'':<12} {total_binary:>14,} {total_real:>12,} "
                 f"{total_flops:>14,.0f} {total_paper:>16,} {total_deployed:>19,}")
    lines.append(f"FLOPs (paper's count) {total_flops:.3e}; memory {total_paper / 1e6:.2f} Mbit "
                 f"(paper's count), {total_deployed / 1e6:.2f} Mbit deployed")
    return "\n".join(lines)
