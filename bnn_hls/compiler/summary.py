"""A human-readable statement of the numerics a compiled model uses (docs/numerics.md applied)."""

from __future__ import annotations

from bnn_hls.compiler import ir
from bnn_hls.compiler.formats import bits_for_range
from bnn_hls.compiler.passes.choose_formats import residual_tensors
from bnn_hls.compiler.pipeline import CompiledModel


def numerics_summary(compiled: CompiledModel) -> str:
    graph, config = compiled.graph, compiled.config
    lines = [f"Numerics of {graph.name} (see docs/numerics.md for the rules)",
             f"compile config: {config.to_dict()}", "",
             f"Shortcut (residual) tensors (expected ranges from {compiled.range_source}):"]
    for name in residual_tensors(graph):
        tensor = graph.tensors[name]
        producer = graph.producer(name)
        if isinstance(producer, ir.MaxPool):
            producer = graph.producer(producer.inputs[0])
        seen = compiled.calibrated_max.get(name)
        calib = f", expected max |x| {seen:.3f}" if seen is not None else ""
        saturates = ("can saturate" if compiled.saturation.get(producer.name)
                     else "can never saturate (worst case fits)")
        lines.append(f"  {name:<24} {tensor.fmt.describe():<24} {saturates}{calib}")
    lines += ["", "Affines rshift_round(M*x + B, S):"]
    for node in graph.nodes_of(ir.Affine):
        lo, hi = node.product_interval
        lines.append(f"  {node.name:<28} S={node.shift:<3} M in [{node.mult.min()}, "
                     f"{node.mult.max()}]  M*x+B needs {bits_for_range(lo, hi)} bits"
                     f"{'  (saturates to output format)' if node.saturate else ''}")
    lines += ["", "Accumulators and sums (width from worst-case interval: overflow impossible):"]
    sized = (ir.Conv, ir.BinaryConv, ir.Linear, ir.AvgPool2Sum, ir.GlobalSum, ir.InputQuant)
    for node in graph.nodes:
        if isinstance(node, sized):
            tensor = graph.tensors[node.output]
            lines.append(f"  {node.name:<28} {tensor.fmt.describe():<8} "
                         f"range [{tensor.interval[0]}, {tensor.interval[1]}]")
    logits = graph.tensors[graph.output]
    lines += ["", f"Logits: {logits.fmt.describe()}, one LSB = {logits.lsb[0]:g}"]
    return "\n".join(lines)
