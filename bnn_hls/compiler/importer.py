"""Import: a Bi-Real checkpoint or in-memory model -> float IR graph.

Node names are the PyTorch module names, so traces and errors point at familiar layers.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from torch import nn

from bnn_hls.compiler import ir
from bnn_hls.compiler.formats import Integer
from bnn_hls.errors import BnnHlsError
from bnn_hls.geometry import conv_out_size
from bnn_hls.model.birealnet import BasicBlock, BiRealNet
from bnn_hls.model.checkpoint import build_model, read_checkpoint
from bnn_hls.model.config import ArchConfig
from bnn_hls.model.layers import Activation


def load_network(source: str | Path | BiRealNet, arch: ArchConfig | None = None) -> BiRealNet:
    """A checkpoint path or a model of ours -> an eval-mode Bi-Real network."""
    if isinstance(source, BiRealNet):
        _check_supported(source)
        return source.eval()
    if isinstance(source, nn.Module):
        raise BnnHlsError(f"unsupported module {type(source).__name__}: "
                          "expected a bnn_hls BiRealNet")
    return build_model(read_checkpoint(source, arch))


def _check_supported(model: BiRealNet) -> None:
    for name, module in model.named_modules():
        if isinstance(module, BasicBlock):
            if module.binary_activation.kind is not Activation.APPROX_SIGN and \
                    module.binary_activation.kind is not Activation.STE:
                raise BnnHlsError(f"layer '{name}': activation "
                                  f"{module.binary_activation.kind.value} is not binary")
            if not module.binary_conv.binary:
                raise BnnHlsError(f"layer '{name}.binary_conv': real-valued weights "
                                  "(a pre-training network) cannot be compiled")
            if not module.shortcut:
                raise BnnHlsError(f"layer '{name}': blocks without shortcut are not supported")


def _np(tensor) -> np.ndarray:
    return tensor.detach().cpu().double().numpy()


class _GraphBuilder:
    def __init__(self, name: str):
        self.graph = ir.Graph(tensors={}, nodes=[], input="", output="", name=name)

    def tensor(self, name: str, shape: tuple[int, ...], fmt=None) -> str:
        self.graph.tensors[name] = ir.Tensor(name, shape, fmt)
        return name

    def add(self, node_type, name: str, inputs: tuple[str, ...], shape, **attrs) -> str:
        out = self.tensor(name, tuple(shape))
        self.graph.nodes.append(node_type(name=name, inputs=inputs, output=out, **attrs))
        return out

    def batchnorm(self, name: str, bn: nn.BatchNorm2d, x: str) -> str:
        return self.add(ir.BatchNorm, name, (x,), self.graph.tensors[x].shape,
                        gamma=_np(bn.weight), beta=_np(bn.bias), mean=_np(bn.running_mean),
                        var=_np(bn.running_var), eps=float(bn.eps))


def import_model(model: BiRealNet) -> ir.Graph:
    cfg = model.cfg
    b = _GraphBuilder(cfg.name)
    size = cfg.input_size
    norm = cfg.input_norm
    pixels = b.tensor("pixels", (cfg.in_channels, size, size),
                      Integer(norm.pixel_bits, signed=False))
    b.graph.input = pixels
    x = b.add(ir.InputNormalize, "input_norm", (pixels,), (cfg.in_channels, size, size),
              scale=norm.scale, mean=np.array(norm.mean), std=np.array(norm.std))

    conv = model.conv1
    size = conv_out_size(size, conv.kernel_size[0], conv.stride[0], conv.padding[0])
    x = b.add(ir.Conv, "conv1", (x,), (conv.out_channels, size, size), weight=_np(conv.weight),
              stride=conv.stride[0], pad=conv.padding[0])
    x = b.batchnorm("bn1", model.bn1, x)
    if isinstance(model.maxpool, nn.MaxPool2d):
        mp = model.maxpool
        size = conv_out_size(size, mp.kernel_size, mp.stride, mp.padding)
        x = b.add(ir.MaxPool, "maxpool", (x,), (conv.out_channels, size, size),
                  kernel=mp.kernel_size, stride=mp.stride, pad=mp.padding)

    for stage_index, stage in enumerate(model.stages, start=1):
        for block_index, block in enumerate(stage):
            x, size = _import_block(b, f"layer{stage_index}.{block_index}", block, x, size)

    channels = b.graph.tensors[x].channels
    x = b.add(ir.GlobalSum, "avgpool", (x,), (channels,))
    fc = model.fc
    x = b.add(ir.Linear, "fc", (x,), (fc.out_features,), weight=_np(fc.weight),
              bias=_np(fc.bias))
    b.graph.output = x
    return b.graph


def _import_block(b: _GraphBuilder, prefix: str, block: BasicBlock, x: str,
                  size: int) -> tuple[str, int]:
    conv = block.binary_conv
    out_ch, in_ch, k, _ = conv.shape
    real = conv.weights.detach().view(conv.shape).cpu().double().numpy()
    out_size = conv_out_size(size, k, conv.stride, conv.padding)
    bits = b.add(ir.Sign, f"{prefix}.binary_activation", (x,), (in_ch, size, size))
    dot = b.add(ir.BinaryConv, f"{prefix}.binary_conv", (bits,), (out_ch, out_size, out_size),
                weight_bits=real >= 0, stride=conv.stride, pad=conv.padding,
                alpha=np.abs(real).mean(axis=(1, 2, 3)))
    branch = b.batchnorm(f"{prefix}.bn1", block.bn1, dot)
    shortcut = x
    if block.downsample is not None:
        pool, conv1x1, bn = block.downsample
        half = size // 2
        shortcut = b.add(ir.AvgPool2Sum, f"{prefix}.downsample.0", (x,), (in_ch, half, half))
        shortcut = b.add(ir.Conv, f"{prefix}.downsample.1", (shortcut,), (out_ch, half, half),
                         weight=_np(conv1x1.weight), stride=1, pad=0)
        shortcut = b.batchnorm(f"{prefix}.downsample.2", bn, shortcut)
    out = b.add(ir.Add, f"{prefix}.add", (branch, shortcut), (out_ch, out_size, out_size))
    return out, out_size
