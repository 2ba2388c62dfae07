"""cocotb testbench: the Vivado wrapper of a generated network driven the way the AXI DMA
drives it. The input buffer goes in as one MM2S transfer (cocotbext-axi AxiStreamSource: one
frame, TLAST on its last beat only); the S2MM side (AxiStreamSink) receives one frame per
image, ended by the accelerator's TLAST. A design with a weight port first gets its weights
(weights.bin) as one transfer of a second DMA, as the driver sends them. The plan
(``DMA_PLAN``, JSON) gives the buffers, the image count, stall probabilities and a cycle
budget; the received frames go to ``DMA_RESULTS`` for the test to unpack and compare with the
golden model."""

from __future__ import annotations

import itertools
import json
import os
import random
from pathlib import Path

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, with_timeout
from cocotbext.axi import AxiStreamBus, AxiStreamFrame, AxiStreamSink, AxiStreamSource

CLOCK_NS = 10


def _pauses(rng: random.Random, stall: float):
    return (rng.random() < stall for _ in itertools.count())


@cocotb.test()
async def dma_round_trip(dut):
    plan = json.loads(Path(os.environ["DMA_PLAN"]).read_text())
    rng = random.Random(plan["seed"])
    cocotb.start_soon(Clock(dut.ap_clk, CLOCK_NS, unit="ns").start())
    source = AxiStreamSource(AxiStreamBus.from_prefix(dut, "s_axis"), dut.ap_clk,
                             dut.ap_rst_n, reset_active_level=False)
    sink = AxiStreamSink(AxiStreamBus.from_prefix(dut, "m_axis"), dut.ap_clk, dut.ap_rst_n,
                         reset_active_level=False)
    source.set_pause_generator(_pauses(rng, plan["stall_in"]))
    sink.set_pause_generator(_pauses(rng, plan["stall_out"]))
    dut.ap_rst_n.value = 0
    await ClockCycles(dut.ap_clk, 4)
    dut.ap_rst_n.value = 1
    await ClockCycles(dut.ap_clk, 2)

    if plan.get("weights"):
        weights = AxiStreamSource(AxiStreamBus.from_prefix(dut, "s_axis_weights"), dut.ap_clk,
                                  dut.ap_rst_n, reset_active_level=False)
        weights.set_pause_generator(_pauses(rng, plan["stall_in"]))
        await weights.send(AxiStreamFrame(bytes.fromhex(plan["weights"])))
    await source.send(AxiStreamFrame(bytes.fromhex(plan["input"])))
    frames = []
    for _ in range(plan["images"]):
        frame = await with_timeout(sink.recv(compact=False), plan["max_cycles"] * CLOCK_NS,
                                   "ns")
        frames.append({"tdata": bytes(frame.tdata).hex(), "tkeep": list(frame.tkeep)})
    await source.wait()
    await ClockCycles(dut.ap_clk, plan["settle_cycles"])  # nothing more may come out
    Path(os.environ["DMA_RESULTS"]).write_text(json.dumps(
        {"frames": frames, "extra_frames": sink.count()}))
