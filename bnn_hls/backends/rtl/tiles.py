"""The RTL view of a plan stage: its AXI4-Stream ports and its template context.

Every tile wraps one stage of :mod:`bnn_hls.hw.stages`; ``render(instance)`` returns
SystemVerilog whose module is ``module_name(instance)`` (plus any helper modules, named after
it), with all constants baked in. Only RTL matters are computed here (counter widths,
literals, module names); every number the stage's arithmetic needs comes from the stage.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from bnn_hls.backends.render import render
from bnn_hls.hw.intervals import Interval, clog2
from bnn_hls.hw.stages import Port, Stage

if TYPE_CHECKING:  # timing.py sizes popcount trees, whose module imports this one
    from bnn_hls.hw.timing import RtlTiming


@dataclass(frozen=True)
class StreamPort:
    """An AXI4-Stream port: ``<name>_tdata/_tlast/_tvalid/_tready``."""

    name: str
    width: int
    is_input: bool


def rtl_port_name(port: Port) -> str:
    """Plan port names -> RTL: in -> s_axis, conv -> s_conv_axis, out -> m_axis, out1 ->
    m1_axis."""
    if port.is_input:
        return "s_axis" if port.name == "in" else f"s_{port.name}_axis"
    return "m_axis" if port.name == "out" else f"m{port.name[3:]}_axis"


@dataclass(frozen=True)
class Tile:
    """Base of every tile: the stage it renders."""

    stage: Stage

    prefix: ClassVar[str]

    @classmethod
    def for_timing(cls, stage: Stage, timing: RtlTiming) -> Tile:
        """The tile pipelined for ``timing``'s clock; tiles of a fixed depth ignore it."""
        return cls(stage)

    def module_name(self, instance: str) -> str:
        return f"{self.prefix}_{instance}"

    def render(self, instance: str) -> str:
        raise NotImplementedError

    def ports(self) -> tuple[StreamPort, ...]:
        return tuple(StreamPort(rtl_port_name(p), p.layout.beat_width, p.is_input)
                     for p in self.stage.ports())

    def memory_files(self, instance: str) -> dict[str, str]:
        """ROM files the module reads with $readmemh: file name -> contents. Names are bare:
        the files go beside the sources, where simulators and Yosys run and where a Vivado or
        Quartus project that has them added finds them."""
        return {}


def counter_bits(n: int) -> int:
    """Width of a counter over 0..n-1 (at least 1 bit, Verilog has no 0-bit vectors)."""
    return max(1, clog2(n))


def hex_literal(value: int, width: int) -> str:
    """A sized Verilog literal of ``value``'s two's-complement bits, e.g. ``6'h3c`` for -4."""
    return f"{width}'h{value & ((1 << width) - 1):0{-(-width // 4)}x}"


def signed_literal(value: int, width: int) -> str:
    """A sized signed Verilog literal, e.g. ``-6'sd4``; the most negative value in hex."""
    limits = Interval.of_width(width)
    if not limits.lo <= value <= limits.hi:
        raise ValueError(f"{value} does not fit {width} signed bits")
    if value == limits.lo:  # -(2**(w-1)) has no positive w-bit counterpart to negate
        return f"{width}'sh{1 << (width - 1):x}"
    return f"{'-' if value < 0 else ''}{width}'sd{abs(value)}"


def render_tile(template: str, **context) -> str:
    """Render ``templates/rtl/<template>``; the one place tiles reach the Jinja environment.
    Templates get ``slit(value, width)`` for signed literals."""
    return render(f"rtl/{template}", slit=signed_literal, **context)


def with_helpers(main: str, *helpers: str) -> str:
    """One source text for a tile: its module first, then the helper modules it instantiates
    (exempt from Verilator's one-module-per-file style rule, they belong to the tile)."""
    wrapped = [f"/* verilator lint_off DECLFILENAME */\n{h}/* verilator lint_on DECLFILENAME */\n"
               for h in helpers]
    return "".join([main, *wrapped])
