"""Generate the RTL of a compiled model and simulate it with Verilator against the golden model.

Agreement is bit-exact or it is a failure: every image's integer logits must equal the golden
model's, and on a mismatch the first diverging layer, channel and pixel is named from the
streams recorded inside the design.
"""

from __future__ import annotations

import json
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

import numpy as np
from tqdm import tqdm

from bnn_hls.backends.golden.model import GoldenModel
from bnn_hls.backends.rtl.cycles import RtlCycles
from bnn_hls.backends.rtl.network import RtlDesign
from bnn_hls.compiler import ir
from bnn_hls.errors import BnnHlsError
from bnn_hls.hw.folding import Fold, auto_folding
from bnn_hls.hw.layout import StreamLayout
from bnn_hls.hw.plan import DataflowPlan, build_plan
from bnn_hls.hw.technology import Technology
from bnn_hls.hw.timing import DEFAULT_TIMING, RtlTiming
from bnn_hls.hw.verify import Divergence, first_divergence
from bnn_hls.tools.cocotb_run import run_cocotb
from bnn_hls.tools.vendor_models import sim_models

TOP = "bnn_top"


class Drive(Enum):
    """How the testbench offers input beats (gaps between beats are random either way)."""

    AGGRESSIVE = "aggressive"  # tvalid may also drop before its beat is accepted
    COMPLIANT = "compliant"  # AXI4-Stream: a raised beat is held until accepted


def generate_rtl(graph: ir.Graph, outdir: Path, folding: dict[str, Fold] | None = None,
                 target_cycles: int = 2048,
                 timing: RtlTiming = DEFAULT_TIMING,
                 technology: Technology = Technology.GENERIC,
                 load_weights: bool = False) -> tuple[DataflowPlan, list[Path]]:
    """Plan the dataflow for the RTL backend, its tiles pipelined for ``timing``'s clock (the
    XNOR popcounts mapped onto ``technology``'s primitives, every weight memory filled
    through the weight port with ``load_weights``), and write its tiles, top level, ROM
    files, weight-port stream and manifest under ``outdir``/rtl."""
    cycles = RtlCycles(timing)
    folding = folding or auto_folding(graph, target_cycles, cycles)
    rtl = Path(outdir) / "rtl"
    plan = build_plan(graph, folding, cycles, TOP)
    sources = RtlDesign(plan, timing, technology, load_weights).write(rtl)
    (rtl / "folding.json").write_text(json.dumps(
        {"layers": {k: {"pe": f.pe, "simd": f.simd} for k, f in folding.items()},
         "ideal_cycles_per_image": plan.ideal_cycles}, indent=1))
    return plan, sources


@dataclass(frozen=True)
class StoppedStream:
    """A probed layer stream that had not carried all of its beats when the design stalled."""

    layer: str
    beats: int
    expected: int
    last_cycle: int | None  # of its last beat; None if it never moved


@dataclass(frozen=True)
class Deadlock:
    cycle: int  # when the watchdog fired
    last_handshake: int  # the last cycle any stream (input, output or probe) moved
    stopped: tuple[StoppedStream, ...]

    def describe(self) -> str:
        moved = [s for s in self.stopped if s.beats]
        idle = [s for s in self.stopped if not s.beats]
        stopped = ", ".join(f"layer '{s.layer}' ({s.beats} of {s.expected} beats, last at "
                            f"cycle {s.last_cycle})" for s in moved) or "none"
        if idle:
            stopped += f"; {len(idle)} more never moved, the first '{idle[0].layer}'"
        return (f"deadlock: no stream moved for {self.cycle - self.last_handshake} cycles "
                f"after cycle {self.last_handshake}; stopped short: {stopped}")


