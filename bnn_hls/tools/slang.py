"""A second, strict SystemVerilog front end for the generated RTL: pyslang (slang) elaborates
the sources the way a vendor tool would and reports every error Verilator lets through."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from bnn_hls.errors import BnnHlsError


def slang_errors(sources: Sequence[Path], top: str) -> list[str]:
    """Elaborate ``top`` from ``sources``; the error diagnostics, one text each."""
    try:
        import pyslang
        from pyslang.ast import Compilation, CompilationOptions
        from pyslang.syntax import SyntaxTree
    except ImportError:
        raise BnnHlsError("pyslang is not installed (pip install 'bnn-hls[dev]')") from None
    options = CompilationOptions()
    options.topModules = {top}
    bag = pyslang.Bag([options])
    compilation = Compilation(bag)
    for source in sources:
        compilation.addSyntaxTree(SyntaxTree.fromFile(str(source)))
    errors = [d for d in compilation.getAllDiagnostics() if d.isError()]
    engine = pyslang.DiagnosticEngine(compilation.sourceManager)
    return [engine.reportAll(compilation.sourceManager, [d]).strip() for d in errors]
