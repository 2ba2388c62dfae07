"""The command line: outputs of compile/report, and one clear line for every bad input."""

import json
import shutil

import numpy as np
import pytest
import torch

from bnn_hls.backends.golden.model import GoldenModel
from bnn_hls.cli import build_parser, main
from bnn_hls.compiler.serialize import load_graph
from bnn_hls.model import birealnet, save_checkpoint


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("ckpt") / "digits.pt"
    save_checkpoint(birealnet("digits").eval(), path)
    return path


def run_cli(args, capsys):
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_one_line_error(code, err, *needles):
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("bnn-hls: error: "), err
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_compile_writes_every_artifact(checkpoint, tmp_path, capsys):
    out = tmp_path / "out"
    code, stdout, _ = run_cli(["compile", checkpoint, "-o", out, "--vectors", "4"], capsys)
    assert code == 0
    for name in ("ir.txt", "ir.json", "weights.npz", "numerics.txt", "cost.txt", "summary.json"):
        assert (out / name).stat().st_size > 0
    assert "(ir.txt, ir.json, weights.npz, numerics.txt, cost.txt, vectors/, summary.json)" \
        in stdout
    summary = json.loads((out / "summary.json").read_text())
    assert summary["faithfulness"]["images"] == 450
    assert np.load(out / "vectors" / "inputs.npy").shape == (4, 1, 8, 8)
    trace = np.load(out / "vectors" / "trace.npz")
    assert trace["fc.bias"].shape == (4, 10)
    mem = (out / "vectors" / "weights" / "layer1.0.binary_conv.mem").read_text().split()
    assert len(mem) == 32 and all(len(line) == 72 for line in mem)  # 288 bits = 72 hex digits
    assert "top-1 agreement" in stdout


def test_demo_takes_every_option_compile_hands_to_the_rtl():
    # cmd_demo runs cmd_compile with --rtl on its own arguments: any option compile has and
    # demo lacks is an AttributeError at the end of a long demo.
    parser = build_parser()
    compile_args = vars(parser.parse_args(["compile", "m.pt", "-o", "out", "--rtl"]))
    demo_args = vars(parser.parse_args(["demo", "m.pt", "-o", "out"]))
    hls_only = {"rtl", "hls", "part", "clock_ns"}  # demo sets rtl/hls itself
    assert set(compile_args) - hls_only <= set(demo_args)


def test_report_bireal18_matches_paper_counts(capsys):
    code, stdout, _ = run_cli(["report", "--arch", "birealnet18"], capsys)
    assert code == 0
    # The paper reports 1.63e8 FLOPs and 33.6 Mbit for Bi-Real-18.
    assert "FLOPs (paper's count) 1.6" in stdout
    assert "memory 33.5" in stdout


@pytest.mark.parametrize("content, needle", [
    (None, "no such checkpoint file"),
    (b"\x00garbage" * 50, "not a readable PyTorch checkpoint"),
])
def test_bad_checkpoint_files(tmp_path, capsys, content, needle):
    path = tmp_path / "model.pt"
    if content is not None:
        path.write_bytes(content)
    code, _, err = run_cli(["compile", path, "-o", tmp_path / "o"], capsys)
    assert_one_line_error(code, err, str(path), needle)


def test_checkpoint_needing_code_is_refused(tmp_path, capsys):
    path = tmp_path / "code.pt"
    torch.save({"state_dict": {}, "hook": np.random.default_rng(0)}, path)
    code, _, err = run_cli(["compile", path, "-o", tmp_path / "o"], capsys)
    assert_one_line_error(code, err, "refused")


def test_mis_shaped_and_missing_keys(checkpoint, tmp_path, capsys):
    raw = torch.load(checkpoint, weights_only=True)
    raw["state_dict"]["layer1.0.bn1.weight"] = torch.ones(7)
    path = tmp_path / "shape.pt"
    torch.save(raw, path)
    code, _, err = run_cli(["compile", path, "-o", tmp_path / "o"], capsys)
    assert_one_line_error(code, err, "layer1.0.bn1.weight", "shape")
    del raw["state_dict"]["layer1.0.bn1.weight"]
    torch.save(raw, path)
    code, _, err = run_cli(["compile", path, "-o", tmp_path / "o"], capsys)
    assert_one_line_error(code, err, "missing key 'layer1.0.bn1.weight'")


@pytest.mark.parametrize("key, value, needle", [
    ("layer1.1.binary_conv.weights", float("nan"), "NaN"),
    ("layer2.0.bn1.running_var", 0.0, "layer2.0.bn1"),
])
def test_bad_values_name_the_layer(checkpoint, tmp_path, capsys, key, value, needle):
    raw = torch.load(checkpoint, weights_only=True)
    raw["state_dict"][key].view(-1)[0] = value
    path = tmp_path / "bad.pt"
    torch.save(raw, path)
    code, _, err = run_cli(["compile", path, "-o", tmp_path / "o"], capsys)
    assert_one_line_error(code, err, needle)


def test_unknown_compile_config_field(checkpoint, tmp_path, capsys):
    config = tmp_path / "compile.yaml"
    config.write_text("shortcut_bits: 12\nshortcut_bitz: 3\n")
    code, _, err = run_cli(["compile", checkpoint, "-o", tmp_path / "o", "--config", config],
                           capsys)
    assert_one_line_error(code, err, str(config), "shortcut_bitz")


