"""Static checks of generated HLS C++ against the synthesizable subset Vitis HLS accepts
(no Vitis here): no dynamic memory, recursion, STL containers or unbounded loops in kernel
code; every internal stream with one producer and one consumer; an interface pragma on every
top-level port."""

from __future__ import annotations

import re
from pathlib import Path

FORBIDDEN = {
    "dynamic memory": re.compile(r"\b(new|delete|malloc|calloc|realloc|free)\b"),
    "an STL container": re.compile(r"std::(vector|deque|list|map|set|unordered_\w+|string)\b"),
    "an unbounded loop": re.compile(r"\bwhile\s*\(|\bfor\s*\(\s*;\s*;|\bgoto\b"),
}
FUNCTION = re.compile(r"^\S[^;()]*?\b(\w+)\s*\([^;]*?\)\s*(const\s*)?\{", re.MULTILINE)


def _without_comments(text: str) -> str:
    return re.sub(r"//[^\n]*|/\*.*?\*/", "", text, flags=re.DOTALL)


def _bodies(text: str) -> dict[str, str]:
    """Top-level and member function bodies by name (brace matching)."""
    bodies = {}
    for match in FUNCTION.finditer(text):
        depth, index = 0, match.end() - 1
        for index in range(match.end() - 1, len(text)):
            depth += {"{": 1, "}": -1}.get(text[index], 0)
            if depth == 0:
                break
        bodies[match.group(1)] = text[match.end():index]
    return bodies


def subset_violations(path: Path) -> list[str]:
    text = _without_comments(Path(path).read_text())
    found = [f"{path.name}: {what}" for what, pattern in FORBIDDEN.items()
             if pattern.search(text)]
    for name, body in _bodies(text).items():
        if re.search(rf"\b{name}\s*(<[^;]*?>)?\s*\(", body):
            found.append(f"{path.name}: {name} calls itself")
    return found


def stream_use_violations(top_cpp: Path) -> list[str]:
    """Each declared stream is an argument of exactly two calls (its writer and reader)."""
    text = _without_comments(top_cpp.read_text())
    names = re.findall(r"hls::stream<ap_uint<\d+>, \d+> (\w+)\(", text)
    calls = re.findall(r"bnn::\w+<[^;]*?>\(([^;]*?)\);", text, flags=re.DOTALL)
    found = []
    for name in names:
        uses = sum(name in re.findall(r"\w+", args) for args in calls)
        if uses != 2:
            found.append(f"stream {name} is used by {uses} calls")
    return found


def port_violations(top_cpp: Path, top: str) -> list[str]:
    text = _without_comments(top_cpp.read_text())
    signature = re.search(rf"void {top}\(([^)]*)\)", text).group(1)
    ports = [p.split("&")[-1].strip() for p in signature.split(",")]
    pragmas = set(re.findall(r"#pragma HLS INTERFACE mode=\w+ port=(\w+)", text))
    return [f"port {p} has no interface pragma" for p in [*ports, "return"]
            if p not in pragmas]
