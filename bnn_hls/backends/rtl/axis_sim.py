"""Simulation support for the streaming tiles: a harness instantiating several tiles side by
side (one Verilator build for many parameterisations), the JSON vector file the pytest side
writes, and the cocotb coroutines that drive and check every stream of the harness.

Vectors file: ``{"streams": [{"port": "u0_s_axis", "input": true, "last": true,
"beats": [["<tdata hex>", <tlast 0/1>], ...]}, ...]}``; output streams list expected beats.
"""

from __future__ import annotations

import json
import os
import random
from dataclasses import dataclass
from pathlib import Path

from bnn_hls.backends.rtl.tiles import StreamPort, Tile

HARNESS_TOP = "tile_harness"
VECTORS_ENV = "TILE_VECTORS"


@dataclass(frozen=True)
class Placed:
    """One tile instance in the harness; its ports appear as ``<instance>_<port>_*``."""

    tile: Tile
    instance: str

    @property
    def module(self) -> str:
        return self.tile.module_name(self.instance)

    def ports(self) -> list[tuple[str, StreamPort]]:
        return [(f"{self.instance}_{port.name}", port) for port in self.tile.ports()]


def harness_verilog(placed: list[Placed]) -> str:
    """A top module exposing every stream port of every placed tile, sharing clk and rst."""
    decls, bodies = ["    input  logic clk", "    input  logic rst"], []
    for item in placed:
        conns = [".clk(clk)", ".rst(rst)"]
        for outer, port in item.ports():
            into, out_of = ("input ", "output") if port.is_input else ("output", "input ")
            signals = [("tdata", into, port.width), ("tlast", into, 1), ("tvalid", into, 1),
                       ("tready", out_of, 1)]
            for suffix, direction, width in signals:
                decls.append(f"    {direction} logic [{width - 1}:0] {outer}_{suffix}")
                conns.append(f".{port.name}_{suffix}({outer}_{suffix})")
        bodies.append(f"  {item.module} {item.instance} ({', '.join(conns)});")
    return (f"module {HARNESS_TOP} (\n" + ",\n".join(decls) + "\n);\n"
            + "\n".join(bodies) + "\nendmodule\n")


def write_harness(placed: list[Placed], directory: Path) -> list[Path]:
    """Each tile's source as <module>.sv and its ROM files in ``directory`` (the simulation
    must run there), and the harness; returns the sources to build."""
    directory.mkdir(parents=True, exist_ok=True)
    sources = []
    for item in placed:
        path = directory / f"{item.module}.sv"
        path.write_text(item.tile.render(item.instance))
        sources.append(path)
        for name, text in item.tile.memory_files(item.instance).items():
            (directory / name).write_text(text)
    harness = directory / f"{HARNESS_TOP}.sv"
    harness.write_text(harness_verilog(placed))
    return [*sources, harness]


def stream_vectors(port: str, stream: StreamPort, beats: list[tuple[int, bool]]) -> dict:
    return {"port": port, "input": stream.is_input,
            "beats": [[f"{data:x}", int(last)] for data, last in beats]}


def write_vectors(path: Path, streams: list[dict]) -> Path:
    path.write_text(json.dumps({"streams": streams}))
    return path


# --- cocotb side (imported by the hw_tests modules inside the simulator) -------------------


async def check_vectors(dut, stall: float, seed: int = 1, stall_by_port: dict | None = None,
                        clock_ns: int = 10) -> int:
    """Reset, drive every input stream and check every output stream of the harness against
    the vectors named by $TILE_VECTORS. Each cycle an input withholds its next beat, and an
    output withholds tready, with probability ``stall`` (``stall_by_port`` overrides it by
    port-name suffix). Returns the cycles until the last output beat."""
    import cocotb
    from cocotb.clock import Clock
    from cocotb.triggers import RisingEdge

    streams = json.loads(Path(os.environ[VECTORS_ENV]).read_text())["streams"]
    cocotb.start_soon(Clock(dut.clk, clock_ns, unit="ns").start())
    for s in streams:
        getattr(dut, f"{s['port']}_{'tvalid' if s['input'] else 'tready'}").value = 0
    dut.rst.value = 1
    for _ in range(3):
        await RisingEdge(dut.clk)
    dut.rst.value = 0

    budget = 50 * sum(len(s["beats"]) for s in streams) + 1000
    tasks = []
    for index, s in enumerate(streams):
        p = next((v for k, v in (stall_by_port or {}).items() if s["port"].endswith(k)), stall)
        rng = random.Random(seed * 1000 + index)
        beats = [(int(data, 16), last) for data, last in s["beats"]]
        run = _drive if s["input"] else _expect
        tasks.append(cocotb.start_soon(run(dut, s["port"], beats, p, rng, budget)))
    cycles = 0
    for task in tasks:
        cycles = max(cycles, await task)
    await _no_extra_beats(dut, [s for s in streams if not s["input"]])
    return cycles


