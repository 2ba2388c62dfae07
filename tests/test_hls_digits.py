"""The whole digits network as HLS C++: generated from the shipped checkpoint, checked against
the synthesizable subset, and C-simulated with g++ bit-exact with the golden model on every
test image, layer by layer."""

import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from hls_checks import port_violations, stream_use_violations, subset_violations

from bnn_hls.backends.golden.model import GoldenModel
from bnn_hls.backends.hls.design import LIBRARY, HlsDesign, input_pixels_per_stage
from bnn_hls.compiler.pipeline import compile_model
from bnn_hls.data import digits_split
from bnn_hls.errors import BnnHlsError
from bnn_hls.hw.layout import StreamLayout
from bnn_hls.hw.plan import PlacedStage
from bnn_hls.hw.stages import FifoStage
from bnn_hls.tools.csim import CsimModel, csim, generate_hls

# One xdist worker runs the whole module: its build, in a module fixture's directory, once.
pytestmark = pytest.mark.xdist_group("digits_hls")

SHIPPED = Path(__file__).resolve().parent.parent / "examples" / "digits" / "birealnet_digits.pt"


@pytest.fixture(scope="module")
def digits():
    return digits_split()


@pytest.fixture(scope="module")
def design(digits, tmp_path_factory):
    compiled = compile_model(SHIPPED, calibration_pixels=digits.train_x)
    out = tmp_path_factory.mktemp("digits_hls")
    plan, hls_design = generate_hls(compiled.graph, out, target_cycles=2048)
    return compiled.graph, plan, hls_design, CsimModel(out / "hls")


def test_every_test_image_bit_exact_at_every_layer(design, digits):
    graph, _, _, model = design
    report = csim(graph, model.dir, digits.test_x, model)
    assert report.divergence is None, report.divergence.describe()
    assert report.exact_images == len(digits.test_x) == 450


def test_predict_gives_the_golden_logits(design, digits):
    graph, _, _, model = design
    pixels = digits.test_x[:20]
    np.testing.assert_array_equal(model.predict(pixels), GoldenModel(graph).run(pixels))


def test_peaks_beside_the_planned_depths(design, digits):
    _, plan, hls_design, model = design
    model.predict(digits.test_x[:3])
    peaks = {name: (peak, depth) for name, peak, depth in model.peaks()}
    skips = [c for c in plan.channels if c.depth]
    assert skips
    pixels = input_pixels_per_stage(plan, 64)
    for channel in skips:
        name = f"{channel.source.stage}_{channel.source.port}"
        # Sequential C-sim: the fork writes a whole image before the adder reads any.
        whole_image = pixels[channel.sink.stage] * channel.layout.beats_per_pixel
        assert peaks[name] == (whole_image, channel.depth)
    assert all(depth >= 2 for _, depth in peaks.values())


def test_a_wrong_weight_is_localised_to_its_layer(design, digits, tmp_path):
    graph, _, _, model = design
    broken = tmp_path / "hls"
    shutil.copytree(model.dir, broken, ignore=shutil.ignore_patterns("build"))
    weights = broken / "bnn_top_weights.h"
    text = weights.read_text()
    name = "layer1_0_binary_conv_mvu_weights"
    start = text.index(f"{name}[")
    first = re.compile(r"0x([0-9a-f]+)ULL").search(text, start)
    flipped = f"{int(first.group(1), 16) ^ 1:#x}ULL"
    weights.write_text(text[:first.start()] + flipped + text[first.end():])
    report = csim(graph, broken, digits.test_x[:8])
    assert report.divergence is not None
    assert report.divergence.layer == "layer1.0.binary_conv"


def test_generated_code_is_in_the_synthesizable_subset(design):
    _, _, hls_design, model = design
    for name in (*LIBRARY, "bnn_top.cpp", "bnn_top.h", "bnn_top_weights.h"):
        assert subset_violations(model.dir / name) == [], name
    assert stream_use_violations(model.dir / "bnn_top.cpp") == []
    assert port_violations(model.dir / "bnn_top.cpp", hls_design.top) == []
    top = (model.dir / "bnn_top.cpp").read_text()
    assert "#pragma HLS DATAFLOW" in top
    for stream in hls_design.streams:
        assert f"#pragma HLS STREAM variable={stream.name} depth={stream.depth}" in top


def test_the_checks_catch_what_they_look_for(tmp_path):
    bad = tmp_path / "bad.h"
    bad.write_text("int f(int x) { std::vector<int> v; int* p = new int; while (x) {}\n"
                   "return f(x - 1); }\n")
    found = subset_violations(bad)
    assert len(found) == 4 and any("calls itself" in f for f in found)


@pytest.mark.parametrize("width, message", [
    (8, r"layer 'layer1\.0\.bn1': no HLS kernel for FifoStage"),
    (65, r"layer 'layer1\.0\.bn1': 65-bit elements on port 'in'; the HLS kernels take at "
         r"most 64"),
])
def test_an_unsupported_stage_names_its_layer(design, width, message):
    _, plan, _, _ = design
    broken = type(plan)(plan.name, plan.model, plan.backend, plan.folding,
                        dict(plan.stages), plan.channels, plan.probes, plan.input, plan.output)
    name = next(n for n, p in plan.stages.items() if p.layer == "layer1.0.bn1")
    broken.stages[name] = PlacedStage(name, "layer1.0.bn1",
                                      FifoStage(StreamLayout(4, 4, width, True), 4))
    with pytest.raises(BnnHlsError, match=message):
        HlsDesign(broken, 64)
