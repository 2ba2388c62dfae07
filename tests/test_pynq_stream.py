"""The PYNQ driver's byte format (bnn_hls/boards/pynq_stream.py): the same beats as the
plan's stream layout, the golden model's logits back bit for bit, and the Verilator simulation
of the Vivado wrapper driven like the AXI DMA (cocotbext-axi) agreeing with the golden model
through exactly those buffers, TLAST ending each image's logits."""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

import numpy as np
import pytest
import tile_checks  # noqa: F401  (puts hw_tests/ on the path the simulator imports from)
from conftest import WORST_CASE

from bnn_hls.backends.golden.model import GoldenModel
from bnn_hls.boards import load_board, pynq_stream
from bnn_hls.boards.pynq_stream import (
    BeatFormat,
    images_per_transfer,
    pack_images,
    unpack_logits,
)
from bnn_hls.boards.vivado import WRAPPER, beat_format, rtl_streams, write_vivado_project
from bnn_hls.compiler.pipeline import compile_model
from bnn_hls.hw.dma import DmaStream
from bnn_hls.hw.layout import StreamLayout
from bnn_hls.model import birealnet, randomise_birealnet
from bnn_hls.model.config import ArchConfig, InputNorm, StageConfig, StemConfig
from bnn_hls.tools.cocotb_run import run_cocotb
from bnn_hls.tools.simulate import generate_rtl
from bnn_hls.tools.slang import slang_errors
from bnn_hls.tools.verilator import lint

# (channels, lanes, width): one byte exactly; 24 bits padded to 32; folds with empty lanes
# and 14 bits padded to 16; 1-bit lanes.
LAYOUTS = [(1, 1, 8), (3, 3, 8), (5, 2, 7), (70, 32, 1)]
# The smallest network with every kind of tile on the path (stem, binary block, shortcut,
# pool, classifier): its Verilator build is what the default suite can afford. Three 8-bit
# channels make a 24-bit input beat, padded to 32 for the DMA.
MICRO_ARCH = ArchConfig(
    name="micro", in_channels=3, input_size=4, num_classes=3,
    stem=StemConfig(channels=4, kernel=3, stride=1, maxpool=None),
    stages=(StageConfig(channels=4, blocks=1, stride=1),),
    input_norm=InputNorm(scale=1 / 255, mean=(0.5, 0.4, 0.3), std=(0.25, 0.2, 0.3), pixel_bits=8),
)


def words(buffer: np.ndarray) -> list[int]:
    return [int.from_bytes(row.tobytes(), "little") for row in buffer]


@pytest.mark.parametrize("channels,lanes,width", LAYOUTS)
def test_input_buffer_holds_the_layout_beats(channels, lanes, width):
    layout = StreamLayout(channels, lanes, width, signed=False)
    images = np.random.default_rng(channels).integers(0, 1 << width, (3, channels, 4, 5))
    buffer = pack_images(images.astype(np.uint8 if width <= 8 else np.uint16),
                         beat_format(DmaStream(layout)))
    assert buffer.dtype == np.uint8 and buffer.shape[1] == DmaStream(layout).beat_bytes
    assert words(buffer) == [word for word, _ in layout.pack(images)]


@pytest.mark.parametrize("lanes,width", [(1, 19), (2, 12), (3, 16), (10, 11)])
def test_output_buffer_gives_back_the_golden_logits(tiny_compiled, tiny_arch, lanes, width):
    images = np.random.default_rng(lanes).integers(0, 256, (4, tiny_arch.in_channels,
                                                        tiny_arch.input_size,
                                                        tiny_arch.input_size))
    logits = GoldenModel(tiny_compiled.graph).run(images)
    layout = StreamLayout(logits.shape[1], lanes, width, signed=True)
    assert np.abs(logits).max() < 1 << (width - 1), "the width must hold the logits"
    fmt = beat_format(DmaStream(layout))
    buffer = np.array([list(word.to_bytes(fmt.beat_bytes, "little"))
                       for word, _ in layout.pack(logits)], dtype=np.uint8)
    assert np.array_equal(unpack_logits(buffer, fmt, len(images)), logits)


def test_bad_buffers_and_images_are_refused():
    fmt = BeatFormat(channels=3, lanes=3, width=8, signed=False, beat_bytes=4)
    with pytest.raises(ValueError, match="expected"):
        pack_images(np.zeros((1, 2, 4, 4), np.uint8), fmt)
    with pytest.raises(ValueError, match="outside"):
        pack_images(np.full((1, 3, 4, 4), 256), fmt)
    with pytest.raises(ValueError, match="beats for 2 images"):
        unpack_logits(np.zeros((3, 4), np.uint8), fmt, 2)
    with pytest.raises(ValueError, match="overflow"):
        BeatFormat(channels=3, lanes=3, width=12, signed=False, beat_bytes=4)


def test_images_per_transfer_fills_one_dma_transfer():
    fmt = BeatFormat(channels=3, lanes=3, width=8, signed=False, beat_bytes=4)
    per_image = 224 * 224 * 4
    assert images_per_transfer(fmt, 224 * 224) == ((1 << 26) - 1) // per_image
    with pytest.raises(ValueError, match="more than one DMA transfer"):
        images_per_transfer(fmt, 224 * 224, max_bytes=per_image - 1)


def imported_modules(name: str) -> set[str]:
    tree = ast.parse((Path(pynq_stream.__file__).parent / name).read_text())
    names = {alias.name.split(".")[0] for node in ast.walk(tree)
             if isinstance(node, ast.Import) for alias in node.names}
    names |= {node.module.split(".")[0] for node in ast.walk(tree)
              if isinstance(node, ast.ImportFrom) and node.module}
    return names - set(sys.stdlib_module_names) - {"__future__"}