@dataclass(frozen=True)
class SimulationReport:
    images: int
    exact_images: int  # images whose every logit equals the golden model's
    divergence: Divergence | None  # never set when the design deadlocked
    deadlock: Deadlock | None
    latency_cycles: int  # first input beat accepted -> first logit beat out
    simulated_cycles: int  # every clock cycle the testbench ran, resets included
    cycles_per_image: float | None  # steady state between back-to-back images
    ideal_cycles_per_image: int
    reached_before_reset: tuple[str, ...]  # layers the abandoned frame reached, if one was sent

    def summary(self, clock_mhz: float) -> str:
        if self.deadlock:
            return "\n".join([f"{self.exact_images}/{self.images} images came out bit-exact "
                              "before the design deadlocked", self.deadlock.describe()])
        lines = [f"{self.exact_images}/{self.images} images bit-exact with the golden model"]
        if self.divergence:
            lines.append(self.divergence.describe())
        lines.append(f"latency {self.latency_cycles} cycles")
        if self.cycles_per_image:
            rate = clock_mhz * 1e6 / self.cycles_per_image
            lines.append(f"steady state {self.cycles_per_image:.0f} cycles/image "
                         f"(ideal {self.ideal_cycles_per_image}, ratio "
                         f"{self.ideal_cycles_per_image / self.cycles_per_image:.2f}); "
                         f"{rate:,.0f} images/s at an assumed {clock_mhz:g} MHz clock")
        return "\n".join(lines)


def probe_layouts(manifest: dict) -> list[tuple[str, StreamLayout]]:
    return [(p["layer"], StreamLayout(p["channels"], p["lanes"], p["width"], p["signed"]))
            for p in manifest["probes"]]


def _words(beats: list[str]) -> list[int]:
    return [int(word, 16) for word in beats]


