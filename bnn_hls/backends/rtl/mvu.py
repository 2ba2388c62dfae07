"""XNOR-popcount matrix-vector unit: the binary convolution's dot products, folded.

For each output pixel the unit receives the N = Cin*k*k input bits (and their valid bits) as
``ceil(N / simd)`` beats, keeps them, and loops over the ``ceil(Cout / pe)`` neuron folds
(FINN-style), each producing ``pe`` dot products

    dot[o] = sum_i valid[i] * (act[i] XNOR w[o, i] ? +1 : -1)
           = 2 * popcount(valid & ~(act ^ w[o])) - popcount(valid)

so padding taps (valid = 0) contribute exactly 0. Weights sit in one ROM per PE, loaded with
``$readmemh`` from files that :meth:`MvuParams.write_memory_files` writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np

from bnn_hls.backends.rtl.popcount import PopcountParams
from bnn_hls.backends.rtl.tiles import (
    FoldedMvu,
    StreamPort,
    Tile,
    ceil_div,
    clog2,
    counter_bits,
    render_tile,
    with_helpers,
)


@dataclass(frozen=True)
class MvuParams(FoldedMvu, Tile):
    """MVU over ``in_bits`` (N) inputs and ``out_channels`` (Cout) outputs, ``pe`` output
    channels and ``simd`` input bits per cycle.

    ``weights``: [Cout, N] bits (stored as one int per row, bit i = input i).
    ``memory_dir``: where the ROM files live; the Verilog names them under it (absolute
    from :meth:`from_weights`; Yosys under YoWASP needs names relative to its directory).
    ``popcount_stages``: pipeline registers inside each popcount (for wide ``simd``).
    Streams, latency and the partial last fold are documented in templates/rtl/mvu.v.j2.
    """

    in_bits: int
    out_channels: int
    pe: int
    simd: int
    weights: tuple[int, ...]
    memory_dir: str
    popcount_stages: int = 0

    prefix: ClassVar[str] = "mvu"

    def __post_init__(self):
        object.__setattr__(self, "weights", tuple(int(row) for row in self.weights))
        if min(self.in_bits, self.out_channels, self.pe, self.simd) < 1:
            raise ValueError(f"MVU sizes must be >= 1: {self.shape_text}")
        if len(self.weights) != self.out_channels or any(
                row >> self.in_bits for row in self.weights):
            raise ValueError(f"weights must be [{self.out_channels}, {self.in_bits}] bits")

    @classmethod
    def from_weights(cls, weights: np.ndarray, pe: int, simd: int, memory_dir: Path | str,
                     popcount_stages: int = 0) -> MvuParams:
        """From a [Cout, N] bool weight matrix (N in the input stream's bit order)."""
        weights = np.asarray(weights, dtype=bool)
        return cls(weights.shape[1], weights.shape[0], pe, simd,
                   tuple(_row_int(row) for row in weights), str(Path(memory_dir).resolve()),
                   popcount_stages)





    @property
    def fan_in(self) -> int:
        return self.in_bits

    @property
    def acc_width(self) -> int:
        """An unsigned count of up to N bits."""
        return clog2(self.in_bits + 1)

    @property
    def dot_width(self) -> int:
        """A signed dot product in [-N, N]."""
        return self.acc_width + 1


    @property
    def popcount(self) -> PopcountParams:
        return PopcountParams(self.simd, self.popcount_stages)

    @property
    def latency(self) -> int:
        """Clock edges from the one taking a pixel's last input beat to the one making its
        (first neuron fold's) output valid: operands, popcount stages, accumulate, output."""
        return self.popcount_stages + 2

    def ports(self) -> tuple[StreamPort, ...]:
        return (StreamPort("s_axis", 2 * self.simd, True),
                StreamPort("m_axis", self.pe * self.dot_width, False))

    def memory_file(self, instance: str, pe: int) -> Path:
        return Path(self.memory_dir) / f"{self.module_name(instance)}_pe{pe}.mem"

    def rom_rows(self, pe: int) -> list[int]:
        """PE ``pe``'s ROM: row nf*SF + sf holds channel nf*PE + pe's inputs
        [sf*SIMD, (sf+1)*SIMD) in bits 0..SIMD-1; zero past N and past Cout."""
        mask = (1 << self.simd) - 1
        rows = []
        for nf in range(self.neuron_folds):
            channel = nf * self.pe + pe
            weights = self.weights[channel] if channel < self.out_channels else 0
            rows += [(weights >> (sf * self.simd)) & mask for sf in range(self.synapse_folds)]
        return rows

    def write_memory_files(self, instance: str) -> list[Path]:
        """One ``$readmemh`` file per PE in ``memory_dir``, one row per line."""
        digits = ceil_div(self.simd, 4)
        paths = []
        for pe in range(self.pe):
            path = self.memory_file(instance, pe)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("".join(f"{row:0{digits}x}\n" for row in self.rom_rows(pe)))
            paths.append(path)
        return paths

    def render(self, instance: str) -> str:
        module = self.module_name(instance)
        names = {"lane": f"{module}_lane", "popcount": f"{module}_popcount"}
        main = render_tile(
            "mvu.v.j2", module=module, names=names, p=self,
            sf_w=counter_bits(self.synapse_folds), nf_w=counter_bits(self.neuron_folds),
            row_w=counter_bits(self.synapse_folds * self.neuron_folds),
            count_w=self.popcount.out_width,
            memory_files=[str(self.memory_file(instance, pe)) for pe in range(self.pe)])
        return with_helpers(main, self.popcount.render_xnor(names["lane"], names["popcount"]),
                            self.popcount.render(names["popcount"]))


def _row_int(bits: np.ndarray) -> int:
    """Bits little-endian into a Python int: element i is bit i."""
    return int.from_bytes(np.packbits(bits, bitorder="little").tobytes(), "little")
