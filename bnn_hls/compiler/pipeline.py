"""The compiler pipeline in one place: import -> IR -> passes -> integer graph."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bnn_hls.compiler import ir
from bnn_hls.compiler.calibrate import DATA_FREE_STDS, calibrate, data_free_ranges
from bnn_hls.compiler.config import CompileConfig
from bnn_hls.compiler.importer import import_model, load_network
from bnn_hls.compiler.passes.choose_formats import choose_formats
from bnn_hls.compiler.passes.fold import fold_batchnorm, fold_binary_scale, fold_input_normalisation
from bnn_hls.compiler.passes.intervals import analyse_intervals
from bnn_hls.compiler.passes.lower import lower_affines
from bnn_hls.compiler.passes.pack import pack_binary_weights
from bnn_hls.compiler.passes.quantize import quantize_real_weights
from bnn_hls.model.birealnet import BiRealNet
from bnn_hls.model.config import ArchConfig


@dataclass
class CompiledModel:
    graph: ir.Graph
    config: CompileConfig
    network: BiRealNet  # the float model it was compiled from, for faithfulness checks
    saturation: dict[str, bool]  # per saturating layer: can saturation happen at all?
    calibrated_max: dict[str, float]  # per residual tensor: the magnitude formats allow for
    range_source: str  # where calibrated_max comes from


def compile_model(source: str | Path | BiRealNet, config: CompileConfig | None = None,
                  calibration_pixels: np.ndarray | None = None,
                  arch: ArchConfig | None = None) -> CompiledModel:
    config = config or CompileConfig()
    network = load_network(source, arch)
    graph = import_model(network)
    if calibration_pixels is not None:
        pixels = calibration_pixels[:config.calibration_images]
        calibrated = calibrate(network, pixels)
        source = f"calibration on {len(pixels)} images"
    elif config.data_free:
        calibrated = data_free_ranges(network)
        source = f"data-free: BatchNorm statistics, mean +- {DATA_FREE_STDS:g} std"
    else:
        calibrated, source = {}, "the worst case alone"
    fold_input_normalisation(graph, config.input_frac_bits)
    fold_batchnorm(graph)
    fold_binary_scale(graph)
    quantize_real_weights(graph, config.real_weight_bits)
    choose_formats(graph, config, calibrated)
    lower_affines(graph, config)
    saturation = analyse_intervals(graph)
    pack_binary_weights(graph)
    return CompiledModel(graph, config, network, saturation, calibrated, source)
