"""Bi-Real Net in PyTorch: layers, architectures, checkpoints, training."""

from bnn_hls.model.birealnet import BiRealNet, birealnet, birealnet18, birealnet34, normalise_pixels
from bnn_hls.model.checkpoint import (
    Checkpoint,
    build_model,
    load_model,
    read_checkpoint,
    save_checkpoint,
)
from bnn_hls.model.config import ArchConfig, builtin_config, load_arch_config
from bnn_hls.model.layers import Activation, BinaryActivation, HardBinaryConv, approx_sign, hw_sign
from bnn_hls.model.random_weights import random_pixels, randomise_birealnet

__all__ = [
    "Activation", "ArchConfig", "BiRealNet", "BinaryActivation", "Checkpoint", "HardBinaryConv",
    "approx_sign", "birealnet", "birealnet18", "birealnet34", "build_model", "builtin_config",
    "hw_sign", "load_arch_config", "load_model", "normalise_pixels", "random_pixels",
    "randomise_birealnet", "read_checkpoint", "save_checkpoint",
]
