"""The whole digits network in RTL: generated from the shipped checkpoint, linted, and
simulated on Verilator against the golden model bit for bit, layer by layer."""

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from bnn_hls.backends.rtl.cycles import RTL_CYCLES
from bnn_hls.backends.rtl.network import RtlDesign
from bnn_hls.backends.rtl.streams import RegisterSliceTile
from bnn_hls.compiler.config import CompileConfig
from bnn_hls.compiler.pipeline import compile_model
from bnn_hls.data import digits_split
from bnn_hls.errors import BnnHlsError
from bnn_hls.hw.folding import auto_folding
from bnn_hls.hw.layout import StreamLayout
from bnn_hls.hw.plan import build_plan
from bnn_hls.hw.verify import first_divergence
from bnn_hls.model import ArchConfig, BiRealNet
from bnn_hls.tools.simulate import Drive, generate_rtl, simulate
from bnn_hls.tools.slang import slang_errors
from bnn_hls.tools.verilator import lint
from bnn_hls.tools.yosys import synth

# One xdist worker runs the whole module: its build, in a module fixture's directory, once.
pytestmark = pytest.mark.xdist_group("digits_rtl")

SHIPPED = Path(__file__).resolve().parent.parent / "examples" / "digits" / "birealnet_digits.pt"


@pytest.fixture(scope="module")
def digits():
    return digits_split()


@pytest.fixture(scope="module")
def design(digits, tmp_path_factory):
    compiled = compile_model(SHIPPED, calibration_pixels=digits.train_x)
    out = tmp_path_factory.mktemp("digits_rtl")
    _, sources = generate_rtl(compiled.graph, out, target_cycles=2048)
    return compiled.graph, out / "rtl", sources


def test_top_level_is_lint_clean(design):
    _, _, sources = design
    assert lint(sources, "bnn_top") == ""
    assert slang_errors(sources, "bnn_top") == []


def test_manifest_names_language_sources_and_memory_files(design):
    _, rtl, sources = design
    manifest = json.loads((rtl / "manifest.json").read_text())
    assert manifest["language"] == "SystemVerilog-2012"
    assert manifest["sources"] == [s.name for s in sources] and sources[-1].name == "bnn_top.sv"
    assert all(name.endswith(".sv") for name in manifest["sources"])
    assert manifest["memory_files"] and all((rtl / m).is_file() for m in manifest["memory_files"])
    # $readmemh names each ROM file bare, so a Vivado or Quartus project with the sources
    # and memory files added finds it
    text = "".join(s.read_text() for s in sources)
    for name in manifest["memory_files"]:
        assert f'$readmemh("{name}"' in text


def test_no_ready_path_spans_two_tiles(design):
    # a register slice wherever the consumer's ready follows its output and the producer's
    # ready feeds its own output logic, or a row buffer's read (the XNOR MVU's ready comes
    # from its registers: it needs none)
    graph, _, _ = design
    plan = build_plan(graph, auto_folding(graph, 2048, RTL_CYCLES), RTL_CYCLES, "bnn_top")
    kinds = {c: (type(plan.stages[c.source.stage].stage).__name__,
                 type(plan.stages[c.sink.stage].stage).__name__) for c in plan.channels}
    sliced = {kinds[c] for c in plan.channels if c.register_slice}
    assert {("WindowStage", "RealMvuStage"), ("PoolStage", "ForkStage"),
            ("RealMvuStage", "AffineStage"), ("ShortcutStage", "ForkStage")} <= sliced
    assert not {k for k in sliced if "XnorMvuStage" in k}
    assert not any(c.register_slice for c in plan.channels if c.depth)
    plain = {kinds[c] for c in plan.channels if not (c.register_slice or c.depth)}
    assert not plain & sliced
    # the RTL puts a slice tile on exactly the marked channels
    rtl = RtlDesign(plan)
    slices = [n for n, t in rtl.tiles.items() if isinstance(t, RegisterSliceTile)]
    assert sorted(slices) == sorted(f"{c.sink.stage}_{c.sink.port}_slice"
                                    for c in plan.channels if c.register_slice)


