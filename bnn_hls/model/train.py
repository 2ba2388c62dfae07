"""Two-stage training of a Bi-Real network on the digits (Liu et al., ECCV 2018).

Stage 1 trains a real-valued network whose block activation is clip(-1, x, 1), which is close
to sign, so stage 2 (the Bi-Real network, 1-bit activations and weights) starts from weights
that already suit a sign activation. Both stages use Adam with the learning rate decaying
linearly to 0, so the final weights (and BN running statistics) settle.
"""

from __future__ import annotations

import dataclasses
import enum
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm import tqdm

from bnn_hls.data import digits_split
from bnn_hls.errors import BnnHlsError
from bnn_hls.model.birealnet import BiRealNet, normalise_pixels
from bnn_hls.model.checkpoint import save_checkpoint
from bnn_hls.model.config import ArchConfig, builtin_config
from bnn_hls.model.layers import Activation


class Pretrain(enum.Enum):
    """How the Bi-Real network of stage 2 is initialised."""

    CLIP = "clip"  # real network with clip(-1, x, 1) activations (the paper)
    RELU = "relu"  # conventional real network with ReLU (ablation)
    NONE = "none"  # no stage 1: the Bi-Real network trains from scratch (ablation)


_PRETRAIN_ACTIVATION = {Pretrain.CLIP: Activation.CLIP, Pretrain.RELU: Activation.RELU}
_SIGN_ACTIVATIONS = (Activation.APPROX_SIGN, Activation.STE)


@dataclass(frozen=True)
class TrainConfig:
    real_epochs: int = 60  # stage 1
    binary_epochs: int = 60  # stage 2; from scratch it gets both budgets
    batch_size: int = 64
    lr: float = 5e-3
    augment: bool = True  # random shifts of up to one pixel
    seed: int = 0
    # One thread: the 8x8 convolutions are too small to split, and a second thread made runs
    # up to 10x slower (not faster) whenever other processes competed for the cores.
    threads: int = 1
    shortcut: bool = True
    sign_gradient: Activation = Activation.APPROX_SIGN  # stage 2: APPROX_SIGN or STE
    pretrain: Pretrain = Pretrain.CLIP
    train_limit: int | None = None  # keep only the first N training images (quick runs)

    def __post_init__(self):
        if self.sign_gradient not in _SIGN_ACTIVATIONS:
            raise BnnHlsError(f"sign_gradient: must be one of "
                              f"{[a.name for a in _SIGN_ACTIVATIONS]}, got {self.sign_gradient}")
        for name in ("real_epochs", "binary_epochs"):
            if getattr(self, name) < 0:
                raise BnnHlsError(f"{name}: must not be negative, got {getattr(self, name)}")
        if self.batch_size < 1 or self.lr <= 0 or self.threads < 1:
            raise BnnHlsError("batch_size, lr and threads must be positive")

    @property
    def stage2_epochs(self) -> int:
        if self.pretrain is Pretrain.NONE:
            return self.real_epochs + self.binary_epochs
        return self.binary_epochs

    def to_meta(self) -> dict:
        """Plain values only, so the checkpoint still loads with ``weights_only=True``."""
        return {k: v.value if isinstance(v, enum.Enum) else v
                for k, v in dataclasses.asdict(self).items()}


@dataclass
class TrainResult:
    model: BiRealNet  # the Bi-Real network, in eval mode
    real_accuracy: float | None  # stage 1 test top-1; None without pre-training
    binary_accuracy: float  # test top-1 of the Bi-Real network
    seconds: float


@dataclass(frozen=True)
class _Data:
    train_pixels: torch.Tensor  # raw uint8, augmented before normalising
    train_labels: torch.Tensor
    test_inputs: torch.Tensor  # already normalised
    test_labels: torch.Tensor


def _load_data(arch_cfg: ArchConfig, train_cfg: TrainConfig) -> _Data:
    split = digits_split()
    limit = train_cfg.train_limit
    return _Data(
        train_pixels=torch.from_numpy(split.train_x[:limit]),
        train_labels=torch.from_numpy(split.train_y[:limit]),
        test_inputs=normalise_pixels(torch.from_numpy(split.test_x), arch_cfg),
        test_labels=torch.from_numpy(split.test_y),
    )


@contextmanager
def _deterministic(seed: int, threads: int) -> Iterator[torch.Generator]:
    """Seed everything and restore the process-wide torch settings afterwards.

    Yields the generator used for shuffling and augmentation; the global RNG (seeded here)
    only initialises weights, so adding a random draw in one place cannot shift the other.
    """
    saved_threads = torch.get_num_threads()
    saved_deterministic = torch.are_deterministic_algorithms_enabled()
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True)
    try:
        yield torch.Generator().manual_seed(seed)
    finally:
        torch.set_num_threads(saved_threads)
        torch.use_deterministic_algorithms(saved_deterministic)


