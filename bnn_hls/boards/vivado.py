"""A Vivado batch project for a Zynq board: the accelerator packaged as IP, a block design
with the PS and an AXI DMA, bitstream and .hwh named together, and the PYNQ driver beside
them. Vivado cannot run here: the scripts are generated from templates/vivado/ and checked
for Tcl syntax and for the files they name (tests/test_vivado.py)."""

from __future__ import annotations

import enum
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from bnn_hls.backends.render import render
from bnn_hls.boards import Board
from bnn_hls.boards.pynq_stream import BeatFormat
from bnn_hls.boards.xilinx_shell import ProcessingSystem, VivadoShell
from bnn_hls.errors import BnnHlsError
from bnn_hls.hw.dma import DmaStream
from bnn_hls.hw.layout import StreamLayout

PROJECT = "bnn_hls"  # the block design, the bitstream and the .hwh share this name
WRAPPER = "bnn_accel"  # the RTL accelerator's IP Integrator top
MAIN_SCRIPT = f"{PROJECT}.tcl"
STREAM_DESCRIPTION = f"{PROJECT}.json"  # the driver's beat formats
DRIVER_FILES = ("pynq_driver.py", "pynq_stream.py")  # copied from this package
IP_VENDOR, IP_LIBRARY, IP_VERSION = "bnn-hls.org", "bnn", "1.0"


class Accelerator(enum.Enum):
    RTL = "rtl"  # the generated SystemVerilog in its aresetn wrapper
    HLS = "hls"  # the Vitis HLS core exported from the generated C++


@dataclass(frozen=True)
class TopStreams:
    """The accelerator's input and output streams as the DMA moves them."""

    input: DmaStream
    output: DmaStream

    def beat_formats(self) -> dict[str, BeatFormat]:
        return {"input": beat_format(self.input), "output": beat_format(self.output)}


def beat_format(stream: DmaStream) -> BeatFormat:
    layout = stream.layout
    return BeatFormat(layout.channels, layout.lanes, layout.width, layout.signed,
                      stream.beat_bytes)


