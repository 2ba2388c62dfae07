"""The HLS backend: a dataflow plan -> one DATAFLOW top function over the kernel library.

Every plan stage becomes one kernel call; every stage output one ``hls::stream`` (the plan
forks every stream read twice, so each has one producer and one consumer) with the plan's
channel depth, at least 2; the top's ports are AXI4-Stream with TLAST. ``HlsDesign.write``
emits the top, its header, the weights header, the kernel library and the C-simulation
bridge into one directory.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from bnn_hls.backends.hls.kernels import KERNELS, KernelCall
from bnn_hls.backends.render import render
from bnn_hls.errors import BnnHlsError
from bnn_hls.hw.layout import StreamLayout
from bnn_hls.hw.plan import DataflowPlan, Endpoint, output_pixels
from bnn_hls.hw.stages import RelaneStage

MIN_DEPTH = 2  # what Vitis gives a dataflow channel by default
AP_INT_DEFAULT_MAX_W = 1024
MAX_ELEMENT_BITS = 64  # a lane is handled as one machine word (bnn_common.h)
LIBRARY = ("bnn_common.h", "bnn_pointwise.h", "bnn_window.h", "bnn_mvu.h", "bnn_streams.h",
           "bnn_hls.h")
CSIM_HEADERS = ("hls_stream.h", "ap_axi_sdata.h", "bnn_csim_abi.h")
INPUT_STREAM = "input_beats"


def template_dir() -> Path:
    return Path(str(files("bnn_hls.templates"))) / "hls"


@dataclass(frozen=True)
class HlsStream:
    name: str
    width: int  # tdata bits of one beat
    depth: int


@dataclass(frozen=True)
class HlsCall:
    layer: str
    kernel: KernelCall
    streams: tuple[str, ...]  # in the stage's port order

    @property
    def arguments(self) -> tuple[str, ...]:
        """The kernel's arguments: its streams, then its constant arrays."""
        return self.streams + tuple(c.name for c in self.kernel.constants)


@dataclass(frozen=True)
class TopPort:
    stream: str  # the internal stream it feeds or drains
    width: int
    beats: int  # per image


def stream_name(endpoint: Endpoint) -> str:
    return f"{endpoint.stage}_{endpoint.port}"


def input_pixels_per_stage(plan: DataflowPlan, input_pixels: int) -> dict[str, int]:
    """Input pixels per image of every stage, from the plan's input along its channels.
    (The plan computes these while building and could keep them on each PlacedStage.)"""
    pixels = {plan.input.stage: input_pixels}
    for name, placed in plan.stages.items():
        produced = output_pixels(placed.stage, pixels[name])
        for channel in plan.channels:
            if channel.source.stage == name:
                pixels[channel.sink.stage] = produced
    return pixels


