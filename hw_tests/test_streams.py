"""Width converters and stream forks (bnn_hls.backends.rtl.streams) against the re-folded /
copied input streams that tests/test_rtl_real_mvu_streams.py writes. Each output stream's
vectors carry ``max_cycles``: when its last beat must be out by at full rate."""

import json
import os
from pathlib import Path

import cocotb
from cocotb.triggers import FallingEdge
from stream_tests import random_stalls  # noqa: F401 (run by cocotb)

from bnn_hls.backends.rtl.axis_sim import VECTORS_ENV, check_vectors


async def _handshake_cycles(dut, port: str, beats: int) -> int:
    """Cycles from reset release until ``port`` has handed over ``beats`` beats."""
    tvalid, tready = getattr(dut, f"{port}_tvalid"), getattr(dut, f"{port}_tready")
    await FallingEdge(dut.rst)
    cycles = seen = 0
    while seen < beats:
        await FallingEdge(dut.clk)
        cycles += 1
        seen += int(tvalid.value) & int(tready.value)
    return cycles


async def check_at_full_rate(dut) -> None:
    """check_vectors without stalls, and every output's last beat within its max_cycles."""
    streams = json.loads(Path(os.environ[VECTORS_ENV]).read_text())["streams"]
    outputs = [s for s in streams if not s["input"]]
    tasks = [cocotb.start_soon(_handshake_cycles(dut, s["port"], len(s["beats"])))
             for s in outputs]
    await check_vectors(dut, stall=0.0)
    for s, task in zip(outputs, tasks, strict=True):
        cycles = await task
        dut._log.info("%s: last beat after %d cycles (bound %d)", s["port"], cycles,
                      s["max_cycles"])
        assert cycles <= s["max_cycles"], f"{s['port']}: {cycles} > {s['max_cycles']} cycles"


@cocotb.test()
async def full_rate(dut):
    await check_at_full_rate(dut)


@cocotb.test()
async def outputs_stall_independently(dut):
    # Fork outputs: one nearly always ready, one rarely, one in between.
    await check_vectors(dut, stall=0.2, seed=3,
                        stall_by_port={"m0_axis": 0.05, "m1_axis": 0.8, "m2_axis": 0.5})


@cocotb.test()
async def slow_consumer(dut):
    await check_vectors(dut, stall=0.1, seed=4, stall_by_port={"m_axis": 0.85})


@cocotb.test()
async def slow_producer(dut):
    await check_vectors(dut, stall=0.1, seed=5, stall_by_port={"s_axis": 0.85})
