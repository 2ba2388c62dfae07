"""ECP5 builds on the family's registered primitives: memories on DP16KD block RAM with the
output register (block_ram.py), the affine's products on MULT18X18D with input and output
registers. Bit for bit against the golden model under random stalls with the project's
simulation models: every block-RAM case here (slow); by default tests/test_rtl_tiles.py
simulates a pool row buffer, an MVU's ROMs and a FIFO (test_pools) and every affine
(test_affine_and_binarise). Their lint, here."""

from __future__ import annotations

import numpy as np
import pytest
from test_rtl_tiles import (
    ECP5,
    affine_cases,
    block_ram_cases,
    block_ram_of,
    block_ram_timing,
)
from tile_checks import run_harness

from bnn_hls.backends.rtl.axis_sim import Placed, write_harness
from bnn_hls.backends.rtl.network import tile_for
from bnn_hls.tools.slang import slang_errors
from bnn_hls.tools.vendor_models import sim_models
from bnn_hls.tools.verilator import lint


def test_block_ram_configurations():
    rams = {item.instance: block_ram_of(item.tile)
            for item, _ in block_ram_cases(np.random.default_rng(0))}
    assert {n: (r.data_width, r.blocks) for n, r in rams.items()} == {
        "pool": (18, 4), "mvu": (18, 1), "swg": (18, 2), "fifo_x18": (18, 2),
        "fifo_x9": (9, 1)}


@pytest.mark.slow
def test_every_block_ram_tile_bit_exact_under_stalls(tmp_path):
    """All the cases (tests/test_rtl_tiles.py test_pools runs the pool and the x18 FIFO)."""
    found = block_ram_cases(np.random.default_rng(5))
    run_harness(tmp_path, "test_pool", found, block_ram_timing(found),
                models=sim_models(ECP5, tmp_path / "models"))


def test_ecp5_primitive_tiles_lint_clean(tmp_path):
    models = sim_models(ECP5, tmp_path / "models")
    rng = np.random.default_rng(0)
    affines = [(Placed(tile_for(stage, technology=ECP5), name), "MULT18X18D")
               for name, stage in affine_cases(rng)]
    for item, primitive in [(item, "DP16KD") for item, _ in block_ram_cases(rng)] + affines:
        assert primitive in item.tile.render(item.instance)
        source = write_harness([item], tmp_path)[0]
        sources = [source, *models.sources]
        warnings = models.own_warnings(lint(sources, item.module, list(models.args)))
        assert not warnings, "\n".join(warnings)
        errors = models.own_errors(slang_errors(sources, item.module))
        assert not errors, "\n".join(errors)
