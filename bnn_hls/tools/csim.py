"""Generate the HLS C++ of a compiled model and C-simulate it with g++ against the golden model.

The generated top and a small C ABI are built into a shared library and driven through
ctypes: ``CsimModel.predict`` gives integer logits, ``CsimModel.trace`` also every probed
stream's beats, compared with the golden trace by ``hw.verify.first_divergence`` exactly as
the RTL simulation is. A read from an empty stream (a deadlock in hardware) or data left in
a stream is an error, and every stream's peak occupancy is reported beside its depth.
"""

from __future__ import annotations

import ctypes
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bnn_hls.backends.golden.model import GoldenModel
from bnn_hls.backends.hls.cycles import HLS_CYCLES
from bnn_hls.backends.hls.design import HlsDesign
from bnn_hls.compiler import ir
from bnn_hls.errors import BnnHlsError
from bnn_hls.hw.folding import Fold, auto_folding
from bnn_hls.hw.intervals import ceil_div
from bnn_hls.hw.layout import LIMB_BITS, StreamLayout, words_from_limbs
from bnn_hls.hw.plan import DataflowPlan, build_plan
from bnn_hls.hw.verify import Divergence, first_divergence
from bnn_hls.tools.gxx import build_shared_library
from bnn_hls.tools.simulate import probe_layouts

TOP = "bnn_top"
DEFAULT_PART = "xczu7ev-ffvc1156-2-e"
DEFAULT_CLOCK_NS = 5.0


def generate_hls(graph: ir.Graph, outdir: Path, folding: dict[str, Fold] | None = None,
                 target_cycles: int = 2048, part: str = DEFAULT_PART,
                 clock_ns: float = DEFAULT_CLOCK_NS) -> tuple[DataflowPlan, HlsDesign]:
    """Plan the dataflow under the HLS cycle model and write its C++ and Vitis project under
    ``outdir``/hls; with test vectors in ``outdir``/vectors, also their beats for the
    project's testbench."""
    folding = folding or auto_folding(graph, target_cycles, HLS_CYCLES)
    plan = build_plan(graph, folding, HLS_CYCLES, TOP)
    _, height, width = graph.tensors[graph.input].shape
    design = HlsDesign(plan, height * width)
    design.write(Path(outdir) / "hls")
    design.write_project(Path(outdir) / "hls", part, clock_ns)
    vectors = Path(outdir) / "vectors"
    if (vectors / "inputs.npy").is_file():
        write_testbench_beats(graph, plan, vectors)
    return plan, design


def write_testbench_beats(graph: ir.Graph, plan: DataflowPlan, vectors: Path) -> None:
    """The test inputs and the golden logits as the top's port beats, one hex word a line."""
    pixels = np.load(vectors / "inputs.npy")
    logits = GoldenModel(graph).run(pixels)
    for name, layout, values in (("input", plan.input_layout, pixels),
                                 ("output", plan.output_layout, logits)):
        (vectors / f"hls_{name}_beats.txt").write_text(
            "".join(f"{word:x}\n" for word, _ in layout.pack(values)))


