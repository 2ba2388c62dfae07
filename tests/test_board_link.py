"""The board wrapper's UART link around a generated accelerator: cocotbext-uart sends the host
protocol's requests over the UART line of a Verilator simulation, and every reply, decoded by
the host code of ``bnn-hls run``, carries the golden model's logits and class bit for bit."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from tile_checks import HW_TESTS  # noqa: F401  (puts the testbench modules on sys.path)

from bnn_hls.backends.golden.model import GoldenModel
from bnn_hls.backends.rtl.cycles import RTL_CYCLES
from bnn_hls.boards.link import UartLink, clocks_per_bit
from bnn_hls.boards.protocol import REQUEST_HEADER, LinkFormat
from bnn_hls.errors import BnnHlsError
from bnn_hls.hw.folding import Fold, auto_folding
from bnn_hls.tools.cocotb_run import run_cocotb
from bnn_hls.tools.simulate import generate_rtl
from bnn_hls.tools.slang import slang_errors
from bnn_hls.tools.verilator import lint

CLOCK_NS = 10
CLKS_PER_BIT = 8  # 12.5 Mbaud at the simulated 100 MHz: few cycles per image


def two_lane_logits(graph) -> dict[str, Fold]:
    """The automatic folding but with two classes per output beat (the last one padded when
    the class count is odd)."""
    folding = auto_folding(graph, 2048, RTL_CYCLES)
    folding["fc"] = dataclasses.replace(folding["fc"], pe=2)
    return folding


def _link(graph, out: Path, folding: dict[str, Fold] | None = None) -> tuple[UartLink,
                                                                             list[Path]]:
    _, sources = generate_rtl(graph, out, folding)
    link = UartLink.for_design(graph, out / "rtl", CLKS_PER_BIT)
    return link, sources + link.write(out / "rtl")


def simulate_link(graph, out: Path, images: np.ndarray,
                  folding: dict[str, Fold] | None = None) -> tuple[UartLink, list[bytes],
                                                                   list[bytes], str]:
    """Requests for ``images`` through the simulated link; (link, requests, replies, bytes
    sent beyond the replies)."""
    link, sources = _link(graph, out, folding)
    fmt = link.fmt
    requests = [fmt.request(image) for image in images]
    rtl = (out / "rtl").resolve()
    bit_ns = CLOCK_NS * CLKS_PER_BIT
    image_us = (fmt.image_bytes + fmt.reply_bytes) * 10 * bit_ns / 1000
    plan = {"clock_ns": CLOCK_NS, "baud": round(1e9 / bit_ns), "reply_bytes": fmt.reply_bytes,
            "timeout_us": image_us + link.ideal_cycles_per_image * 20 * CLOCK_NS / 1000,
            "requests": [r.hex() for r in requests]}
    (rtl / "link_plan.json").write_text(json.dumps(plan))
    results = rtl / "link_results.json"
    result = run_cocotb([s.resolve() for s in sources], link.modules.uart_link,
                        "test_uart_link", rtl, rtl / "link_build",
                        extra_env={"LINK_PLAN": str(rtl / "link_plan.json"),
                                   "LINK_RESULTS": str(results)})
    assert result.ok, f"see {result.results_xml}"
    got = json.loads(results.read_text())
    return link, requests, [bytes.fromhex(r) for r in got["replies"]], got["unexpected"]


def assert_bit_exact(graph, images: np.ndarray, link: UartLink, requests: list[bytes],
                     replies: list[bytes], unexpected: str) -> None:
    logits = GoldenModel(graph).run(images)
    assert len(replies) == len(images) and unexpected == ""
    for request, reply, expected in zip(requests, replies, logits, strict=True):
        decoded = link.fmt.decode_reply(reply, request)
        assert decoded.logits.tolist() == expected.tolist()
        assert decoded.predicted == int(np.argmax(expected))


@pytest.fixture(scope="module")
def tiny_images(tiny_compiled):
    graph = tiny_compiled.graph
    shape = graph.tensors[graph.input].shape
    rng = np.random.default_rng(5)
    return rng.integers(0, 256, (2, *shape))


@pytest.fixture(scope="module")
def tiny_simulated(tiny_compiled, tiny_images, tmp_path_factory):
    """Two images through the simulated link of the tiny network: 2-lane input beats, 2-lane
    logit beats, the last one half padding."""
    graph = tiny_compiled.graph
    return simulate_link(graph, tmp_path_factory.mktemp("link"), tiny_images,
                         two_lane_logits(graph))


@pytest.mark.slow  # the Verilator build of the accelerator takes minutes on 2 shared cores
def test_tiny_network_answers_over_the_uart_bit_exact(tiny_compiled, tiny_images,
                                                      tiny_simulated):
    assert_bit_exact(tiny_compiled.graph, tiny_images, *tiny_simulated)


@pytest.mark.slow
def test_digits_network_answers_over_the_uart_bit_exact(digits_compiled, tmp_path):
    from bnn_hls.data import digits_split

    images = digits_split().test_x[:4]
    graph = digits_compiled.graph
    assert_bit_exact(graph, images, *simulate_link(graph, tmp_path, images))


@pytest.mark.slow
def test_a_damaged_reply_or_other_image_is_refused(tiny_simulated):
    link, (request, _), (reply, _), _ = tiny_simulated
    fmt: LinkFormat = link.fmt
    fmt.decode_reply(reply, request)  # the intact reply decodes
    flipped = bytearray(reply)
    flipped[2] ^= 0x10
    with pytest.raises(BnnHlsError, match="checksum"):
        fmt.decode_reply(bytes(flipped), request)
    other = bytearray(request)
    other[5] ^= 1
    with pytest.raises(BnnHlsError, match="other image bytes"):
        fmt.decode_reply(reply, bytes(other))
    with pytest.raises(BnnHlsError, match="bytes, expected"):
        fmt.decode_reply(reply[:-1], request)


@pytest.mark.parametrize("lanes", ["one-lane", "two-lane"])
def test_the_link_parts_are_lint_clean(tiny_compiled, digits_compiled, lanes, tmp_path):
    if lanes == "one-lane":  # digits: 1-lane input and logit beats
        link, sources = _link(digits_compiled.graph, tmp_path)
    else:
        graph = tiny_compiled.graph
        link, sources = _link(graph, tmp_path, two_lane_logits(graph))
    assert (link.fmt.input.lanes, link.fmt.output.lanes) == ((1, 1) if lanes == "one-lane"
                                                              else (2, 2))
    modules = link.modules
    for module in (modules.uart_rx, modules.uart_tx, modules.frame_rx, modules.frame_tx):
        part = [s for s in sources if s.stem == module]
        assert lint(part, module) == "", module
        assert slang_errors(part, module) == [], module


@pytest.mark.slow  # lints the whole accelerator again
def test_the_link_with_its_accelerator_is_lint_clean(digits_compiled, tmp_path):
    link, sources = _link(digits_compiled.graph, tmp_path)
    assert lint(sources, link.modules.uart_link) == ""
    assert slang_errors(sources, link.modules.uart_link) == []


def test_request_carries_the_image_in_input_beat_order(tiny_compiled, tiny_images, tmp_path):
    link, _ = _link(tiny_compiled.graph, tmp_path)
    fmt = link.fmt
    image = tiny_images[0]
    request = fmt.request(image)
    assert request[0] == REQUEST_HEADER and len(request) == 1 + fmt.image_bytes
    if fmt.input.lanes == image.shape[0]:  # one beat per pixel: channels innermost
        assert list(request[1:]) == np.moveaxis(image, 0, -1).reshape(-1).tolist()
    with pytest.raises(BnnHlsError, match="outside"):
        fmt.request(image + 256)


def test_baud_rate_must_fit_the_clock():
    assert clocks_per_bit(50.0, 115200) == 434
    with pytest.raises(BnnHlsError, match="--baud"):
        clocks_per_bit(12.0, 4_000_000)
