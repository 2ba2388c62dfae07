"""Networks whose XNOR popcounts are technology-mapped (``bnn-hls compile --technology``),
simulated with the primitive models that ship with Yosys, equal to the golden model bit for
bit at every layer: a small network (one layer folded, with its weights in ROM; the others
fully unrolled, weights hard-wired into the lanes; pipelined at the default 200 MHz) per
family, and the whole digits network.
The simulations are slow (Verilator builds every distinct LUT table as its own model class:
about 6 minutes for the small network here); the default suite lints the small network."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bnn_hls.backends.rtl.cycles import RTL_CYCLES
from bnn_hls.backends.rtl.mvu import XnorMvuTile
from bnn_hls.backends.rtl.network import RtlDesign
from bnn_hls.compiler import ir
from bnn_hls.compiler.pipeline import compile_model
from bnn_hls.data import digits_split
from bnn_hls.hw.folding import Fold, mvu_shapes
from bnn_hls.hw.plan import build_plan
from bnn_hls.hw.technology import Technology
from bnn_hls.model import ArchConfig, birealnet, randomise_birealnet
from bnn_hls.tools.simulate import generate_rtl, simulate
from bnn_hls.tools.slang import slang_errors
from bnn_hls.tools.vendor_models import sim_models
from bnn_hls.tools.verilator import lint

FAMILIES = (Technology.XILINX_7SERIES, Technology.XILINX_ULTRASCALE_PLUS,
            Technology.LATTICE_ECP5)
SHIPPED = Path(__file__).resolve().parent.parent / "examples" / "digits" / "birealnet_digits.pt"
SMALL = ArchConfig.from_dict({
    "name": "small", "in_channels": 1, "input_size": 6, "num_classes": 3,
    "stem": {"channels": 5, "kernel": 3, "stride": 1, "maxpool": None},
    "stages": [{"channels": 5, "blocks": 1, "stride": 1},
               {"channels": 6, "blocks": 1, "stride": 2}],
    "input_norm": {"scale": 1 / 255, "mean": [0.4], "std": [0.3], "pixel_bits": 8}})


def mvu_tiles(design: RtlDesign) -> list[XnorMvuTile]:
    return [t for t in design.tiles.values() if isinstance(t, XnorMvuTile)]


def small_network(tmp_path: Path, technology: Technology) -> tuple[ir.Graph, list[Path]]:
    """Its graph and sources, written to ``tmp_path``."""
    graph = compile_model(randomise_birealnet(birealnet(SMALL), seed=2)).graph
    shapes = mvu_shapes(graph)
    folding = {s.name: Fold(s.out_channels, s.fan_in) for s in shapes}
    folded = next(s for s in shapes if s.name.endswith("binary_conv"))
    folding[folded.name] = Fold(-(-folded.out_channels // 2), -(-folded.fan_in // 2))
    design = RtlDesign(build_plan(graph, folding, RTL_CYCLES), technology=technology)
    tiles = mvu_tiles(design)
    assert all(t.mapped and t.popcount_stages for t in tiles)  # pipelined at 200 MHz
    assert any(t.hard_wired for t in tiles) and not all(t.hard_wired for t in tiles)
    return graph, design.write(tmp_path)


def test_small_network_with_mapped_lanes_is_lint_clean(tmp_path):
    models = sim_models(Technology.XILINX_7SERIES, tmp_path / "models")
    _, sources = small_network(tmp_path, Technology.XILINX_7SERIES)
    sources += models.sources
    warnings = models.own_warnings(lint(sources, "bnn_top", list(models.args)))
    assert not warnings, "\n".join(warnings)
    errors = models.own_errors(slang_errors(sources, "bnn_top"))
    assert not errors, "\n".join(errors)


@pytest.mark.slow
@pytest.mark.parametrize("technology", FAMILIES, ids=lambda t: t.value)
def test_small_network_with_mapped_lanes_bit_exact(tmp_path, technology):
    graph, _ = small_network(tmp_path, technology)
    pixels = np.random.default_rng(3).integers(0, 256, (2, 1, 6, 6))
    report = simulate(graph, tmp_path, pixels)
    assert report.divergence is None, report.divergence.describe()
    assert report.exact_images == 2


@pytest.mark.slow
@pytest.mark.parametrize("technology", [Technology.XILINX_7SERIES, Technology.LATTICE_ECP5],
                         ids=lambda t: t.value)
def test_digits_network_with_mapped_lanes_bit_exact(tmp_path, technology):
    digits = digits_split()
    graph = compile_model(SHIPPED, calibration_pixels=digits.train_x).graph
    generate_rtl(graph, tmp_path, target_cycles=2048, technology=technology)
    report = simulate(graph, tmp_path / "rtl", digits.test_x[:4], stall_in=0.2, stall_out=0.2)
    assert report.divergence is None, report.divergence.describe()
    assert report.exact_images == 4
