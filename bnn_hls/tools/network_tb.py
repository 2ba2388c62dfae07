"""cocotb testbench for a generated network top: images in, integer logits out, and every
internal layer stream recorded so ``bnn_hls.tools.simulate`` can check all of them bit for bit
against the golden model and name the first diverging layer, channel and pixel.

The plan (``NETWORK_PLAN``, JSON) gives the input beats in frame groups (a reset precedes
each group), how many output beats to wait for, stall probabilities and a cycle budget; the
recorded beats go to ``NETWORK_RESULTS``.
"""

from __future__ import annotations

import json
import os
import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, ReadOnly, RisingEdge


class _Monitor:
    """Handshaken beats of one stream: sampled settled, just before the rising edge."""

    def __init__(self, handle, prefix: str):
        self.tdata = getattr(handle, f"{prefix}_tdata")
        self.tvalid = getattr(handle, f"{prefix}_tvalid")
        self.tready = getattr(handle, f"{prefix}_tready")
        self.beats: list[str] = []
        self.cycles: list[int] = []

    def sample(self, cycle: int) -> bool:
        if self.tvalid.value and self.tready.value:
            self.beats.append(f"{int(self.tdata.value):x}")
            self.cycles.append(cycle)
            return True
        return False


async def _reset(dut) -> None:
    await FallingEdge(dut.clk)
    dut.rst.value = 1
    dut.s_axis_tvalid.value = 0
    dut.m_axis_tready.value = 0
    for _ in range(3):
        await FallingEdge(dut.clk)
    dut.rst.value = 0


@cocotb.test()
async def network_streams_images(dut):
    with open(os.environ["NETWORK_PLAN"]) as f:
        plan = json.load(f)
    rng = random.Random(plan["seed"])
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    source = _Monitor(dut, "s_axis")
    sink = _Monitor(dut, "m_axis")
    probes = {p["layer"]: _Monitor(getattr(dut, p["instance"]), p["port"])
              for p in plan["probes"]}
    cycle = 0
    for group in plan["frame_groups"]:
        await _reset(dut)
        beats = group["beats"]
        sent = 0
        wanted = len(sink.beats) + group["output_beats"]
        deadline = cycle + plan["max_cycles"]
        while len(sink.beats) < wanted and cycle < deadline:
            await FallingEdge(dut.clk)
            if sent < len(beats) and rng.random() >= plan["stall_in"]:
                data, last = beats[sent]
                dut.s_axis_tdata.value = int(data, 16)
                dut.s_axis_tlast.value = last
                dut.s_axis_tvalid.value = 1
            else:
                dut.s_axis_tvalid.value = 0
            dut.m_axis_tready.value = int(rng.random() >= plan["stall_out"])
            await ReadOnly()
            cycle += 1
            sent += source.sample(cycle)
            sink.sample(cycle)
            for monitor in probes.values():
                monitor.sample(cycle)
            await RisingEdge(dut.clk)
        await FallingEdge(dut.clk)
        dut.s_axis_tvalid.value = 0

    with open(os.environ["NETWORK_RESULTS"], "w") as f:
        json.dump({"output": sink.beats, "output_cycles": sink.cycles,
                   "input_cycles": source.cycles,
                   "probes": {layer: m.beats for layer, m in probes.items()}}, f)
    assert len(sink.beats) == sum(g["output_beats"] for g in plan["frame_groups"]), (
        f"only {len(sink.beats)} output beats arrived within the cycle budget (deadlock?)")