def simulate(graph: ir.Graph, rtl_dir: Path, pixels: np.ndarray, *, frame_groups: int = 1,
             stall_in: float = 0.0, stall_out: float = 0.0, seed: int = 1,
             drive: Drive = Drive.AGGRESSIVE, reset_mid_frame: bool = False,
             waves: bool = False, progress: bool = False) -> SimulationReport:
    """Stream ``pixels`` through the design in ``rtl_dir`` (split into ``frame_groups``
    back-to-back groups with a reset before each) and compare with the golden model.

    ``reset_mid_frame`` first sends three quarters of the last image and leaves them in
    flight for two ideal image times before the first reset; only beats recorded after it
    are checked. ``progress`` shows a bar in simulated cycles against the plan's expected
    cycles (one extra image time for the pipeline fill)."""
    for name, stall in (("stall_in", stall_in), ("stall_out", stall_out)):
        if not 0 <= stall < 1:
            raise BnnHlsError(f"{name} {stall} must be in [0, 1)")
    rtl_dir = Path(rtl_dir).resolve()  # the simulator runs there: every path must be absolute
    manifest = json.loads((rtl_dir / "manifest.json").read_text())
    ideal = manifest["ideal_cycles_per_image"]
    logits, trace = GoldenModel(graph).run(pixels, trace=True)
    groups = np.array_split(np.arange(len(pixels)), frame_groups)
    out_folds = -(-logits.shape[1] // manifest["out_lanes"])
    input_layout = StreamLayout(pixels.shape[1], manifest["in_lanes"], manifest["pixel_bits"],
                                signed=False)

    def input_beats(images: np.ndarray) -> list[list]:
        return [[f"{d:x}", int(last)] for d, last in input_layout.pack(images)]

    plan = {
        "seed": seed, "stall_in": stall_in, "stall_out": stall_out, "drive": drive.value,
        "max_cycles": 200_000 + 50 * ideal * len(pixels),
        # The watchdog: between two handshakes anywhere, a working design waits at most for
        # its slowest layer's work on one image (the ideal image time); twice that plus
        # 1000 cycles of pipeline fill, stretched by the stalls, passes only in a deadlock.
        "quiet_cycles": int((1000 + 2 * ideal) / (1 - max(stall_in, stall_out))),
        "probes": manifest["probes"],
        "frame_groups": [{"beats": input_beats(pixels[g]), "output_beats": len(g) * out_folds}
                         for g in groups if len(g)],
    }
    if manifest.get("weight_load"):
        beats = np.fromfile(rtl_dir / manifest["weight_load"]["file"], dtype="<u8")
        plan["weights"] = [[f"{int(b):x}", int(i == len(beats) - 1)] for i, b in enumerate(beats)]
    if reset_mid_frame:  # about one latency: the frame's head reaches the last blocks
        beats = input_beats(pixels[-1:])
        plan["abandoned_frame"] = {"beats": beats[:len(beats) * 3 // 4], "cycles": 2 * ideal}
    plan_path = rtl_dir / "sim_plan.json"
    results_path = rtl_dir / "sim_results.json"
    progress_path = rtl_dir / "sim_progress"
    progress_path.unlink(missing_ok=True)
    if progress:
        plan["progress_file"] = str(progress_path)
    plan_path.write_text(json.dumps(plan))
    results_path.unlink(missing_ok=True)  # never report a previous run's beats
    sources = [rtl_dir / name for name in manifest["sources"]]
    technology = Technology(manifest.get("technology", Technology.GENERIC.value))
    models = (None if technology is Technology.GENERIC
              else sim_models(technology, rtl_dir / "sim_models"))
    sources += models.sources if models else []
    expected_cycles = manifest["expected_cycles_per_image"] * (len(pixels) + 1)
    # The simulation runs in the RTL directory, where the ROM files are named from.
    with _progress_bar(progress_path if progress else None, expected_cycles):
        result = run_cocotb(sources, manifest["top"], "bnn_hls.tools.network_tb", rtl_dir,
                            rtl_dir / "sim_build",
                            extra_env={"NETWORK_PLAN": str(plan_path),
                                       "NETWORK_RESULTS": str(results_path)},
                            waves=waves, build_args=list(models.args) if models else None)
    if not result.ok:
        raise BnnHlsError(f"{rtl_dir}: the network testbench did not pass ({result.failed} "
                          f"failed, {result.skipped} skipped); see {result.results_xml}")
    results = json.loads(results_path.read_text())
    return _report(manifest, logits, trace, results, len(groups))


@contextmanager
def _progress_bar(progress_path: Path | None, expected_cycles: int):
    """While the body runs, a bar follows the cycle count the testbench writes to
    ``progress_path``; it appears once the simulator has been built and starts."""
    if progress_path is None:
        yield
        return
    done = threading.Event()

    def follow() -> None:
        bar = None
        while not done.wait(0.5):
            if not progress_path.is_file():
                continue
            bar = bar or tqdm(total=expected_cycles, unit="cycle", unit_scale=True,
                              desc="simulated", dynamic_ncols=True)
            bar.update(int(progress_path.read_text()) - bar.n)
        if bar is not None:
            bar.close()

    follower = threading.Thread(target=follow, daemon=True)
    follower.start()
    try:
        yield
    finally:
        done.set()
        follower.join()


def _deadlock(manifest: dict, trace: dict[str, np.ndarray], results: dict) -> Deadlock:
    stopped = []
    for layer, layout in probe_layouts(manifest):
        shape = trace[layer].shape
        expected = shape[0] * int(np.prod(shape[2:])) * layout.beats_per_pixel
        beats = len(results["probes"][layer])
        if beats < expected:
            stopped.append(StoppedStream(layer, beats, expected,
                                         results["probe_last_cycles"][layer]))
    return Deadlock(results["deadlock"]["cycle"], results["deadlock"]["last_handshake"],
                    tuple(stopped))


def _report(manifest, logits, trace, results, frame_groups) -> SimulationReport:
    out_lanes, out_width = manifest["out_lanes"], manifest["out_width"]
    output_layout = StreamLayout(logits.shape[1], out_lanes, out_width, signed=True)
    got = output_layout.unpack(_words(results["output"]), logits.shape)
    exact = int((got == logits).all(axis=1).sum())
    deadlock = _deadlock(manifest, trace, results) if results["deadlock"] else None
    recorded = {layer: _words(beats) for layer, beats in results["probes"].items()}
    divergence = None if deadlock else first_divergence(probe_layouts(manifest), trace,
                                                        recorded)
    out_folds = -(-logits.shape[1] // out_lanes)
    ends = results["output_cycles"][out_folds - 1::out_folds]
    latency = results["output_cycles"][0] - results["input_cycles"][0] if ends else 0
    steady = None
    if frame_groups == 1 and len(ends) >= 3:
        steady = (ends[-1] - ends[1]) / (len(ends) - 2)  # skip the first image's fill
    return SimulationReport(len(logits), exact, divergence, deadlock, latency,
                            results["cycles"], steady,
                            manifest["ideal_cycles_per_image"],
                            tuple(results["reached_before_reset"]))