class CsimModel:
    """A design directory (``compile --hls``) built with g++ and loaded with ctypes."""

    def __init__(self, hls_dir: Path):
        self.dir = Path(hls_dir)
        try:
            self.manifest = json.loads((self.dir / "manifest.json").read_text())
        except FileNotFoundError:
            raise BnnHlsError(f"{self.dir}: no manifest.json; compile with --hls first") from None
        top = self.manifest["top"]
        started = time.perf_counter()
        library = build_shared_library(
            [self.dir / f"{top}.cpp", self.dir / "csim" / f"{top}_csim.cpp"],
            [self.dir / "csim", self.dir], self.dir / "csim" / "build",
            {"AP_INT_MAX_W": self.manifest["max_word_width"]})
        self.build_seconds = time.perf_counter() - started
        self.lib = ctypes.CDLL(str(library))
        self.lib.bnn_csim_run.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p]
        self.lib.bnn_csim_error.restype = ctypes.c_char_p
        self.lib.bnn_csim_trace.argtypes = [ctypes.c_char_p]
        self.lib.bnn_csim_copy_trace.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
        for name in ("bnn_csim_traced_words", "bnn_csim_peak"):
            getattr(self.lib, name).argtypes = [ctypes.c_char_p]
            getattr(self.lib, name).restype = ctypes.c_long
        for probe in self.manifest["probes"]:
            self.lib.bnn_csim_trace(probe["stream"].encode())
        port = self.manifest["input"]
        self.input_layout = StreamLayout(port["channels"], port["lanes"], port["width"],
                                         signed=False)
        port = self.manifest["output"]
        self.output_layout = StreamLayout(port["channels"], port["lanes"], port["width"],
                                          signed=True)

    def _run(self, pixels: np.ndarray, tracing: bool) -> np.ndarray:
        images = len(pixels)
        data = self.input_layout.pack_limbs(pixels)
        out_beats = images * self.manifest["output"]["beats"]
        out = np.zeros((out_beats, self.output_layout.limbs_per_beat), dtype=np.uint64)
        self.lib.bnn_csim_clear()
        self.lib.bnn_csim_tracing(int(tracing))
        if self.lib.bnn_csim_run(data.ctypes.data, images, out.ctypes.data):
            raise BnnHlsError(f"C-sim of {self.dir}: {self.lib.bnn_csim_error().decode()}")
        return self.output_layout.unpack_limbs(out, (images, self.output_layout.channels))

    def predict(self, pixels: np.ndarray) -> np.ndarray:
        """Raw pixels [N, C, H, W] -> integer logits [N, classes]."""
        return self._run(pixels, tracing=False)

    def trace(self, pixels: np.ndarray) -> tuple[np.ndarray, dict[str, list[int]]]:
        """Logits and, per probed layer, the tdata of every beat its stream carried."""
        logits = self._run(pixels, tracing=True)
        recorded = {}
        for probe in self.manifest["probes"]:
            name = probe["stream"].encode()
            limbs = ceil_div(probe["beat_width"], LIMB_BITS)
            words = np.zeros(max(self.lib.bnn_csim_traced_words(name), 0), dtype=np.uint64)
            self.lib.bnn_csim_copy_trace(name, words.ctypes.data)
            recorded[probe["layer"]] = words_from_limbs(words.reshape(-1, limbs))
        return logits, recorded

    def peaks(self) -> list[tuple[str, int, int]]:
        """(stream, C-sim peak occupancy, depth) of every internal stream, since the last run."""
        return [(s["name"], self.lib.bnn_csim_peak(s["name"].encode()), s["depth"])
                for s in self.manifest["streams"]]


@dataclass(frozen=True)
class CsimReport:
    images: int
    exact_images: int
    divergence: Divergence | None
    build_seconds: float
    peaks: list[tuple[str, int, int]]

    def summary(self) -> str:
        lines = [f"{self.exact_images}/{self.images} images bit-exact with the golden model "
                 f"(g++ C-sim, build {self.build_seconds:.1f} s)"]
        if self.divergence:
            lines.append(self.divergence.describe())
        skips = [p for p in self.peaks if p[2] > 2]
        lines.append("C-sim peak occupancy (sequential C-sim holds whole tensors) beside "
                     "the planned depth, buffered channels:")
        lines += [f"  {name}: peak {peak} beats, depth {depth}" for name, peak, depth in skips]
        return "\n".join(lines)


def csim(graph: ir.Graph, hls_dir: Path, pixels: np.ndarray,
         model: CsimModel | None = None) -> CsimReport:
    """C-simulate ``pixels`` through the design in ``hls_dir`` (or an already built
    ``model`` of it) and compare every probed stream with the golden model."""
    model = model or CsimModel(hls_dir)
    expected, golden_trace = GoldenModel(graph).run(pixels, trace=True)
    logits, recorded = model.trace(pixels)
    exact = int((logits == expected).all(axis=1).sum())
    divergence = first_divergence(probe_layouts(model.manifest), golden_trace, recorded)
    return CsimReport(len(pixels), exact, divergence, model.build_seconds, model.peaks())
