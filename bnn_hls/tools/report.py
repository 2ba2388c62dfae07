"""``bnn-hls report OUT``: the hardware of a compiled design per layer, as Markdown + JSON with
PNG plots: cycles per image (estimate, RTL cycle model) and estimated LUTs and block RAM
(estimate, bnn_hls.hw.estimates), against a board's totals when one is given; and, when the
checkpoint is at hand, the golden model's accuracy against the shortcut width (simulation).

The folding is the design's (OUT/rtl/folding.json, written by ``compile --rtl``), else the
automatic one for the target cycles per image.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bnn_hls.backends.rtl.cycles import RTL_CYCLES
from bnn_hls.boards import Board
from bnn_hls.compiler import ir
from bnn_hls.hw.folding import Fold, auto_folding
from bnn_hls.hw.plan import DataflowPlan, build_plan
from bnn_hls.hw.plan_estimates import StageEstimate, estimate_plan, plan_total
from bnn_hls.hw.technology import Resources, Technology
from bnn_hls.yaml_file import load_yaml

if TYPE_CHECKING:
    from bnn_hls.tools.evaluate import ShortcutPoint

ESTIMATE = "estimate"
CYCLES_SOURCE = f"{ESTIMATE} (RTL cycle model)"
RESOURCES_SOURCE = f"{ESTIMATE} (bnn_hls.hw.estimates)"
ACCURACY_SOURCE = "simulation (golden model, bit-exact with the RTL and HLS C-simulation)"


@dataclass(frozen=True)
class LayerFigures:
    layer: str
    cycles_per_image: int
    resources: Resources


def design_folding(out: Path, graph: ir.Graph, target_cycles: int) -> tuple[dict[str, Fold],
                                                                             str]:
    """The folding the design in ``out`` was generated with, and where it came from."""
    path = out / "rtl" / "folding.json"
    if path.is_file():
        layers = load_yaml(path, "folding file")["layers"]  # JSON is YAML
        return {k: Fold(v["pe"], v["simd"]) for k, v in layers.items()}, str(path)
    return (auto_folding(graph, target_cycles, RTL_CYCLES),
            f"automatic for {target_cycles} cycles/image")


def design_loads_weights(out: Path) -> bool:
    """Whether the design in ``out`` was generated with every weight memory behind the weight
    port (``bnn-hls compile --rtl --load-weights``): RAMs, estimated as such."""
    path = out / "rtl" / "manifest.json"
    if not path.is_file():
        return False
    load = load_yaml(path, "RTL manifest").get("weight_load")  # JSON is YAML
    return bool(load) and any(not m["uram"] for m in load["memories"])


def layer_figures(plan: DataflowPlan, estimates: list[StageEstimate]) -> list[LayerFigures]:
    """Per IR layer (in plan order): its slowest stage's cycles and its stages' resources."""
    cycles: dict[str, int] = defaultdict(int)
    resources: dict[str, Resources] = defaultdict(Resources)
    for placed in plan.stages.values():
        cycles[placed.layer] = max(cycles[placed.layer], plan.expected_cycles[placed.name])
    for estimate in estimates:
        resources[estimate.layer] = resources[estimate.layer] + estimate.resources
    return [LayerFigures(layer, cycles[layer], resources[layer]) for layer in cycles]


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    return plt


def _plot(path: Path, names: list[str], values: list[int], ylabel: str, title: str,
          available: int | None = None) -> None:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(max(6.0, 0.22 * len(names)), 4.0))
    ax.bar(range(len(names)), values, color="tab:blue", label="per layer")
    if available is not None:
        running, total = [], 0
        for v in values:
            total += v
            running.append(total)
        ax.plot(range(len(names)), running, color="tab:orange", label="cumulative")
        ax.axhline(available, color="tab:red", linestyle="--", label="available on the board")
        ax.legend(fontsize=7)
    ax.set_xticks(range(len(names)), names, rotation=90, fontsize=6)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _plot_accuracy(path: Path, points: list[ShortcutPoint], title: str) -> None:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.0, 4.0))
    compiled = [p for p in points if p.agreement is not None]
    bits = [p.shortcut_bits for p in compiled]
    ax.plot(bits, [100 * p.agreement for p in compiled], "o-",
            label="top-1 agreement with the float model")
    if all(p.golden_accuracy is not None for p in compiled):
        ax.plot(bits, [100 * p.golden_accuracy for p in compiled], "s--",
                label="top-1 accuracy")
    ax.set_xlabel("shortcut bits (every residual tensor)")
    ax.set_ylabel("%")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_report(out: Path, graph: ir.Graph, target_cycles: int, board: Board | None,
                 accuracy: list[ShortcutPoint] | None = None) -> Path:
    """OUT/report/: report.md, report.json, cycles.png, luts.png, bram.png, and accuracy.png
    when ``accuracy`` (a shortcut-width sweep) is given."""
    folding, folding_source = design_folding(out, graph, target_cycles)
    plan = build_plan(graph, folding, RTL_CYCLES)
    technology = board.technology if board else Technology.XILINX_7SERIES
    load_weights = design_loads_weights(out)
    estimates = estimate_plan(plan, technology, RTL_CYCLES.timing, load_weights)
    figures = layer_figures(plan, estimates)
    total = plan_total(estimates)
    directory = out / "report"
    directory.mkdir(parents=True, exist_ok=True)
    names = [f.layer for f in figures]
    target = f" against {board.title}" if board else ""
    _plot(directory / "cycles.png", names, [f.cycles_per_image for f in figures],
          "cycles per image", f"{graph.name}: cycles per image per layer\n{CYCLES_SOURCE}")
    _plot(directory / "luts.png", names, [f.resources.luts for f in figures],
          "LUTs", f"{graph.name}: LUTs per layer ({technology.value})\n{RESOURCES_SOURCE}"
          f"{target}", board.resources.luts if board else None)
    _plot(directory / "bram.png", names, [f.resources.bram_bits for f in figures],
          "block RAM bits", f"{graph.name}: block RAM per layer ({technology.value})\n"
          f"{RESOURCES_SOURCE}{target}", board.resources.bram_bits if board else None)
    if accuracy:
        _plot_accuracy(directory / "accuracy.png", accuracy,
                       f"{graph.name}: accuracy against shortcut bits\n{ACCURACY_SOURCE}")
    document = {
        "model": graph.name, "folding": folding_source, "technology": technology.value,
        "board": board.name if board else None, "weights_loaded": load_weights,
        "cycles_per_image": {"value": plan.expected_cycles_per_image, "source": CYCLES_SOURCE},
        "resources": {"total": asdict(total), "source": RESOURCES_SOURCE,
                      "available": asdict(board.resources) if board else None},
        "layers": [{"layer": f.layer, "cycles_per_image": f.cycles_per_image,
                    "resources": asdict(f.resources)} for f in figures],
        "accuracy_vs_shortcut_bits": ({"source": ACCURACY_SOURCE,
                                       "points": [asdict(p) for p in accuracy]}
                                      if accuracy else None),
    }
    (directory / "report.json").write_text(json.dumps(document, indent=1) + "\n")
    (directory / "report.md").write_text(_markdown(graph, plan, figures, total, board,
                                                   technology, folding_source, accuracy,
                                                   load_weights))
    return directory


def _markdown(graph: ir.Graph, plan: DataflowPlan, figures: list[LayerFigures],
              total: Resources, board: Board | None, technology: Technology,
              folding_source: str, accuracy: list[ShortcutPoint] | None,
              load_weights: bool) -> str:
    cycles = plan.expected_cycles_per_image
    weights = ("RAMs the weight port fills at start-up (`--load-weights`)" if load_weights
               else "ROMs in the bitstream (but those in UltraRAM, loaded at start-up)")
    lines = [f"# {graph.name}: hardware report", "",
             f"Folding: {folding_source}. Every figure here is an **estimate**: cycles from the "
             f"RTL cycle model, resources from bnn_hls.hw.estimates for {technology.value} "
             f"(validated against Yosys by `python -m bnn_hls.bench_estimates`); none is "
             f"synthesis, place-and-route or simulation, except the accuracy against "
             f"shortcut bits ({ACCURACY_SOURCE}).", "",
             f"- cycles per image ({CYCLES_SOURCE}): {cycles:,}",
             f"- weights: {weights}"]
    if board:
        lines.append(f"- images/s at the board's {board.clock_mhz:g} MHz clock (assumed, "
                     f"{ESTIMATE}): "
                     f"{board.clock_mhz * 1e6 / cycles:,.1f}")
    lines += ["", "| resource | estimate | available |", "| --- | ---: | ---: |"]
    for name, value in asdict(total).items():
        available = f"{getattr(board.resources, name):,}" if board else "-"
        lines.append(f"| {name} | {value:,} | {available} |")
    lines += ["", "![cycles per image per layer](cycles.png)", "",
              "![LUTs per layer](luts.png)", "", "![block RAM per layer](bram.png)", "",
              "| layer | cycles/image | LUTs | FFs | block RAM bits | UltraRAM bits | "
              "LUTRAM bits | DSPs |", "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for f in figures:
        r = f.resources
        lines.append(f"| {f.layer} | {f.cycles_per_image:,} | {r.luts:,} | {r.ffs:,} | "
                     f"{r.bram_bits:,} | {r.uram_bits:,} | {r.lutram_bits:,} | {r.dsps:,} |")
    if accuracy:
        lines += ["", "## Accuracy against shortcut bits", "",
                  f"The design recompiled at each shortcut width, all else equal; "
                  f"{ACCURACY_SOURCE}.", "", "![accuracy against shortcut bits](accuracy.png)", "",
                  "| shortcut bits | top-1 agreement with float (%) | top-1 accuracy (%) |",
                  "| ---: | ---: | ---: |"]
        for p in accuracy:
            if p.agreement is None:
                lines.append(f"| {p.shortcut_bits} | refused: {p.refused} | |")
                continue
            top1 = "-" if p.golden_accuracy is None else f"{100 * p.golden_accuracy:.2f}"
            lines.append(f"| {p.shortcut_bits} | {100 * p.agreement:.2f} | {top1} |")
    return "\n".join(lines) + "\n"