def test_unknown_arch_field(checkpoint, tmp_path, capsys):
    arch = tmp_path / "arch.yaml"
    arch.write_text("name: x\nin_channels: 1\ninput_size: 8\nnum_classes: 10\n"
                    "stem: {channels: 8, kernel: 3, stride: 1, maxpool: null}\n"
                    "stages: [{channels: 8, blocks: 1, stride: 1, dilation: 2}]\n"
                    "input_norm: {scale: 1.0, mean: [0.0], std: [1.0]}\n")
    code, _, err = run_cli(["compile", checkpoint, "-o", tmp_path / "o", "--arch", arch], capsys)
    assert_one_line_error(code, err, "dilation")


def test_compile_rtl_then_simulate_without_the_checkpoint(tmp_path, capsys):
    checkpoint = tmp_path / "digits.pt"
    shutil.copy("examples/digits/birealnet_digits.pt", checkpoint)
    out = tmp_path / "out"
    # Few lanes (a long target) keep the Verilator build short.
    code, stdout, _ = run_cli(["compile", checkpoint, "-o", out, "--rtl", "--target-cycles",
                               "8192"], capsys)
    assert code == 0 and (out / "rtl" / "bnn_top.sv").is_file()
    assert "ir.json, weights.npz" in stdout
    folding = json.loads((out / "rtl" / "folding.json").read_text())
    assert folding["ideal_cycles_per_image"] <= 8192
    checkpoint.unlink()  # simulate starts from the saved integer IR, not the checkpoint
    written = np.load(out / "vectors" / "trace.npz")  # by compile, from the compiled graph
    _, trace = GoldenModel(load_graph(out)).run(np.load(out / "vectors" / "inputs.npy"),
                                                trace=True)
    assert sorted(trace) == sorted(written.files)
    for name, values in trace.items():
        assert np.array_equal(values, written[name]), name
    code, stdout, err = run_cli(["simulate", out, "-n", "3", "--stall", "0.2"], capsys)
    assert code == 0, err
    assert "3/3 images bit-exact with the golden model" in stdout


def test_simulate_without_compile_output(tmp_path, capsys):
    code, _, err = run_cli(["simulate", tmp_path], capsys)
    assert_one_line_error(code, err, f"{tmp_path}/ir.json: no such file")


def test_simulate_without_compiled_rtl(checkpoint, tmp_path, capsys):
    code, _, _ = run_cli(["compile", checkpoint, "-o", tmp_path, "--vectors", "1"], capsys)
    assert code == 0
    code, _, err = run_cli(["simulate", tmp_path], capsys)
    assert_one_line_error(code, err, f"{tmp_path}: no rtl/")


def test_folding_config_names_unknown_layer(checkpoint, tmp_path, capsys):
    folding = tmp_path / "fold.yaml"
    folding.write_text("layer9.0.binary_conv: {pe: 2, simd: 8}\n")
    code, _, err = run_cli(["compile", checkpoint, "-o", tmp_path / "o", "--rtl", "--folding",
                            folding], capsys)
    assert_one_line_error(code, err, str(folding), "layer9.0.binary_conv")


ARCH_TEMPLATE = ("name: x\nin_channels: 1\ninput_size: 8\nnum_classes: 10\n"
                 "stem: {{channels: 8, kernel: 3, stride: {stride}, maxpool: {maxpool}}}\n"
                 "stages: [{{channels: 8, blocks: 1, stride: 1}}]\n"
                 "input_norm: {{scale: 1.0, mean: [0.0], std: [1.0], pixel_bits: {bits}}}\n")


@pytest.mark.parametrize("fields, needle", [
    ({"stride": 0, "maxpool": "null", "bits": 8}, "stem"),
    ({"stride": 1, "maxpool": "{kernel: 3, stride: 1, padding: 2}", "bits": 8}, "stem.maxpool"),
    ({"stride": 1, "maxpool": "null", "bits": 0}, "pixel_bits"),
    ({"stride": 1, "maxpool": "null", "bits": 12}, "pixel_bits"),
])
def test_invalid_arch_values(checkpoint, tmp_path, capsys, fields, needle):
    arch = tmp_path / "arch.yaml"
    arch.write_text(ARCH_TEMPLATE.format(**fields))
    code, _, err = run_cli(["report", "--arch", arch], capsys)
    assert_one_line_error(code, err, str(arch), needle)


@pytest.mark.parametrize("text, needle", [
    ("input_frac_bits: 70\n", "input_frac_bits"),
    ("calibration_images: 0\n", "calibration_images"),
    ("max_shift: 0\n", "max_shift"),
])
def test_out_of_range_compile_options(checkpoint, tmp_path, capsys, text, needle):
    config = tmp_path / "compile.yaml"
    config.write_text(text)
    code, _, err = run_cli(["compile", checkpoint, "-o", tmp_path / "o", "--config", config],
                           capsys)
    assert_one_line_error(code, err, str(config), needle)


@pytest.mark.parametrize("text", ["- pe: 2\n", "conv1: {pe: abc}\n", "conv1: {pe: 2.5}\n"])
def test_malformed_folding_config(checkpoint, tmp_path, capsys, text):
    folding = tmp_path / "fold.yaml"
    folding.write_text(text)
    code, _, err = run_cli(["compile", checkpoint, "-o", tmp_path / "o", "--rtl", "--folding",
                            folding], capsys)
    assert_one_line_error(code, err, str(folding))