def shift_pixels(pixels: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Shift each image by -1, 0 or +1 pixel in each direction, filling with background 0."""
    n, _, h, w = pixels.shape
    # windows[i, c, dy, dx] is image i moved by (1 - dy, 1 - dx) pixels.
    windows = F.pad(pixels, (1, 1, 1, 1)).unfold(2, h, 1).unfold(3, w, 1)
    dy = torch.randint(0, 3, (n,), generator=generator)
    dx = torch.randint(0, 3, (n,), generator=generator)
    return windows[torch.arange(n), :, dy, dx]


def _batches(n: int, batch_size: int, generator: torch.Generator) -> Iterator[torch.Tensor]:
    order = torch.randperm(n, generator=generator)
    yield from order.split(batch_size)


def _linear_decay(optimizer: torch.optim.Optimizer, total_steps: int):
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1 - step / total_steps)


def train_stage(model: BiRealNet, data: _Data, epochs: int, cfg: TrainConfig,
                generator: torch.Generator, label: str, progress: bool) -> None:
    """Train ``model`` in place with Adam, the learning rate decaying linearly to 0."""
    steps_per_epoch = -(-len(data.train_labels) // cfg.batch_size)
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    scheduler = _linear_decay(optimizer, max(1, epochs * steps_per_epoch))
    model.train()
    bar = tqdm(range(epochs), desc=label, disable=not progress)
    for _ in bar:
        loss_sum, correct = 0.0, 0
        for index in _batches(len(data.train_labels), cfg.batch_size, generator):
            pixels = data.train_pixels[index]
            if cfg.augment:
                pixels = shift_pixels(pixels, generator)
            labels = data.train_labels[index]
            logits = model(normalise_pixels(pixels, model.cfg))
            loss = F.cross_entropy(logits, labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            loss_sum += loss.item() * len(index)
            correct += (logits.argmax(1) == labels).sum().item()
        n = len(data.train_labels)
        bar.set_postfix(loss=f"{loss_sum / n:.3f}", acc=f"{correct / n:.3f}")


@torch.no_grad()
def evaluate(model: BiRealNet, inputs: torch.Tensor, labels: torch.Tensor) -> float:
    """Top-1 accuracy in eval mode: BN uses running statistics, as the hardware does."""
    model.eval()
    return (model(inputs).argmax(1) == labels).float().mean().item()


def binary_from_real(real: BiRealNet, cfg: TrainConfig) -> BiRealNet:
    """The stage-2 network, initialised with every weight of the stage-1 network."""
    binary = _binary_network(real.cfg, cfg)
    binary.load_state_dict(real.state_dict())
    return binary


def _binary_network(arch_cfg: ArchConfig, cfg: TrainConfig) -> BiRealNet:
    return BiRealNet(arch_cfg, activation=cfg.sign_gradient, binary=True, shortcut=cfg.shortcut)


def train_digits(arch_cfg: ArchConfig, train_cfg: TrainConfig,
                 progress: bool = True) -> TrainResult:
    """Run both stages on the default digits split; accuracies are on its test set."""
    start = time.perf_counter()
    data = _load_data(arch_cfg, train_cfg)
    with _deterministic(train_cfg.seed, train_cfg.threads) as generator:
        real_accuracy = None
        if train_cfg.pretrain is Pretrain.NONE:
            binary = _binary_network(arch_cfg, train_cfg)
        else:
            real = BiRealNet(arch_cfg, activation=_PRETRAIN_ACTIVATION[train_cfg.pretrain],
                             binary=False, shortcut=train_cfg.shortcut)
            train_stage(real, data, train_cfg.real_epochs, train_cfg, generator,
                        "stage 1 (real)", progress)
            real_accuracy = evaluate(real, data.test_inputs, data.test_labels)
            binary = binary_from_real(real, train_cfg)
        train_stage(binary, data, train_cfg.stage2_epochs, train_cfg, generator,
                    "stage 2 (Bi-Real)", progress)
        binary_accuracy = evaluate(binary, data.test_inputs, data.test_labels)
    return TrainResult(model=binary, real_accuracy=real_accuracy,
                       binary_accuracy=binary_accuracy, seconds=time.perf_counter() - start)


def checkpoint_meta(result: TrainResult, train_cfg: TrainConfig) -> dict:
    return {
        "dataset": "sklearn load_digits, bnn_hls.data.digits_split() test set",
        "real_accuracy": result.real_accuracy,
        "binary_accuracy": result.binary_accuracy,
        "seed": train_cfg.seed,
        "seconds": round(result.seconds, 1),
        "recipe": train_cfg.to_meta(),
    }


def train_main(output_path: str | Path, epochs: int | None = None, seed: int = 0,
               threads: int = 1, progress: bool = True) -> TrainResult:
    """Train the digits network with the default recipe and save the checkpoint.

    ``epochs`` overrides the epoch count of each of the two stages.
    """
    stage_epochs = {} if epochs is None else {"real_epochs": epochs, "binary_epochs": epochs}
    train_cfg = TrainConfig(seed=seed, threads=threads, **stage_epochs)
    result = train_digits(builtin_config("digits"), train_cfg, progress)
    output_path = Path(output_path)
    output_path.parent.mkdir(parents=True, exist_ok=True)
    save_checkpoint(result.model, output_path, meta=checkpoint_meta(result, train_cfg))
    print(f"real-valued top-1 {result.real_accuracy:.2%}, Bi-Real top-1 "
          f"{result.binary_accuracy:.2%}, {result.seconds:.0f} s -> {output_path}")
    return result