async def _drive(dut, port, beats, stall, rng, budget) -> int:
    from cocotb.triggers import FallingEdge, RisingEdge

    tdata, tvalid, tready = (getattr(dut, f"{port}_{s}") for s in ("tdata", "tvalid", "tready"))
    sent = cycles = 0
    presenting = False
    while sent < len(beats):
        if not presenting and rng.random() >= stall:
            presenting = True
            tdata.value = beats[sent][0]
            getattr(dut, f"{port}_tlast").value = beats[sent][1]
        tvalid.value = int(presenting)
        await FallingEdge(dut.clk)  # mid-cycle: the DUT's tready has settled
        fire = presenting and int(tready.value) == 1
        await RisingEdge(dut.clk)
        cycles += 1
        assert cycles < budget, f"{port}: stuck after {sent}/{len(beats)} beats"
        if fire:
            sent += 1
            presenting = False
    tvalid.value = 0
    return cycles


async def _expect(dut, port, beats, stall, rng, budget) -> int:
    from cocotb.triggers import FallingEdge, RisingEdge

    tdata, tvalid, tready = (getattr(dut, f"{port}_{s}") for s in ("tdata", "tvalid", "tready"))
    received = cycles = 0
    offered = None  # a beat offered but not taken must be offered again unchanged
    while received < len(beats):
        ready = rng.random() >= stall
        tready.value = int(ready)
        await FallingEdge(dut.clk)
        if int(tvalid.value):
            beat = (int(tdata.value), int(getattr(dut, f"{port}_tlast").value))
            assert offered in (None, beat), f"{port}: beat {received} changed while stalled"
            offered = None if ready else beat
            if ready:
                want = tuple(beats[received])
                assert beat == want, (f"{port} beat {received}: got data {beat[0]:#x} last "
                                      f"{beat[1]}, expected {want[0]:#x} last {want[1]}")
                received += 1
        else:
            assert offered is None, f"{port}: tvalid dropped before beat {received} was taken"
        await RisingEdge(dut.clk)
        cycles += 1
        assert cycles < budget, f"{port}: stuck after {received}/{len(beats)} beats"
    tready.value = 0
    return cycles


async def _handshake_cycles(dut, port: str, beats: int) -> int:
    """Cycles from reset release until ``port`` has handed over ``beats`` beats."""
    from cocotb.triggers import FallingEdge

    tvalid, tready = getattr(dut, f"{port}_tvalid"), getattr(dut, f"{port}_tready")
    await FallingEdge(dut.rst)
    cycles = seen = 0
    while seen < beats:
        await FallingEdge(dut.clk)
        cycles += 1
        seen += int(tvalid.value) & int(tready.value)
    return cycles


async def check_at_full_rate(dut) -> None:
    """check_vectors without stalls, and every output whose vectors carry a cycle window
    (``min_cycles``, ``max_cycles``: from the backend's cycle model) delivers its last beat
    inside it."""
    import cocotb

    streams = json.loads(Path(os.environ[VECTORS_ENV]).read_text())["streams"]
    timed = [s for s in streams if not s["input"] and "max_cycles" in s]
    tasks = [cocotb.start_soon(_handshake_cycles(dut, s["port"], len(s["beats"])))
             for s in timed]
    await check_vectors(dut, stall=0.0)
    for s, task in zip(timed, tasks, strict=True):
        cycles = await task
        dut._log.info("%s: last beat after %d cycles (model: %d..%d)", s["port"], cycles,
                      s["min_cycles"], s["max_cycles"])
        assert s["min_cycles"] <= cycles <= s["max_cycles"], (
            f"{s['port']}: {cycles} cycles, the cycle model says {s['min_cycles']}.."
            f"{s['max_cycles']}")


async def _no_extra_beats(dut, outputs: list[dict], cycles: int = 32) -> None:
    from cocotb.triggers import FallingEdge

    for s in outputs:
        getattr(dut, f"{s['port']}_tready").value = 1
    for _ in range(cycles):
        await FallingEdge(dut.clk)
        for s in outputs:
            assert not int(getattr(dut, f"{s['port']}_tvalid").value), f"{s['port']}: extra beat"
