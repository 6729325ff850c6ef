"""Turning walks into result rows: locations, call sites and the node a row was reached through."""

from __future__ import annotations

from collections.abc import Iterable

from pt_tui.core.isg import ISG
from pt_tui.core.model import Edge, Node, Resolution
from pt_tui.core.query.graph import Reached
from pt_tui.core.query.result import ResultRow

#: Call sites listed per row before "+N more".
MAX_SITES = 5


def location(node: Node) -> str:
    return f"{node.file}:{node.line}"


def site(edge: Edge) -> str:
    mark = " (ambiguous)" if edge.resolution is Resolution.AMBIGUOUS else ""
    return f"{edge.file}:{edge.line}{mark}"


def sites(edges: Iterable[Edge]) -> str:
    ordered = sorted(edges, key=lambda e: (e.file, e.line))
    shown = ", ".join(site(e) for e in ordered[:MAX_SITES])
    more = len(ordered) - MAX_SITES
    return f"{shown} (+{more} more)" if more > 0 else shown


def reached_rows(isg: ISG, reached: Iterable[Reached]) -> list[ResultRow]:
    """Rows ordered by distance then qualname. Distance 1 details the sites of the edges from the
    sources; farther rows name the node they were reached through."""
    rows: list[ResultRow] = []
    nodes = isg.nodes
    for r in reached:
        edge = r.edges[0]
        if r.member:
            detail = f"via member {nodes[r.member].qualname} at {site(edge)}"
        elif r.distance == 1:
            detail = sites(r.edges)
        else:
            detail = f"via {nodes[r.parent].qualname} at {site(edge)}"
        rows.append(ResultRow(node=nodes[r.node], distance=r.distance, via=r.via, detail=detail))
    rows.sort(key=lambda row: (row.distance, row.node.qualname, row.node.file, row.node.line))
    return rows


def unique_nodes(nodes: Iterable[Node]) -> list[Node]:
    return list({n.id: n for n in nodes}.values())
