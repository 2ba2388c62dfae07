"""Verification helpers shared by every backend: streams recorded inside a design, compared
with the golden model's per-layer trace, give the first diverging layer, channel and pixel."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from bnn_hls.hw.layout import MISSING, StreamLayout


@dataclass(frozen=True)
class Divergence:
    layer: str
    image: int
    channel: int
    pixel: tuple[int, ...]
    got: int | None  # None: the design never delivered this value
    expected: int

    def describe(self) -> str:
        got = "nothing" if self.got is None else self.got
        return (f"first divergence at layer '{self.layer}', image {self.image}, channel "
                f"{self.channel}, pixel {self.pixel}: hardware {got}, golden {self.expected}")


def first_divergence(probes: Sequence[tuple[str, StreamLayout]],
                     trace: Mapping[str, np.ndarray],
                     recorded: Mapping[str, Sequence[int]]) -> Divergence | None:
    """The first probed layer (in network order) whose recorded beats differ from the golden
    trace; ``recorded`` maps each layer to the tdata of its beats."""
    for layer, layout in probes:
        expected = np.asarray(trace[layer]).astype(np.int64)
        got = layout.unpack(recorded.get(layer, []), expected.shape)
        wrong = np.argwhere(got != expected)
        if len(wrong):
            index = tuple(int(i) for i in wrong[0])
            value = int(got[index])
            return Divergence(layer, index[0], index[1], index[2:],
                              None if value == MISSING else value, int(expected[index]))
    return None
