"""Layering: the IR, the passes and the golden model import without torch; the compiler
imports no backend."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import bnn_hls.compiler.passes

TORCH_FREE_MODULES = (
    "bnn_hls.geometry",
    "bnn_hls.compiler.bits",
    "bnn_hls.compiler.formats",
    "bnn_hls.compiler.ir",
    "bnn_hls.compiler.passes.choose_formats",
    "bnn_hls.compiler.passes.fold",
    "bnn_hls.compiler.passes.intervals",
    "bnn_hls.compiler.passes.lower",
    "bnn_hls.compiler.passes.pack",
    "bnn_hls.compiler.passes.quantize",
    "bnn_hls.compiler.serialize",
    "bnn_hls.backends.golden",
    "bnn_hls.backends.golden.model",
    "bnn_hls.backends.golden.ops",
    "bnn_hls.backends.golden.vectors",
    "bnn_hls.hw",
    "bnn_hls.hw.intervals",
    "bnn_hls.hw.layout",
    "bnn_hls.hw.folding",
    "bnn_hls.hw.weights",
    "bnn_hls.hw.stages",
    "bnn_hls.hw.skip",
    "bnn_hls.hw.plan",
    "bnn_hls.hw.verify",
    "bnn_hls.hw.technology",
    "bnn_hls.hw.dma",
    "bnn_hls.hw.estimates",
    "bnn_hls.hw.plan_estimates",
    "bnn_hls.hw.weight_load",
    "bnn_hls.hw.timing",
    "bnn_hls.hw.popcount_tree",
    "bnn_hls.hw.reduction_tree",
    "bnn_hls.hw.rtl_structure",
    "bnn_hls.boards",
    "bnn_hls.boards.xilinx_shell",
    "bnn_hls.boards.pynq_stream",
    "bnn_hls.boards.vivado",
)

# Imports each module with torch blocked; prints the modules that failed and why.
_IMPORT_WITHOUT_TORCH = """
import importlib, sys
sys.modules["torch"] = None  # any 'import torch' now raises ImportError
for name in sys.argv[1:]:
    try:
        importlib.import_module(name)
    except ImportError as exc:
        print(f"{name}: {exc}")
"""

# Imports the modules, then prints every backend module that came with them.
_BACKENDS_LOADED = """
import importlib, sys
for name in sys.argv[1:]:
    importlib.import_module(name)
for name in sorted(sys.modules):
    if name.startswith("bnn_hls.backends"):
        print(name)
"""


def run_python(script: str, modules) -> list[str]:
    result = subprocess.run([sys.executable, "-c", script, *modules],
                            capture_output=True, text=True, check=True)
    return result.stdout.splitlines()


def import_without_torch(modules) -> list[str]:
    return run_python(_IMPORT_WITHOUT_TORCH, modules)


def test_modules_import_without_torch():
    assert import_without_torch(TORCH_FREE_MODULES) == []


def test_compiler_and_plan_import_no_backend():
    compiler = [name for name in TORCH_FREE_MODULES
                if name.startswith(("bnn_hls.compiler", "bnn_hls.hw"))]
    assert run_python(_BACKENDS_LOADED, compiler) == []
    assert run_python(_BACKENDS_LOADED, ["bnn_hls.backends.golden.ops"]) == \
        ["bnn_hls.backends", "bnn_hls.backends.golden", "bnn_hls.backends.golden.ops"]


def test_blocking_torch_is_detected():
    (failure,) = import_without_torch(["bnn_hls.model"])
    assert failure.startswith("bnn_hls.model: import of torch halted")


def test_every_pass_is_listed():
    passes = {f"bnn_hls.compiler.passes.{info.name}"
              for info in pkgutil.iter_modules(bnn_hls.compiler.passes.__path__)}
    assert passes <= set(TORCH_FREE_MODULES)