def _read_manifest(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise BnnHlsError(f"{path}: cannot read the manifest ({exc})") from None


def rtl_streams(rtl_dir: Path) -> tuple[dict, TopStreams]:
    """The RTL manifest and the top's streams."""
    path = Path(rtl_dir) / "manifest.json"
    manifest = _read_manifest(path)
    return manifest, _top_streams(path, lambda: (
        StreamLayout(manifest["in_channels"], manifest["in_lanes"], manifest["pixel_bits"],
                     signed=False),
        StreamLayout(manifest["out_channels"], manifest["out_lanes"], manifest["out_width"],
                     signed=True)))


def hls_streams(hls_dir: Path) -> tuple[dict, TopStreams]:
    """The HLS manifest and its top's streams (the HLS plan may fold differently)."""
    path = Path(hls_dir) / "manifest.json"
    manifest = _read_manifest(path)
    return manifest, _top_streams(path, lambda: tuple(
        StreamLayout(p["channels"], p["lanes"], p["width"], signed=signed)
        for p, signed in ((manifest["input"], False), (manifest["output"], True))))


def _top_streams(path: Path, layouts) -> TopStreams:
    """``layouts()`` read from the manifest at ``path``: a missing key or a beat the DMA
    cannot carry is one line naming the file."""
    try:
        return TopStreams(*(DmaStream(layout) for layout in layouts()))
    except KeyError as exc:
        raise BnnHlsError(f"{path}: no {exc} (generate it again)") from None
    except ValueError as exc:
        raise BnnHlsError(f"{path}: {exc}") from None


def render_wrapper(core: str, streams: TopStreams, weight_beats: int = 0) -> str:
    """``weight_beats``: the core's weight port takes that many beats (0: it has none)."""
    return render("vivado/accel_wrapper.v.j2", module=WRAPPER, core=core,
                  input=streams.input, output=streams.output, weight_beats=weight_beats)


@dataclass(frozen=True)
class PsView:
    """The processing system's pins and ports the block design wires."""

    ip: str
    zynq_7000: bool
    pl_clock: str
    pl_resetn: str
    master: str  # general-purpose master: reaches the DMA's registers
    master_clock: str
    slave: str  # high-performance slave: the DMA's path to DDR
    slave_clock: str
    slave_bits: int

    @classmethod
    def of(cls, shell: VivadoShell) -> PsView:
        kind = shell.processing_system
        if kind is ProcessingSystem.ZYNQ_7000:
            return cls(kind.value, True, "FCLK_CLK0", "FCLK_RESET0_N", "M_AXI_GP0",
                       "M_AXI_GP0_ACLK", "S_AXI_HP0", "S_AXI_HP0_ACLK", shell.hp_port_bits)
        return cls(kind.value, False, "pl_clk0", "pl_resetn0", "M_AXI_HPM0_FPD",
                   "maxihpm0_fpd_aclk", "S_AXI_HP0_FPD", "saxihp0_fpd_aclk",
                   shell.hp_port_bits)


@dataclass(frozen=True)
class DmaView:
    address_bits: int
    mm2s_stream_bits: int
    s2mm_stream_bits: int

    @property
    def mm2s_memory_bits(self) -> int:
        return max(32, self.mm2s_stream_bits)  # at least the stream, at least 32

    @property
    def s2mm_memory_bits(self) -> int:
        return max(32, self.s2mm_stream_bits)


@dataclass(frozen=True)
class Converter:
    """An axis_subset_converter between the DMA's padded beat and the HLS core's bytes."""

    name: str
    in_bytes: int
    out_bytes: int


def stream_paths(streams: TopStreams, accel_in_bytes: int,
                 accel_out_bytes: int) -> tuple[list[Converter], list[tuple[str, str]]]:
    """The (source, sink) connections DMA -> accelerator -> DMA, through a converter where
    the accelerator's TDATA bytes differ from the DMA's."""
    converters, paths = [], []
    for name, source, sink, in_bytes, out_bytes in (
            ("to_accel", "dma/M_AXIS_MM2S", "accel/s_axis", streams.input.beat_bytes,
             accel_in_bytes),
            ("from_accel", "accel/m_axis", "dma/S_AXIS_S2MM", accel_out_bytes,
             streams.output.beat_bytes)):
        if in_bytes == out_bytes:
            paths.append((source, sink))
        else:
            converters.append(Converter(name, in_bytes, out_bytes))
            paths += [(source, f"{name}/S_AXIS"), (f"{name}/M_AXIS", sink)]
    return converters, paths


def _relative(path: Path, start: Path) -> str:
    return Path(os.path.relpath(Path(path).resolve(), start.resolve())).as_posix()


def _check_hls_project(hls_dir: Path, board: Board) -> None:
    config = hls_dir / "hls_config.cfg"
    if not (hls_dir / "run_hls.tcl").is_file() or not config.is_file():
        raise BnnHlsError(f"{hls_dir}: no run_hls.tcl or hls_config.cfg "
                          "(compile with --hls first)")
    parts = [line.split("=", 1)[1].strip() for line in config.read_text().splitlines()
             if line.startswith("part=")]
    if parts != [board.part]:
        raise BnnHlsError(f"{config}: the HLS project targets {', '.join(parts) or 'no part'}, "
                          f"board {board.name} has {board.part}; compile with --hls "
                          f"--part {board.part}")


def _package_rtl(rtl_dir: Path, out_dir: Path, context: dict) -> tuple[TopStreams, dict | None]:
    """The wrapper and package_ip.tcl for the RTL in ``rtl_dir``, and its weight port's
    stream (whose file is copied beside the driver), if it has one."""
    manifest, streams = rtl_streams(rtl_dir)
    weights = manifest.get("weight_load")
    named = manifest["sources"] + manifest["memory_files"] + ([weights["file"]] if weights
                                                              else [])
    missing = [name for name in named if not (rtl_dir / name).is_file()]
    if missing:
        raise BnnHlsError(f"{rtl_dir}: missing {', '.join(missing)} named by manifest.json")
    if weights:
        shutil.copyfile(rtl_dir / weights["file"], out_dir / weights["file"])
    (out_dir / f"{WRAPPER}.v").write_text(render_wrapper(
        manifest["top"], streams, weights["beats"] if weights else 0))
    (out_dir / "package_ip.tcl").write_text(render(
        "vivado/package_rtl.tcl.j2", **context, wrapper_module=WRAPPER,
        sources=[_relative(rtl_dir / name, out_dir) for name in manifest["sources"]]
        + [f"{WRAPPER}.v"],
        memory_files=[_relative(rtl_dir / name, out_dir) for name in manifest["memory_files"]],
        vendor=IP_VENDOR, library=IP_LIBRARY, version=IP_VERSION,
        display_name=f"bnn-hls accelerator ({manifest['top']})"))
    return streams, weights


def _package_hls(hls_dir: Path, board: Board, out_dir: Path, context: dict) -> TopStreams:
    """package_ip.tcl for the Vitis HLS project in ``hls_dir``."""
    _check_hls_project(hls_dir, board)
    manifest, streams = hls_streams(hls_dir)
    (out_dir / "package_ip.tcl").write_text(render(
        "vivado/package_hls.tcl.j2", **context, hls_top=manifest["top"],
        hls_dir=_relative(hls_dir, out_dir)))
    return streams


def write_vivado_project(rtl_dir: Path, board: Board, out_dir: Path, clock_mhz: float,
                         hls_dir: Path | None) -> Path:
    """Write the Vivado batch scripts, the constraints, the accelerator wrapper (RTL) and the
    PYNQ driver into ``out_dir``; returns the main script (run it with
    ``vivado -mode batch -source``). The accelerator is the RTL in ``rtl_dir``, or the Vitis
    HLS core of ``hls_dir`` when that is given."""
    if board.vivado is None:
        raise BnnHlsError(f"board {board.name} ({board.title}) has no Vivado shell; "
                          "a Vivado project needs a Zynq board")
    if not clock_mhz > 0:
        raise BnnHlsError(f"clock {clock_mhz} MHz must be positive")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    accelerator = Accelerator.HLS if hls_dir is not None else Accelerator.RTL
    context = {"project": PROJECT, "board_title": board.title, "board_part":
               board.vivado.board_part, "part": board.part, "clock_mhz": f"{clock_mhz:g}"}
    weights = None
    if accelerator is Accelerator.RTL:
        streams, weights = _package_rtl(Path(rtl_dir), out_dir, context)
        converters, paths = stream_paths(streams, streams.input.beat_bytes,
                                         streams.output.beat_bytes)
    else:
        streams = _package_hls(Path(hls_dir), board, out_dir, context)
        converters, paths = stream_paths(streams, streams.input.hls_tdata_bits // 8,
                                         streams.output.hls_tdata_bits // 8)

    ps = PsView.of(board.vivado)
    dma = DmaView(address_bits=32 if ps.zynq_7000 else 64,
                  mm2s_stream_bits=streams.input.tdata_bits,
                  s2mm_stream_bits=streams.output.tdata_bits)
    clock_pins = [f"ps/{ps.master_clock}", f"ps/{ps.slave_clock}", "reset/slowest_sync_clk",
                  "dma/s_axi_lite_aclk", "dma/m_axi_mm2s_aclk", "dma/m_axi_s2mm_aclk",
                  "ctrl_interconnect/aclk", "mem_interconnect/aclk", "accel/ap_clk",
                  *(f"{c.name}/aclk" for c in converters)]
    reset_pins = ["dma/axi_resetn", "ctrl_interconnect/aresetn", "mem_interconnect/aresetn",
                  "accel/ap_rst_n", *(f"{c.name}/aresetn" for c in converters)]
    if weights:
        paths.append(("weight_dma/M_AXIS_MM2S", "accel/s_axis_weights"))
        clock_pins += ["weight_dma/s_axi_lite_aclk", "weight_dma/m_axi_mm2s_aclk"]
        reset_pins.append("weight_dma/axi_resetn")
    (out_dir / "block_design.tcl").write_text(render(
        "vivado/block_design.tcl.j2", **context, ps=ps, dma=dma, converters=converters,
        streams=paths, clock_pins=clock_pins, reset_pins=reset_pins, weights=weights))
    (out_dir / f"{PROJECT}.xdc").write_text(render("vivado/constraints.xdc.j2", **context))
    main = out_dir / MAIN_SCRIPT
    main.write_text(render("vivado/build.tcl.j2", **context))

    for name in DRIVER_FILES:
        shutil.copyfile(Path(__file__).parent / name, out_dir / name)
    formats = {key: fmt.to_json() for key, fmt in streams.beat_formats().items()}
    (out_dir / STREAM_DESCRIPTION).write_text(json.dumps(
        {"accelerator": accelerator.value, "clock_mhz": clock_mhz, **formats,
         "weights": weights and {"file": weights["file"], "beats": weights["beats"]}},
        indent=1))
    return main
