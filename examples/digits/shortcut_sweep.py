"""Golden-model accuracy and agreement with the float model vs shortcut-path width.

Run: .venv/bin/python examples/digits/shortcut_sweep.py [CHECKPOINT]
Writes examples/digits/shortcut_sweep.md (table) and shortcut_sweep.png (plot).
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from bnn_hls.compiler.config import CompileConfig  # noqa: E402
from bnn_hls.compiler.importer import load_network  # noqa: E402
from bnn_hls.compiler.pipeline import compile_model  # noqa: E402
from bnn_hls.data import digits_split  # noqa: E402
from bnn_hls.tools.evaluate import measure_faithfulness  # noqa: E402

HERE = Path(__file__).resolve().parent
WIDTHS = (7, 8, 9, 10, 11, 12, 14, 16)  # 7 bits: the calibrated integer bits, no fraction


def main(checkpoint: str = str(HERE / "birealnet_digits.pt")) -> None:
    network = load_network(checkpoint)
    data = digits_split()
    rows = []
    for bits in WIDTHS:
        compiled = compile_model(network, CompileConfig(shortcut_bits=bits), data.train_x)
        faith = measure_faithfulness(compiled, data.test_x, data.test_y)
        rows.append((bits, faith))
    float_acc = rows[0][1].float_accuracy
    lines = [f"Float model top-1: {100 * float_acc:.2f}% on {rows[0][1].images} test images.", "",
             "| shortcut bits | golden top-1 | drop (points) | top-1 agreement | max logit error |",
             "|---:|---:|---:|---:|---:|"]
    for bits, f in rows:
        lines.append(f"| {bits} | {100 * f.golden_accuracy:.2f}% | "
                     f"{100 * (f.float_accuracy - f.golden_accuracy):+.2f} | "
                     f"{100 * f.agreement:.2f}% | {f.max_logit_error:.4f} |")
    table = "\n".join(lines)
    (HERE / "shortcut_sweep.md").write_text(table + "\n")
    print(table)

    fig, ax = plt.subplots(figsize=(5, 3.2))
    ax.plot(WIDTHS, [100 * f.golden_accuracy for _, f in rows], "o-", label="golden top-1")
    ax.plot(WIDTHS, [100 * f.agreement for _, f in rows], "s--", label="agreement with float")
    ax.axhline(100 * float_acc, color="gray", lw=0.8, label="float top-1")
    ax.set_xlabel("shortcut-path width (bits)")
    ax.set_ylabel("%")
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(HERE / "shortcut_sweep.png", dpi=120)


if __name__ == "__main__":
    main(*sys.argv[1:])