class HlsDesign:
    """The kernel calls and streams of a plan; ``input_pixels`` per image enter the plan."""

    def __init__(self, plan: DataflowPlan, input_pixels: int):
        self.plan = plan
        pixels = input_pixels_per_stage(plan, input_pixels)
        depth = {stream_name(c.source): max(MIN_DEPTH, c.depth) for c in plan.channels}
        self.streams = [HlsStream(INPUT_STREAM, plan.input_layout.beat_width, MIN_DEPTH)]
        self.calls = []
        for name, placed in plan.stages.items():
            stage = placed.stage
            wide = [p for p in stage.ports() if p.layout.width > MAX_ELEMENT_BITS]
            if wide:
                raise BnnHlsError(f"layer '{placed.layer}': {wide[0].layout.width}-bit elements "
                                  f"on port '{wide[0].name}'; the HLS kernels take at most "
                                  f"{MAX_ELEMENT_BITS}")
            try:
                kernel = KERNELS[type(stage)](stage, pixels[name], name)
            except (KeyError, ValueError) as exc:
                raise BnnHlsError(f"layer '{placed.layer}': no HLS kernel for "
                                  f"{type(stage).__name__}: {exc}") from None
            for port in stage.outputs:
                out = stream_name(Endpoint(name, port.name))
                self.streams.append(HlsStream(out, port.layout.beat_width,
                                              depth.get(out, MIN_DEPTH)))
            self.calls.append(HlsCall(placed.layer, kernel,
                                      tuple(self._stream_of(name, p.name, p.is_input)
                                            for p in stage.ports())))
        self.input = TopPort(INPUT_STREAM, plan.input_layout.beat_width,
                             self._beats(plan.input_layout, pixels[plan.input.stage]))
        output_stage = plan.stages[plan.output.stage].stage
        self.output = TopPort(stream_name(plan.output), plan.output_layout.beat_width,
                              self._beats(plan.output_layout,
                                          output_pixels(output_stage,
                                                        pixels[plan.output.stage])))

    @staticmethod
    def _beats(layout: StreamLayout, pixels: int) -> int:
        return pixels * layout.beats_per_pixel

    def _stream_of(self, stage: str, port: str, is_input: bool) -> str:
        endpoint = Endpoint(stage, port)
        if not is_input:
            return stream_name(endpoint)
        if endpoint == self.plan.input:
            return INPUT_STREAM
        return next(stream_name(c.source) for c in self.plan.channels if c.sink == endpoint)

    @property
    def probes(self) -> list[tuple[str, str, StreamLayout]]:
        """(layer, stream, layout) of every probed layer output, in network order."""
        return [(p.layer, stream_name(p.source), p.layout) for p in self.plan.probes]

    @property
    def top(self) -> str:
        return self.plan.name

    def _context(self) -> dict:
        return {"top": self.top, "model": self.plan.model,
                "max_word_width": self.max_word_width, "streams": self.streams,
                "calls": self.calls, "input": self.input, "output": self.output}

    def write(self, directory: Path) -> list[Path]:
        """The top, its header and weights, the kernel library, and (in ``csim/``) the
        C-simulation stand-ins and bridge; returns the synthesis sources."""
        directory = Path(directory)
        (directory / "csim").mkdir(parents=True, exist_ok=True)
        context = self._context()
        written = {f"{self.top}.h": "hls/top.h.j2", f"{self.top}.cpp": "hls/top.cpp.j2",
                   f"{self.top}_weights.h": "hls/weights.h.j2",
                   f"csim/{self.top}_csim.cpp": "hls/csim_bridge.cpp.j2"}
        for name, template in written.items():
            (directory / name).write_text(render(template, **context))
        for name in LIBRARY:
            shutil.copyfile(template_dir() / name, directory / name)
        for name in CSIM_HEADERS:
            shutil.copyfile(template_dir() / "csim" / name, directory / "csim" / name)
        (directory / "manifest.json").write_text(json.dumps(self.manifest(), indent=1))
        return [directory / f"{self.top}.cpp"]

    @property
    def max_word_width(self) -> int:
        """The widest ap_uint of the design (streams, and a re-laned pixel): AP_INT_MAX_W."""
        pixels = [p.stage.channels * p.stage.width for p in self.plan.stages.values()
                  if isinstance(p.stage, RelaneStage)]
        return max([AP_INT_DEFAULT_MAX_W, *pixels, *(s.width for s in self.streams)])

    def write_project(self, directory: Path, part: str, clock_ns: float) -> list[Path]:
        """The Vitis HLS project files beside the sources: the testbench over the test
        vectors, hls_config.cfg (v++ unified flow) and run_hls.tcl (Tcl flow)."""
        context = {**self._context(), "part": part, "clock_ns": f"{clock_ns:g}",
                   "max_width": self.max_word_width}
        written = {f"{self.top}_tb.cpp": "hls/testbench.cpp.j2",
                   "hls_config.cfg": "hls/hls_config.cfg.j2", "run_hls.tcl": "hls/run_hls.tcl.j2"}
        for name, template in written.items():
            (Path(directory) / name).write_text(render(template, **context))
        return [Path(directory) / name for name in written]

    def manifest(self) -> dict:
        """What a C-simulation needs to drive and check the design without the plan."""
        def port(top_port: TopPort, layout: StreamLayout) -> dict:
            return {"channels": layout.channels, "lanes": layout.lanes, "width": layout.width,
                    "beats": top_port.beats}

        return {"top": self.top, "model": self.plan.model,
                "max_word_width": self.max_word_width,
                "input": port(self.input, self.plan.input_layout),
                "output": port(self.output, self.plan.output_layout),
                "streams": [{"name": s.name, "width": s.width, "depth": s.depth}
                            for s in self.streams],
                "probes": [{"layer": layer, "stream": stream, "channels": layout.channels,
                            "lanes": layout.lanes, "width": layout.width,
                            "signed": layout.signed, "beat_width": layout.beat_width}
                           for layer, stream, layout in self.probes]}
