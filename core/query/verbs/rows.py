"""Turning walks into result rows: locations, call sites and the node a row was reached through."""

from __future__ import annotations

import heapq
from collections.abc import Collection, Iterable
from operator import attrgetter

from pt_tui.core.isg import ISG
from pt_tui.core.model import Edge, Node, Resolution
from pt_tui.core.query.graph import Walked
from pt_tui.core.query.result import ResultRow

#: Call sites listed per row before "+N more".
MAX_SITES = 5


def location(node: Node) -> str:
    return f"{node.file}:{node.line}"


def site(edge: Edge) -> str:
    return f"{edge.file}:{edge.line}{' (ambiguous)' if edge.resolution is _AMBIGUOUS else ''}"


_AMBIGUOUS = Resolution.AMBIGUOUS


def sites(edges: Collection[Edge]) -> str:
    """The first call sites (by file and line), and how many more there are."""
    if len(edges) == 1:
        return site(next(iter(edges)))
    first = heapq.nsmallest(MAX_SITES, edges, key=_at) if len(edges) > MAX_SITES else sorted(edges, key=_at)
    shown = ", ".join([site(e) for e in first])
    more = len(edges) - MAX_SITES
    return f"{shown} (+{more} more)" if more > 0 else shown


_at = attrgetter("file", "line")


def reached_rows(isg: ISG, walked: Walked) -> list[ResultRow]:
    """Rows ordered by distance then qualname. Distance 1 details the sites of the edges from the
    sources; farther rows name the node they were reached through. An edge that does not end at
    the node it was followed from starts at one of that node's members (``blast-radius``)."""
    nodes, outward, sites_of, ambiguous = isg.nodes, walked.outward, walked.sites, _AMBIGUOUS
    # (distance, qualname, file, line, discovery number, node, via, detail): the number is unique,
    # so sorting these tuples orders rows like a stable sort on the first four keys
    keyed: list[tuple[int, str, str, int, int, Node, str, str]] = []
    for seq, (node_id, (distance, parent, edge)) in enumerate(walked.reached.items()):
        node = nodes[node_id]
        near = edge.src if outward else edge.dst
        if near != parent:
            detail = f"via member {nodes[near].qualname} at {site(edge)}"
        elif distance == 1:
            detail = sites(sites_of[node_id])
        else:
            mark = " (ambiguous)" if edge.resolution is ambiguous else ""
            detail = f"via {nodes[parent].qualname} at {edge.file}:{edge.line}{mark}"
        keyed.append((distance, node.qualname, node.file, node.line, seq, node, edge.kind, detail))
    keyed.sort()
    return [ResultRow(node=k[5], distance=k[0], via=k[6], detail=k[7]) for k in keyed]


def unique_nodes(nodes: Iterable[Node]) -> list[Node]:
    return list({n.id: n for n in nodes}.values())
