"""The skip FIFO of an identity shortcut: the exact depth that no backpressure can deadlock.

An identity block forks its residual stream: one copy is binarised, windowed and reduced
(the branch), the other waits for it at the adder (the skip). The adder consumes skip pixel
j only with branch output j, and the branch's window generator can emit output j only once
it has input pixel ``last_needed_pixel(j)``; the fork hands a pixel to the branch only as
the skip side takes it too. So while the adder waits for output j, the skip side must hold
pixels j .. last_needed_pixel(j): with a FIFO of fewer pixels than the largest such span the
fork blocks before the branch gets what it needs, and the design deadlocks; with that many
it cannot (the branch's own buffers always take what its window needs, and nothing else on
the skip path stores a pixel).

On top of that geometric need, the FIFO holds the pixels that arrive while the branch's
pipeline is busy with output j (its latency over the network's pixel period), plus one for
the fold granularity, so the fork never stalls at full rate: that slack comes from the
backend's stated stage latencies.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from bnn_hls.compiler import ir
from bnn_hls.hw.folding import mvu_shapes
from bnn_hls.hw.layout import StreamLayout
from bnn_hls.hw.stages import WindowShape

if TYPE_CHECKING:
    from bnn_hls.hw.plan import CycleModel, DataflowPlan


def identity_branch(graph: ir.Graph, add: ir.Add) -> ir.BinaryConv | None:
    """The binary conv of ``add``'s branch when its skip input is the block's own input."""
    skip = add.inputs[1]
    for node in graph.consumers(skip):
        if isinstance(node, ir.Sign):
            (conv,) = graph.consumers(node.output)
            return conv
    return None


def window_span_pixels(window: WindowShape) -> int:
    """max over output pixels j of last_needed_pixel(j) - j + 1, for a window whose output
    pixels line up with its input pixels (stride 1, same size)."""
    return max(window.last_needed_pixel(oh, ow) - (oh * window.width + ow) + 1
               for oh in range(window.out_height) for ow in range(window.out_width))


def geometric_need_pixels(graph: ir.Graph, add: ir.Add) -> int:
    conv = identity_branch(graph, add)
    _, height, width = graph.tensors[conv.inputs[0]].shape
    return window_span_pixels(WindowShape(height, width, conv.kernel, conv.stride, conv.pad))


def branch_latency(plan: DataflowPlan, adder: str, model: CycleModel) -> int:
    """The backend's latency along the branch: from the fork to the adder's conv input."""
    latency, stage = 0, adder
    port = "conv"
    while True:
        channel = next(c for c in plan.channels if c.sink.stage == stage and c.sink.port == port)
        stage = channel.source.stage
        placed = plan.stages[stage].stage
        if not placed.inputs or len(placed.outputs) > 1:  # the fork (or the input)
            return latency
        latency += model.latency(placed)
        port = placed.inputs[0].name


def skip_fifo_depth(graph: ir.Graph, add: ir.Add, plan: DataflowPlan, model: CycleModel,
                    adder: str, layout: StreamLayout) -> int:
    """Beats of FIFO on the skip channel of ``add`` (an identity shortcut), whose adder
    stage is ``adder`` in ``plan``."""
    _, height, width = graph.tensors[add.output].shape
    network_cycles = max(s.cycles(plan.folding[s.name], model) for s in mvu_shapes(graph))
    pixel_period = network_cycles / (height * width)
    slack = math.ceil(branch_latency(plan, adder, model) / pixel_period) + 1
    return max(2, (geometric_need_pixels(graph, add) + slack) * layout.beats_per_pixel)
