"""Export the graph as JSON, Graphviz DOT or a Mermaid flowchart, in a deterministic order.

Nodes are ordered by (file, line, qualname, id) and edges by (src, dst, kind, file, line).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import msgspec

from pt_tui.core.isg import ISG
from pt_tui.core.model import Edge, Node


def sorted_nodes(isg: ISG) -> list[Node]:
    return sorted(isg.nodes.values(), key=lambda n: (n.file, n.line, n.qualname, n.id))


def sorted_edges(isg: ISG) -> list[Edge]:
    return sorted(isg.edges(), key=lambda e: e.key)


def export_json(isg: ISG) -> bytes:
    """``{"nodes": [...], "edges": [...]}``: every field of each Node and Edge (kinds as strings)."""
    return msgspec.json.encode({"nodes": sorted_nodes(isg), "edges": sorted_edges(isg)})


# -- Graphviz -------------------------------------------------------------------------------------


def export_dot(isg: ISG, *, clusters: bool = True, name: str = "isg") -> str:
    """A ``digraph``: node ids quoted, labelled by qualname; edges labelled by kind; one
    ``cluster`` subgraph per file when ``clusters``."""
    out = [f"digraph {_dot_quote(name)} {{", "  rankdir=LR;", '  node [shape=box, fontname="Helvetica"];']
    nodes = sorted_nodes(isg)
    if clusters:
        for number, (path, members) in enumerate(_by_file(nodes)):
            out.append(f"  subgraph {_dot_quote(f'cluster_{number}')} {{")
            out.append(f"    label={_dot_quote(path)};")
            out.extend(f"    {_dot_node(n)}" for n in members)
            out.append("  }")
    else:
        out.extend(f"  {_dot_node(n)}" for n in nodes)
    for edge in sorted_edges(isg):
        out.append(f"  {_dot_quote(edge.src)} -> {_dot_quote(edge.dst)} [label={_dot_quote(edge.kind)}];")
    out.append("}")
    return "\n".join(out) + "\n"


def _dot_node(node: Node) -> str:
    return f"{_dot_quote(node.id)} [label={_dot_quote(node.qualname)}, tooltip={_dot_quote(node.kind)}];"


def _dot_quote(text: str) -> str:
    """A DOT double-quoted string: backslashes and quotes escaped, newlines as ``\\n``."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "").replace("\n", "\\n")
    return f'"{escaped}"'


def _by_file(nodes: Iterable[Node]) -> list[tuple[str, list[Node]]]:
    groups: dict[str, list[Node]] = {}
    for node in nodes:
        groups.setdefault(node.file, []).append(node)
    return list(groups.items())


# -- Mermaid --------------------------------------------------------------------------------------

_MERMAID_ESCAPES = {
    "#": "#35;",
    '"': "#quot;",
    "<": "#lt;",
    ">": "#gt;",
    "[": "#91;",
    "]": "#93;",
    "(": "#40;",
    ")": "#41;",
    "{": "#123;",
    "}": "#125;",
    "|": "#124;",
    "`": "#96;",
}
_MERMAID_SPECIAL = re.compile("[" + re.escape("".join(_MERMAID_ESCAPES)) + "]")
_NOT_ID = re.compile(r"[^A-Za-z0-9_]")


def export_mermaid(isg: ISG) -> str:
    """A ``flowchart LR``: ids sanitised to ``[A-Za-z0-9_]``, labels quoted with special
    characters as Mermaid entity codes (``#quot;``, ``#91;`` ...)."""
    ids: dict[str, str] = {}
    used: set[str] = set()
    out = ["flowchart LR"]
    for node in sorted_nodes(isg):
        ids[node.id] = mermaid_id(node.id, used)
        out.append(f'  {ids[node.id]}["{mermaid_label(node.qualname)}"]')
    for edge in sorted_edges(isg):
        out.append(f"  {ids[edge.src]} -->|{mermaid_label(edge.kind)}| {ids[edge.dst]}")
    return "\n".join(out) + "\n"


def mermaid_id(raw: str, used: set[str]) -> str:
    """``n_`` + ``raw`` with every character outside ``[A-Za-z0-9_]`` replaced, made unique
    among ``used`` (which it joins)."""
    base = "n_" + _NOT_ID.sub("_", raw)
    candidate, suffix = base, 2
    while candidate in used:
        candidate, suffix = f"{base}_{suffix}", suffix + 1
    used.add(candidate)
    return candidate


def mermaid_label(text: str) -> str:
    flat = text.replace("\r", " ").replace("\n", " ")
    return _MERMAID_SPECIAL.sub(lambda m: _MERMAID_ESCAPES[m.group()], flat)
