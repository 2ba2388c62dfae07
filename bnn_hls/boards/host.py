"""`bnn-hls run`: the test vectors' images to a programmed board over its UART (pyserial), each
answer checked against the golden model bit for bit (class and every logit)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bnn_hls.backends.golden.model import GoldenModel
from bnn_hls.boards.ecp5 import LINK_FILE
from bnn_hls.boards.link import BITS_PER_BYTE, link_format
from bnn_hls.compiler.serialize import load_graph
from bnn_hls.errors import BnnHlsError

REPLY_WAIT_S = 2.0  # beyond the reply's own transfer time: far more than any image's compute


@dataclass(frozen=True)
class RunReport:
    images: int
    agreeing: int  # images whose class and every logit equal the golden model's
    first_disagreement: str | None

    def summary(self) -> str:
        lines = [f"{self.agreeing}/{self.images} images: class and every logit equal the "
                 "golden model's (board, over the UART)"]
        if self.first_disagreement:
            lines.append(self.first_disagreement)
        return "\n".join(lines)


def _board_dir(out: Path, board: str | None) -> Path:
    builds = sorted(p.parent for p in out.glob(f"board-*/{LINK_FILE}"))
    if board is not None:
        builds = [p for p in builds if p.name == f"board-{board}"]
    if len(builds) != 1:
        found = ", ".join(p.name for p in builds) or "none"
        raise BnnHlsError(f"{out}: need exactly one board build (found {found}); run "
                          "'bnn-hls build' first or name one with --board")
    return builds[0]


def run_on_board(out: Path, port: str, images: int | None, baud: int | None,
                 board: str | None) -> RunReport:
    import serial  # pyserial: only this command needs it

    link = json.loads((_board_dir(out, board) / LINK_FILE).read_text())
    graph = load_graph(out)
    fmt = link_format(graph, json.loads((out / "rtl" / "manifest.json").read_text()))
    pixels = np.load(out / "vectors" / "inputs.npy")[:images]
    expected = GoldenModel(graph).run(pixels)
    baud = baud or link["baud"]
    # From writing a request to its reply's last byte: both transfers and the compute.
    timeout = REPLY_WAIT_S + (1 + fmt.image_bytes + fmt.reply_bytes) * BITS_PER_BYTE / baud
    agreeing, first = 0, None
    try:
        with serial.Serial(port, baud, timeout=timeout) as line:
            line.reset_input_buffer()
            for index, (image, logits) in enumerate(zip(pixels, expected, strict=True)):
                request = fmt.request(image)
                line.write(request)
                reply = line.read(fmt.reply_bytes)
                if len(reply) < fmt.reply_bytes:
                    raise BnnHlsError(f"{port}: image {index}: {len(reply)} of "
                                      f"{fmt.reply_bytes} reply bytes within {timeout:.1f} s "
                                      "(board programmed? right port and --baud? press its "
                                      "reset button to resynchronise)")
                answer = fmt.decode_reply(reply, request)
                if (answer.logits == logits).all() and answer.predicted == np.argmax(logits):
                    agreeing += 1
                elif first is None:
                    first = (f"image {index}: board class {answer.predicted}, logits "
                             f"{answer.logits.tolist()}; golden class {int(np.argmax(logits))}, "
                             f"logits {logits.tolist()}")
    except serial.SerialException as exc:
        raise BnnHlsError(f"{port}: {exc}") from None
    return RunReport(len(pixels), agreeing, first)
