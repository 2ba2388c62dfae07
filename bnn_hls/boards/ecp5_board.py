"""What the open ECP5 flow needs to know about a board beyond its part: the nextpnr-ecp5
device, package and speed grade, and the pins of the oscillator, the UART, a reset button
and the LEDs (the ``ecp5:`` section of the board's YAML file)."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from bnn_hls.tools.nextpnr import Ecp5Device


class Pull(enum.Enum):
    UP = "up"
    DOWN = "down"
    NONE = "none"


@dataclass(frozen=True)
class Ecp5Pin:
    site: str  # the package ball, e.g. G2
    io_type: str  # LVCMOS33, LVCMOS25, SSTL135_I ...
    pull: Pull = Pull.NONE

    @classmethod
    def parse(cls, data: dict) -> Ecp5Pin:
        return cls(site=str(data["site"]), io_type=str(data["io_type"]),
                   pull=Pull(data.get("pull", Pull.NONE.value)))


@dataclass(frozen=True)
class Ecp5Board:
    device: Ecp5Device
    clock: Ecp5Pin  # the board oscillator (its frequency is Board.clock_mhz)
    uart_tx: Ecp5Pin  # the FPGA transmits on it
    uart_rx: Ecp5Pin  # the FPGA receives on it
    uart_note: str  # how the host reaches these pins
    reset: Ecp5Pin  # a push button that resets the design
    reset_active_low: bool
    leds: tuple[Ecp5Pin, ...]
    bitstream_mhz: float | None = None  # SPI configuration clock for ecppack --freq

    @classmethod
    def parse(cls, data: dict, part: str) -> Ecp5Board:
        """``data``: the YAML section; ``device`` is nextpnr-ecp5's device flag (85k,
        um5g-85k, 25k) for ``part``."""
        bitstream = data.get("bitstream_mhz")
        device = Ecp5Device(part, str(data["device"]), str(data["package"]), int(data["speed"]))
        return cls(device=device, clock=Ecp5Pin.parse(data["clock"]),
                   uart_tx=Ecp5Pin.parse(data["uart_tx"]),
                   uart_rx=Ecp5Pin.parse(data["uart_rx"]), uart_note=str(data["uart_note"]),
                   reset=Ecp5Pin.parse(data["reset"]),
                   reset_active_low=bool(data["reset_active_low"]),
                   leds=tuple(Ecp5Pin.parse(led) for led in data["leds"]),
                   bitstream_mhz=None if bitstream is None else float(bitstream))
