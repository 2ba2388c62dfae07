"""cocotb testbench for a generated network top: images in, integer logits out, and every
internal layer stream recorded so ``bnn_hls.tools.simulate`` can check all of them bit for bit
against the golden model and name the first diverging layer, channel and pixel.

The plan (``NETWORK_PLAN``, JSON) gives the input beats in frame groups (a reset precedes
each group), how many output beats to wait for, stall probabilities, how to drive the input,
a cycle budget, the watchdog's quiet window, optionally an abandoned frame (beats sent and
left in flight for some cycles before a reset, whose recorded beats are dropped) and optionally
a progress file, rewritten with the simulated cycle count every ``PROGRESS_CYCLES`` cycles.
A design with a weight port gets the plan's weight beats on ``s_axis_weights`` after every
reset, with the same random gaps, while the images already wait on ``s_axis``.
The recorded beats, the cycles simulated and a deadlock if the watchdog fired go to
``NETWORK_RESULTS``.
"""

from __future__ import annotations

import json
import os
import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, ReadOnly, RisingEdge

PROGRESS_CYCLES = 4096


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

    def clear(self) -> None:
        self.beats.clear()
        self.cycles.clear()


class _Source:
    """Drives ``<prefix>_t*`` with random gaps. Compliant (AXI4-Stream): a raised beat keeps
    tvalid high and tdata/tlast stable until accepted. Otherwise tvalid may also drop before
    its beat is accepted, which the design must tolerate too."""

    def __init__(self, dut, prefix: str, beats: list, stall: float, compliant: bool,
                 rng: random.Random):
        self.tdata = getattr(dut, f"{prefix}_tdata")
        self.tlast = getattr(dut, f"{prefix}_tlast")
        self.tvalid = getattr(dut, f"{prefix}_tvalid")
        self.beats, self.stall, self.compliant, self.rng = beats, stall, compliant, rng
        self.sent = 0
        self.holding = False  # a compliant beat is offered and not yet accepted

    def drive(self) -> None:
        if self.holding:
            return
        if self.sent < len(self.beats) and self.rng.random() >= self.stall:
            data, last = self.beats[self.sent]
            self.tdata.value = int(data, 16)
            self.tlast.value = last
            self.tvalid.value = 1
            self.holding = self.compliant
        else:
            self.tvalid.value = 0

    def accepted(self) -> None:
        self.sent += 1
        self.holding = False


async def _reset(dut, weight_port: bool) -> None:
    await FallingEdge(dut.clk)
    dut.rst.value = 1
    dut.s_axis_tvalid.value = 0
    if weight_port:
        dut.s_axis_weights_tvalid.value = 0
    dut.m_axis_tready.value = 0
    for _ in range(3):
        await FallingEdge(dut.clk)
    dut.rst.value = 0


class _Bench:
    def __init__(self, dut, plan: dict):
        self.dut, self.plan = dut, plan
        self.rng = random.Random(plan["seed"])
        self.weights = plan.get("weights")  # the weight port's beats, if it has one
        self.source = _Monitor(dut, "s_axis")
        self.sink = _Monitor(dut, "m_axis")
        self.weight_sink = _Monitor(dut, "s_axis_weights") if self.weights else None
        self.probes = {p["layer"]: _Monitor(getattr(dut, p["instance"]), p["port"])
                       for p in plan["probes"]}
        self.monitors = [self.source, self.sink, *self.probes.values()]
        self.cycle = 0
        self.last_handshake = 0
        self.progress_file = plan.get("progress_file")

    def report_progress(self) -> None:
        partial = f"{self.progress_file}.part"  # replaced whole: a reader never sees half
        with open(partial, "w") as f:
            f.write(str(self.cycle))
        os.replace(partial, self.progress_file)

    async def stream(self, beats: list, cycles: int, wanted_outputs: int | None = None) -> None:
        """Drive ``beats`` with random stalls on both sides for ``cycles``, or until
        ``wanted_outputs`` output beats have arrived in all or the watchdog fires. The weights
        go first, on their own port."""
        compliant = self.plan["drive"] == "compliant"
        source = _Source(self.dut, "s_axis", beats, self.plan["stall_in"], compliant, self.rng)
        loads = ([(_Source(self.dut, "s_axis_weights", self.weights, self.plan["stall_in"],
                           compliant, self.rng), self.weight_sink)] if self.weights else [])
        deadline = self.cycle + cycles
        while self.cycle < deadline and not (
                wanted_outputs is not None
                and (len(self.sink.beats) >= wanted_outputs or self.quiet())):
            await FallingEdge(self.dut.clk)
            source.drive()
            for load, _ in loads:
                load.drive()
            self.dut.m_axis_tready.value = int(self.rng.random() >= self.plan["stall_out"])
            await ReadOnly()
            self.cycle += 1
            moved = [monitor.sample(self.cycle) for monitor in self.monitors]
            if moved[0]:
                source.accepted()
            for load, monitor in loads:
                if monitor.sample(self.cycle):
                    load.accepted()
                    moved.append(True)
            if any(moved):
                self.last_handshake = self.cycle
            if self.progress_file and self.cycle % PROGRESS_CYCLES == 0:
                self.report_progress()
            await RisingEdge(self.dut.clk)
        await FallingEdge(self.dut.clk)
        self.dut.s_axis_tvalid.value = 0
        if self.weights:
            self.dut.s_axis_weights_tvalid.value = 0

    def quiet(self) -> bool:
        """The watchdog: no stream has handshaken for the plan's quiet window."""
        return self.cycle - self.last_handshake >= self.plan["quiet_cycles"]


@cocotb.test()
async def network_streams_images(dut):
    with open(os.environ["NETWORK_PLAN"]) as f:
        plan = json.load(f)
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    bench = _Bench(dut, plan)
    abandoned = plan.get("abandoned_frame")
    reached_before_reset = []
    if abandoned:
        await _reset(dut, bool(bench.weights))
        await bench.stream(abandoned["beats"], abandoned["cycles"])
        reached_before_reset = [layer for layer, m in bench.probes.items() if m.beats]
        for monitor in bench.monitors:
            monitor.clear()  # only what follows the last reset is checked
    deadlock = None
    wanted = 0
    for group in plan["frame_groups"]:
        await _reset(dut, bool(bench.weights))
        bench.last_handshake = bench.cycle
        wanted += group["output_beats"]
        await bench.stream(group["beats"], plan["max_cycles"], wanted)
        if len(bench.sink.beats) < wanted and bench.quiet():
            deadlock = {"cycle": bench.cycle, "last_handshake": bench.last_handshake}
            break

    with open(os.environ["NETWORK_RESULTS"], "w") as f:
        json.dump({"output": bench.sink.beats, "output_cycles": bench.sink.cycles,
                   "input_cycles": bench.source.cycles,
                   "probes": {layer: m.beats for layer, m in bench.probes.items()},
                   "probe_last_cycles": {layer: m.cycles[-1] if m.cycles else None
                                         for layer, m in bench.probes.items()},
                   "reached_before_reset": reached_before_reset,
                   "cycles": bench.cycle, "deadlock": deadlock}, f)
    assert deadlock or len(bench.sink.beats) == wanted, (
        f"only {len(bench.sink.beats)} of {wanted} output beats arrived within the cycle "
        f"budget while streams kept moving")
