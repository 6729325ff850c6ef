"""Describing verbs: show, file, stats and cycles."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pt_tui.core.isg import ISG
from pt_tui.core.model import EdgeKind, Node
from pt_tui.core.query.graph import strongly_connected
from pt_tui.core.query.lookup import find_file
from pt_tui.core.query.registry import Call, Param, VerbSpec
from pt_tui.core.query.result import Output, ResultRow
from pt_tui.core.query.types import Choice, Entity, FilePath
from pt_tui.core.query.verbs.rows import location

#: Entities ``show`` describes when a pipeline feeds it many.
MAX_SHOWN = 20


def show(call: Call) -> Output:
    nodes = call.nodes("entity")
    shown = nodes[:MAX_SHOWN]
    blocks: list[str] = []
    entities: list[dict[str, Any]] = []
    for node in shown:
        incoming = _count(e.kind for e in call.isg.in_edges(node.id))
        outgoing = _count(e.kind for e in call.isg.out_edges(node.id))
        blocks.append(describe(call.isg, node, incoming, outgoing))
        entities.append({"id": node.id, "qualname": node.qualname, "in": incoming, "out": outgoing})
    notes = [f"showing {len(shown)} of {len(nodes)} entities"] if len(nodes) > len(shown) else []
    rows = [ResultRow(node=n, detail=location(n)) for n in shown]
    return Output(rows=rows, text="\n\n".join(blocks), data={"entities": entities}, notes=notes)


def describe(isg: ISG, node: Node, incoming: dict[str, int], outgoing: dict[str, int]) -> str:
    lines = [f"{node.kind} {node.qualname}"]
    if node.signature:
        lines.append(f"  signature: {node.signature}")
    lines.append(f"  at: {node.file}:{node.line}-{node.end_line} ({node.language}, {node.visibility})")
    if node.doc:
        lines.append(f"  doc: {node.doc}")
    parent = isg.nodes.get(node.parent) if node.parent else None
    if parent is not None:
        lines.append(f"  in: {parent.kind} {parent.qualname}")
    lines.append(f"  edges in: {_counts_text(incoming)}")
    lines.append(f"  edges out: {_counts_text(outgoing)}")
    return "\n".join(lines)


def _count(kinds: Iterable[str]) -> dict[str, int]:
    counts = {str(k): 0 for k in EdgeKind}
    for kind in kinds:
        counts[str(kind)] += 1
    return counts


def _counts_text(counts: dict[str, int]) -> str:
    return ", ".join(f"{kind} {n}" for kind, n in counts.items())


def file(call: Call) -> Output:
    path = find_file(call.index, call.text("path"), call.columns.get("path", 1))
    nodes = sorted(call.isg.in_file(path), key=lambda n: (n.line, -n.end_line, n.qualname))
    local = {n.id: n for n in nodes}
    depth: dict[str, int] = {}
    for node in nodes:  # parents start on or before their children's line, so come first
        depth[node.id] = depth.get(node.parent, -1) + 1 if node.parent in local else 0
    rows = [ResultRow(node=n, distance=depth[n.id], via="CONTAINS", detail=location(n)) for n in nodes]
    info = call.isg.files[path]
    data = {"file": path, "language": info.language, "lines": info.lines, "syntax_errors": info.syntax_errors}
    return Output(rows=rows, data=data)


def stats(call: Call) -> Output:
    data = call.index.memo("stats", lambda: graph_stats(call.isg))
    text = "\n".join(
        [
            f"{data['nodes']} nodes, {data['edges']} edges, {data['files']} files, {data['lines']} lines",
            "nodes: " + ", ".join(f"{k} {n}" for k, n in data["node_kinds"].items()),
            "edges: " + ", ".join(f"{k} {n}" for k, n in data["edge_kinds"].items()),
            "languages: " + ", ".join(f"{k} ({n} files)" for k, n in data["languages"].items()),
        ]
    )
    return Output(text=text, data=dict(data))


def graph_stats(isg: ISG) -> dict[str, Any]:
    languages: dict[str, int] = {}
    for info in isg.files.values():
        languages[info.language] = languages.get(info.language, 0) + 1
    return {
        "nodes": isg.node_count,
        "edges": isg.edge_count,
        "files": len(isg.files),
        "lines": sum(f.lines for f in isg.files.values()),
        "files_with_syntax_errors": sum(1 for f in isg.files.values() if f.syntax_errors),
        "node_kinds": {str(k): n for k, n in isg.kind_counts().items()},
        "edge_kinds": {str(k): n for k, n in isg.edge_kind_counts().items()},
        "languages": dict(sorted(languages.items())),
    }


def cycles(call: Call) -> Output:
    kind = EdgeKind.CALLS if call.text("kind") == "calls" else EdgeKind.IMPORTS
    rows, sizes = call.index.memo(("cycles", kind), lambda: _cycle_rows(call.isg, kind))
    return Output(rows=list(rows), data={"cycles": len(sizes), "sizes": list(sizes)})


def _cycle_rows(isg: ISG, kind: EdgeKind) -> tuple[list[ResultRow], list[int]]:
    """Rows of every cycle (numbered largest first, then by first qualname) and the cycle sizes."""
    nodes = isg.nodes
    groups = [sorted((nodes[i] for i in group), key=_by_name) for group in strongly_connected(isg, kind)]
    groups.sort(key=lambda g: (-len(g), g[0].qualname))
    rows = [
        ResultRow(node=node, via=kind, detail=location(node), group=number)
        for number, group in enumerate(groups, 1)
        for node in group
    ]
    return rows, [len(g) for g in groups]


def _by_name(node: Node) -> tuple[str, str, int]:
    return (node.qualname, node.file, node.line)


SPECS = (
    VerbSpec(
        "show",
        show,
        (Param("entity", Entity(), "an entity"),),
        (),
        "the entity: signature, location, doc, edge counts",
        "entity",
    ),
    VerbSpec(
        "file",
        file,
        (Param("path", FilePath(), "a file path (or a unique suffix)"),),
        (),
        "entities of a file",
    ),
    VerbSpec("stats", stats, (), (), "node and edge counts by kind, files, languages"),
    VerbSpec(
        "cycles",
        cycles,
        (Param("kind", Choice(("calls", "imports")), "which edges", required=False, default="calls"),),
        (),
        "call or import cycles (largest first)",
    ),
)
