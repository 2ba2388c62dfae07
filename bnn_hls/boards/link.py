"""The UART link around a generated accelerator: UART receiver and transmitter, request and
reply framing (templates/boards), all sized from one :class:`LinkFormat`, and the check that
the accelerator takes input beats faster than the UART brings them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from pathlib import Path

from bnn_hls.backends.render import render
from bnn_hls.backends.rtl.tiles import counter_bits
from bnn_hls.boards.protocol import REPLY_HEADER, REQUEST_HEADER, LinkFormat
from bnn_hls.compiler import ir
from bnn_hls.errors import BnnHlsError
from bnn_hls.hw.layout import StreamLayout

BITS_PER_BYTE = 10  # start, 8 data, stop
MAX_BAUD_ERROR = 0.02  # a UART receiver tolerates a few percent between the two ends


@dataclass(frozen=True)
class LinkModules:
    """Module names of the link's parts."""

    uart_rx: str
    uart_tx: str
    frame_rx: str
    frame_tx: str
    uart_link: str

    @classmethod
    def named(cls, prefix: str) -> LinkModules:
        return cls(*(f"{prefix}_{part.name}" for part in fields(cls)))


def link_format(graph: ir.Graph, manifest: dict) -> LinkFormat:
    """The protocol's sizes for the RTL design of ``graph`` described by ``manifest``."""
    channels, height, width = graph.tensors[graph.input].shape
    (classes,) = graph.tensors[graph.output].shape
    return LinkFormat(
        input=StreamLayout(channels, manifest["in_lanes"], manifest["pixel_bits"], signed=False),
        pixels=height * width,
        output=StreamLayout(classes, manifest["out_lanes"], manifest["out_width"], signed=True))


def clocks_per_bit(clock_mhz: float, baud: int) -> int:
    cycles = round(clock_mhz * 1e6 / baud)
    if cycles < 4 or abs(cycles * baud / (clock_mhz * 1e6) - 1) > MAX_BAUD_ERROR:
        raise BnnHlsError(f"--baud {baud} cannot be made from a {clock_mhz:g} MHz clock "
                          f"(within {MAX_BAUD_ERROR:.0%}, at least 4 cycles per bit)")
    return cycles


@dataclass(frozen=True)
class UartLink:
    """The link of one accelerator (``manifest`` of its RTL) at ``clks_per_bit``."""

    fmt: LinkFormat
    accelerator: str
    ideal_cycles_per_image: int
    clks_per_bit: int
    modules: LinkModules = field(default_factory=lambda: LinkModules.named("board"))

    @classmethod
    def for_design(cls, graph: ir.Graph, rtl_dir: Path, clks_per_bit: int) -> UartLink:
        manifest = json.loads((Path(rtl_dir) / "manifest.json").read_text())
        link = cls(link_format(graph, manifest), manifest["top"],
                   manifest["ideal_cycles_per_image"], clks_per_bit)
        link.check_input_rate()
        return link

    def check_input_rate(self) -> None:
        """frame_rx holds one finished beat while the next fills: the accelerator must take a
        beat within one UART beat time, which its ideal rate per input beat guarantees."""
        beat_cycles = self.fmt.input.lanes * BITS_PER_BYTE * self.clks_per_bit
        accelerator_cycles = -(-self.ideal_cycles_per_image // self.fmt.input_beats)
        if accelerator_cycles >= beat_cycles:
            raise BnnHlsError(f"the UART brings an input beat every {beat_cycles} cycles, "
                              f"faster than {self.accelerator} takes them "
                              f"({accelerator_cycles}): lower --baud")

    def render(self) -> dict[str, str]:
        """{module name: SystemVerilog} of every part of the link, the link module last."""
        fmt, modules = self.fmt, self.modules
        count_w = counter_bits(self.clks_per_bit)
        return {
            modules.uart_rx: render("boards/uart_rx.sv.j2", module=modules.uart_rx,
                                    clks_per_bit=self.clks_per_bit, count_w=count_w),
            modules.uart_tx: render("boards/uart_tx.sv.j2", module=modules.uart_tx,
                                    clks_per_bit=self.clks_per_bit, count_w=count_w),
            modules.frame_rx: render(
                "boards/frame_rx.sv.j2", module=modules.frame_rx, header=REQUEST_HEADER,
                lanes=fmt.input.lanes, pixel_bits=fmt.input.width, beats=fmt.input_beats,
                beat_count_w=counter_bits(fmt.input_beats),
                lane_count_w=counter_bits(fmt.input.lanes)),
            modules.frame_tx: render(
                "boards/frame_tx.sv.j2", module=modules.frame_tx, header=REPLY_HEADER,
                lanes=fmt.output.lanes, width=fmt.output.width, classes=fmt.classes,
                logit_bytes=fmt.logit_bytes, byte_count_w=counter_bits(fmt.logit_bytes),
                lane_count_w=counter_bits(fmt.output.lanes)),
            modules.uart_link: render(
                "boards/uart_link.sv.j2", module=modules.uart_link, modules=modules,
                accelerator=self.accelerator, clks_per_bit=self.clks_per_bit,
                in_beat_w=fmt.input.beat_width, out_beat_w=fmt.output.beat_width),
        }

    def write(self, directory: Path) -> list[Path]:
        directory.mkdir(parents=True, exist_ok=True)
        paths = []
        for module, text in self.render().items():
            path = directory / f"{module}.sv"
            path.write_text(text)
            paths.append(path)
        return paths
