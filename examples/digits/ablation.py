"""Which ingredients of the Bi-Real recipe matter on the digits?

Each variant changes one ingredient of the default recipe (shortcut around every 1-bit
convolution, ApproxSign gradient, clip(-1, x, 1) real-valued pre-training) and is trained with
several seeds. The Markdown table of Bi-Real test top-1 (mean ± std over seeds) is printed and
written into README.md between the marker comments, so a rerun replaces it.

Run: .venv/bin/python examples/digits/ablation.py [--epochs N] [--seeds N] [--jobs N]
"""

from __future__ import annotations

import argparse
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

from bnn_hls.model import Activation, builtin_config
from bnn_hls.model.train import Pretrain, TrainConfig, train_digits

README = Path(__file__).resolve().parent / "README.md"
TABLE_START = "<!-- ablation-table:start -->"
TABLE_END = "<!-- ablation-table:end -->"


@dataclass(frozen=True)
class Variant:
    name: str
    changes: dict = field(default_factory=dict)  # TrainConfig fields that differ from default


VARIANTS = (
    Variant("Bi-Real recipe (shortcut, ApproxSign, clip pre-training)"),
    Variant("no shortcut", {"shortcut": False}),
    Variant("plain STE instead of ApproxSign", {"sign_gradient": Activation.STE}),
    Variant("ReLU pre-training instead of clip", {"pretrain": Pretrain.RELU}),
    Variant("no pre-training (from scratch, both stages' epochs)", {"pretrain": Pretrain.NONE}),
)


@dataclass(frozen=True)
class Run:
    variant: Variant
    seed: int
    epochs: int  # per stage


def train_once(run: Run) -> tuple[float, float | None]:
    cfg = TrainConfig(real_epochs=run.epochs, binary_epochs=run.epochs, seed=run.seed,
                      **run.variant.changes)
    result = train_digits(builtin_config("digits"), cfg, progress=False)
    return result.binary_accuracy, result.real_accuracy


def _mean_std(values: list[float]) -> str:
    return f"{100 * statistics.mean(values):.2f} ± {100 * statistics.stdev(values):.2f}"


def markdown_table(results: dict[str, list[tuple[float, float | None]]]) -> str:
    lines = ["| Variant | Bi-Real top-1 (%) | Real-valued (stage 1) top-1 (%) | Bi-Real per seed |",
             "|---|---|---|---|"]
    for name, outcomes in results.items():
        binary = [b for b, _ in outcomes]
        real = [r for _, r in outcomes if r is not None]
        per_seed = ", ".join(f"{100 * b:.2f}" for b in binary)
        lines.append(f"| {name} | {_mean_std(binary)} | "
                     f"{_mean_std(real) if real else 'n/a'} | {per_seed} |")
    return "\n".join(lines)


def write_into_readme(block: str) -> None:
    text = README.read_text()
    if TABLE_START not in text or TABLE_END not in text:
        raise SystemExit(f"{README}: markers {TABLE_START} / {TABLE_END} not found")
    before = text[:text.index(TABLE_START) + len(TABLE_START)]
    after = text[text.index(TABLE_END):]
    README.write_text(f"{before}\n{block}\n{after}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=TrainConfig.binary_epochs,
                        help="epochs per stage (default: the recipe's)")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2,
                        help="training runs in parallel, one thread each (default 2)")
    args = parser.parse_args()
    runs = [Run(v, seed, args.epochs) for v in VARIANTS for seed in range(args.seeds)]
    start = time.perf_counter()
    # spawn, not fork: forking a process that has already started torch's thread pool can hang.
    with ProcessPoolExecutor(args.jobs, mp_context=get_context("spawn")) as pool:
        outcomes = list(pool.map(train_once, runs))
    minutes = (time.perf_counter() - start) / 60
    results = {v.name: [o for r, o in zip(runs, outcomes, strict=True) if r.variant == v]
               for v in VARIANTS}
    block = (f"{markdown_table(results)}\n\n"
             f"{args.epochs}+{args.epochs} epochs per run, seeds 0..{args.seeds - 1}, mean ± "
             f"sample std; {len(runs)} runs took {minutes:.1f} min with {args.jobs} parallel jobs.")
    write_into_readme(block)
    print(block)


if __name__ == "__main__":
    main()