def test_bit_exact_under_random_stalls_and_resets(design, digits):
    graph, rtl, _ = design
    report = simulate(graph, rtl, digits.test_x[:6], frame_groups=2, stall_in=0.3,
                      stall_out=0.3, seed=7)
    assert report.divergence is None, report.divergence.describe()
    assert report.exact_images == 6


def test_back_to_back_images_at_full_rate(design, digits):
    graph, rtl, _ = design
    report = simulate(graph, rtl, digits.test_x[6:11])
    assert report.exact_images == 5 and report.divergence is None
    # Cycle counts are deterministic; the ideal is a lower bound no design can beat.
    assert report.cycles_per_image >= report.ideal_cycles_per_image
    assert report.ideal_cycles_per_image / report.cycles_per_image >= 0.95
    assert report.latency_cycles > 0


def test_bit_exact_when_driven_axi4_stream_compliant_under_random_stalls(design, digits):
    graph, rtl, _ = design
    report = simulate(graph, rtl, digits.test_x[11:15], stall_in=0.4, stall_out=0.4, seed=3,
                      drive=Drive.COMPLIANT)
    assert report.deadlock is None and report.divergence is None, report.summary(100)
    assert report.exact_images == 4


def test_bit_exact_on_fresh_frames_after_a_reset_in_the_middle_of_a_frame(design, digits):
    graph, rtl, _ = design
    report = simulate(graph, rtl, digits.test_x[15:18], stall_in=0.2, stall_out=0.2, seed=5,
                      reset_mid_frame=True)
    assert report.deadlock is None and report.divergence is None, report.summary(100)
    assert report.exact_images == 3
    # The abandoned half frame was deep inside the design when the reset came.
    assert "layer2.0.binary_conv" in report.reached_before_reset


# Its own Verilator build of the digits network (167 s of make test's 900 s budget); the
# default suite reports a deadlock one beat below the geometric need in test_skip_fifo.py.
@pytest.mark.slow
def test_a_too_small_skip_fifo_is_reported_as_a_deadlock(design, digits, tmp_path):
    # Two-beat skip FIFOs, far below the geometric need: the residual fork stalls for good.
    graph = design[0]
    plan = build_plan(graph, auto_folding(graph, 2048, RTL_CYCLES), RTL_CYCLES)
    tiny = [dataclasses.replace(c, depth=2) if c.depth else c for c in plan.channels]
    RtlDesign(dataclasses.replace(plan, channels=tiny)).write(tmp_path)
    report = simulate(graph, tmp_path, digits.test_x[:2])
    assert report.divergence is None and report.deadlock is not None
    deadlock = report.deadlock
    assert deadlock.cycle - deadlock.last_handshake == 1000 + 2 * report.ideal_cycles_per_image
    assert report.exact_images == 0
    # Every layer stopped short; only those before the first block's fork ever moved.
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert [s.layer for s in deadlock.stopped] == [p["layer"] for p in manifest["probes"]]
    moved = [s for s in deadlock.stopped if s.beats]
    assert [s.layer for s in moved] == ["input_quant", "conv1", "bn1", "maxpool"]
    assert max(s.last_cycle for s in moved) == deadlock.last_handshake
    assert report.summary(100).splitlines()[1] == deadlock.describe()
    assert deadlock.describe().startswith(
        f"deadlock: no stream moved for {1000 + 2 * report.ideal_cycles_per_image} cycles "
        f"after cycle {deadlock.last_handshake}; stopped short: layer 'input_quant' "
        f"({moved[0].beats} of {moved[0].expected} beats, last at cycle "
        f"{moved[0].last_cycle})")


def test_a_wrong_weight_is_localised_to_its_layer(design, digits):
    graph, rtl, _ = design
    rom = rtl / "mvu_layer2_0_binary_conv_mvu_pe0.mem"
    original = rom.read_text()
    rows = original.split()
    rows[2] = f"{int(rows[2], 16) ^ 1:0{len(rows[2])}x}"  # channel 1's first weight bit
    rom.write_text("\n".join(rows) + "\n")
    try:
        report = simulate(graph, rtl, digits.test_x[:1])
    finally:
        rom.write_text(original)
    folding = json.loads((rtl / "folding.json").read_text())["layers"]
    fold = folding["layer2.0.binary_conv"]
    assert report.divergence is not None
    assert report.divergence.layer == "layer2.0.binary_conv"
    assert report.divergence.channel == 2 // -(-288 // fold["simd"]) * fold["pe"]