def test_driver_files_stand_alone_on_the_board():
    # Copied beside the bitstream, they cannot import bnn_hls (nor torch): numpy and pynq only.
    assert imported_modules("pynq_stream.py") == {"numpy"}
    assert imported_modules("pynq_driver.py") == {"numpy", "pynq", "pynq_stream"}


def dma_round_trip(graph, out: Path, images: np.ndarray, stall: float, seed: int,
                   load_weights: bool = False):
    """The Vivado wrapper of ``graph``'s RTL on Verilator, fed ``images`` as one DMA
    transfer (after its weights.bin as another, with ``load_weights``); returns the received
    frames and the stream formats."""
    generate_rtl(graph, out, target_cycles=256, load_weights=load_weights)
    rtl = out / "rtl"
    vivado = write_vivado_project(rtl, load_board("pynq-z2"), out / "vivado", 100.0, None)
    formats = json.loads((vivado.parent / "bnn_hls.json").read_text())
    in_fmt, out_fmt = (BeatFormat.from_json(formats[side]) for side in ("input", "output"))
    manifest, _ = rtl_streams(rtl)
    weights = formats["weights"]
    assert bool(weights) == load_weights
    plan = {"input": pack_images(images, in_fmt).tobytes().hex(), "images": len(images),
            "weights": weights and (vivado.parent / weights["file"]).read_bytes().hex(),
            "stall_in": stall, "stall_out": stall, "seed": seed,
            "max_cycles": 50 * manifest["ideal_cycles_per_image"] * len(images) + 20_000,
            "settle_cycles": 2 * manifest["ideal_cycles_per_image"]}
    (out / "dma_plan.json").write_text(json.dumps(plan))
    sources = [rtl / name for name in manifest["sources"]] + [vivado.parent / f"{WRAPPER}.v"]
    assert lint(sources, WRAPPER) == "" and slang_errors(sources, WRAPPER) == []
    result = run_cocotb(sources, WRAPPER, "axi_dma_tb", rtl, out / "build",
                        extra_env={"DMA_PLAN": str(out / "dma_plan.json"),
                                   "DMA_RESULTS": str(out / "dma_results.json")})
    assert result.ok, f"see {result.results_xml}"
    return json.loads((out / "dma_results.json").read_text()), out_fmt


def assert_frames_match_golden(results: dict, out_fmt: BeatFormat, logits: np.ndarray):
    frame_bytes = out_fmt.folds * out_fmt.beat_bytes
    # TLAST after exactly one image's logits, each beat with every byte kept, nothing after.
    assert [len(f["tdata"]) // 2 for f in results["frames"]] == [frame_bytes] * len(logits)
    assert all(all(f["tkeep"]) and len(f["tkeep"]) == frame_bytes for f in results["frames"])
    assert results["extra_frames"] == 0
    buffer = np.frombuffer(bytes.fromhex("".join(f["tdata"] for f in results["frames"])),
                           np.uint8)
    assert np.array_equal(unpack_logits(buffer, out_fmt, len(logits)), logits)


def test_simulated_accelerator_through_dma_buffers_is_bit_exact(tmp_path):
    # With its weights through the weight port: the board's second DMA sends weights.bin.
    graph = compile_model(randomise_birealnet(birealnet(MICRO_ARCH), seed=21), WORST_CASE).graph
    rng = np.random.default_rng(11)
    images = rng.integers(0, 256, (4, 3, 4, 4)).astype(np.uint8)
    results, out_fmt = dma_round_trip(graph, tmp_path, images, 0.3, 5, load_weights=True)
    assert_frames_match_golden(results, out_fmt, GoldenModel(graph).run(images))


@pytest.mark.slow
def test_tiny_accelerator_through_dma_buffers_is_bit_exact(tiny_compiled, tiny_arch, tmp_path):
    rng = np.random.default_rng(11)
    images = rng.integers(0, 256, (3, tiny_arch.in_channels, tiny_arch.input_size,
                                   tiny_arch.input_size)).astype(np.uint8)
    results, out_fmt = dma_round_trip(tiny_compiled.graph, tmp_path, images, 0.3, 5)
    assert_frames_match_golden(results, out_fmt, GoldenModel(tiny_compiled.graph).run(images))


@pytest.mark.slow
def test_digits_accelerator_through_dma_buffers_is_bit_exact(digits_compiled, tmp_path):
    from bnn_hls.data import digits_split

    images = digits_split().test_x[:8].astype(np.uint8)
    results, out_fmt = dma_round_trip(digits_compiled.graph, tmp_path, images, 0.2, 3)
    assert_frames_match_golden(results, out_fmt, GoldenModel(digits_compiled.graph).run(images))


@pytest.mark.parametrize("lanes,width,dma_bits,hls_bits", [
    (1, 1, 8, 8), (1, 8, 8, 8), (1, 19, 32, 24), (10, 16, 256, 160), (64, 16, 1024, 1024)])
def test_dma_beats_are_powers_of_two_and_hls_beats_whole_bytes(lanes, width, dma_bits,
                                                               hls_bits):
    stream = DmaStream(StreamLayout(lanes, lanes, width, signed=True))
    assert (stream.tdata_bits, stream.beat_bytes, stream.hls_tdata_bits) == (
        dma_bits, dma_bits // 8, hls_bits)


def test_a_beat_wider_than_the_dma_is_refused():
    with pytest.raises(ValueError, match="1025-bit beat"):
        DmaStream(StreamLayout(25, 25, 41, signed=True))
