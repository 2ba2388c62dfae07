"""Resource estimates of a whole plan: every stage's tile (hw/estimates.py), the stream FIFOs
of its buffered channels, the register slices of its sliced ones and, when weights are loaded
at start-up, the weight port's loader.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from bnn_hls.hw.estimates import (
    fabric,
    needs_loading,
    stage_memories,
    stage_resources,
    total,
)
from bnn_hls.hw.plan import DataflowPlan
from bnn_hls.hw.stages import FifoStage, RegisterSliceStage, Stage
from bnn_hls.hw.technology import Resources, Technology
from bnn_hls.hw.timing import DEFAULT_TIMING, RtlTiming
from bnn_hls.hw.weight_load import LOADER_INSTANCE, WeightLoad, WeightStore, loader_resources


@dataclass(frozen=True)
class StageEstimate:
    name: str
    layer: str
    resources: Resources
    load_bits: int  # weight bits in UltraRAM, loaded at start-up


def _channel_stages(plan: DataflowPlan) -> list[tuple[str, str, Stage]]:
    """The stream FIFOs of the plan's buffered channels (skip FIFOs) and the register slices
    of its sliced ones, named as the RTL names them."""
    stages: list[tuple[str, str, Stage]] = []
    for c in plan.channels:
        between, layer = f"{c.sink.stage}_{c.sink.port}", plan.stages[c.sink.stage].layer
        if c.depth:
            stages.append((f"{between}_fifo", layer, FifoStage(c.layout, c.depth)))
        elif c.register_slice:
            stages.append((f"{between}_slice", layer, RegisterSliceStage(c.layout)))
    return stages


def estimate_plan(plan: DataflowPlan, technology: Technology,
                  timing: RtlTiming = DEFAULT_TIMING,
                  load_weights: bool = False) -> list[StageEstimate]:
    """Every stage of ``plan``, every FIFO and register slice of its channels, pipelined for
    ``timing``'s clock, and the loader of the weights placed in UltraRAM (or, with
    ``load_weights``, of every weight memory, which is then a RAM the loader fills)."""
    fab = fabric(technology)
    load = WeightLoad.for_plan(plan, technology, everything=load_weights)

    def as_built(name: str, stage: Stage) -> Stage:
        loaded = load.store(name) is WeightStore.LOADED
        return replace(stage, weights_loaded=True) if loaded else stage

    placed = ([(p.name, p.layer, as_built(p.name, p.stage)) for p in plan.stages.values()]
              + _channel_stages(plan))
    estimates = [StageEstimate(name, layer, stage_resources(stage, fab, timing),
                               sum(m.bits for m in stage_memories(stage)
                                   if needs_loading(m, fab)))
                 for name, layer, stage in placed]
    if load:
        estimates.append(StageEstimate(LOADER_INSTANCE, LOADER_INSTANCE,
                                       loader_resources(load, technology), 0))
    return estimates


def plan_total(estimates: list[StageEstimate]) -> Resources:
    return total(*(e.resources for e in estimates))