def test_first_divergence_names_layer_channel_and_pixel():
    layout = StreamLayout(3, 2, 4, signed=True)
    probes = [("a", layout), ("b", layout)]
    trace = {"a": np.arange(12).reshape(1, 3, 2, 2) % 7 - 3,
             "b": np.zeros((1, 3, 2, 2), dtype=np.int64)}

    def beats(x):
        return [d for d, _ in layout.pack(x)]

    broken_b = trace["b"].copy()
    broken_b[0, 2, 1, 0] = -1
    assert first_divergence(probes, trace, {"a": beats(trace["a"]), "b": beats(trace["b"])}) \
        is None
    found = first_divergence(probes, trace, {"a": beats(trace["a"]), "b": beats(broken_b)})
    assert (found.layer, found.image, found.channel, found.pixel) == ("b", 0, 2, (1, 0))
    assert (found.got, found.expected) == (-1, 0)
    missing = first_divergence(probes, trace, {"a": beats(trace["a"])[:3], "b": []})
    assert missing.layer == "a" and missing.got is None


@pytest.mark.slow  # ~2 min of synth_xilinx; the tiles are synthesized one by one in the
# default suite and the whole network again by the ECP5 board build (slow)
def test_yosys_synthesizes_the_top_without_latches(design):
    _, rtl, sources = design
    stats = synth(sources, "bnn_top", rtl)
    assert stats.latches == 0
    assert stats.luts > 1000  # the whole network, not an optimised-away shell
    assert stats.count("RAMB18E1", "RAMB36E1", "RAM32M", "RAM64M") > 0  # buffers map to RAM


def wide_format_design(digits, tmp_path):
    # Forced integer bits leave the shortcut formats wider than their values need, so the
    # pools feeding the real MVUs carry more bits than the IR formats of their inputs.
    config = CompileConfig(shortcut_int_bits=12, shortcut_bits=24)
    compiled = compile_model(SHIPPED, config, calibration_pixels=digits.train_x)
    _, sources = generate_rtl(compiled.graph, tmp_path, target_cycles=4096)  # few lanes
    return compiled.graph, sources


def test_formats_wider_than_their_range_still_connect(digits, tmp_path):
    _, sources = wide_format_design(digits, tmp_path)
    assert lint(sources, "bnn_top") == ""  # -Wall: every width mismatch is a warning


@pytest.mark.slow  # its own Verilator build of the digits network: ~90 s on 2 cores
def test_formats_wider_than_their_range_are_bit_exact(digits, tmp_path):
    graph, _ = wide_format_design(digits, tmp_path)
    report = simulate(graph, tmp_path / "rtl", digits.test_x[:2])
    assert report.exact_images == 2 and report.divergence is None


def test_unsupported_shape_is_a_one_line_error_naming_the_layer(tmp_path):
    arch = ArchConfig.from_dict({
        "name": "one-pixel", "in_channels": 1, "input_size": 2, "num_classes": 3,
        "stem": {"channels": 4, "kernel": 3, "stride": 1, "maxpool": None},
        "stages": [{"channels": 8, "blocks": 1, "stride": 2},
                   {"channels": 8, "blocks": 1, "stride": 1}],  # a 3x3 window on 1x1
        "input_norm": {"scale": 1.0, "mean": [0.0], "std": [1.0]}})
    compiled = compile_model(BiRealNet(arch).eval())
    with pytest.raises(BnnHlsError, match="layer 'layer2.0.binary_conv'"):
        generate_rtl(compiled.graph, tmp_path)


def test_a_stall_probability_of_one_is_a_one_line_error(tmp_path):
    # It would never let a beat through, and the watchdog's window scales with 1 / (1 - stall).
    with pytest.raises(BnnHlsError, match=r"^stall_out 1.0 must be in \[0, 1\)$"):
        simulate(None, tmp_path, np.zeros((1, 1, 8, 8), dtype=np.uint8), stall_out=1.0)
