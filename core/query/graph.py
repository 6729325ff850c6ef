"""Graph walks the verbs share: bounded multi-source BFS, shortest path and iterative Tarjan SCCs."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from itertools import filterfalse
from typing import NamedTuple

from pt_tui.core.isg import ISG
from pt_tui.core.model import Edge, EdgeKind

#: The edges to follow from a node, in order (duplicates and several edges to one neighbour allowed).
EdgesOf = Callable[[str], Sequence[Edge]]
#: Per node, the first edge to each distinct neighbour (what a walk past the first hop uses).
FirstEdges = dict[str, dict[str, Edge]]


class Relation(NamedTuple):
    """What a walk follows: ``edges(node)``, towards their targets (``outward``) or their sources.
    ``key`` names the relation in a per-graph memo of :data:`FirstEdges`."""

    edges: EdgesOf
    outward: bool
    key: Hashable


class Walked(NamedTuple):
    """The result of :func:`walk`, in discovery order.

    ``reached``: node -> (distance, the node it was reached from, the edge that reached it).
    ``sites``: for nodes one hop away, every edge from the sources to them (the call sites).
    """

    reached: dict[str, tuple[int, str, Edge]]
    sites: dict[str, list[Edge]]
    outward: bool


def walk(
    sources: Iterable[str], relation: Relation, depth: int | None, memo: FirstEdges | None = None
) -> Walked:
    """Breadth-first from ``sources`` up to ``depth`` hops (None: unlimited).

    A source is reported too when a walk from the sources reaches it again (recursion). ``memo``
    (kept per graph generation by the caller) holds each expanded node's first edge per neighbour:
    past the first hop only the first edge reaching a node matters, so later walks skip the rest.
    """
    outward = relation.outward
    reached: dict[str, tuple[int, str, Edge]] = {}
    sites: dict[str, list[Edge]] = {}
    frontier = list(dict.fromkeys(sources))
    if not frontier or depth == 0:
        return Walked(reached, sites, outward)
    for current in frontier:  # the first hop keeps every edge: they are the call sites
        for edge in relation.edges(current):
            node = edge.dst if outward else edge.src
            found = sites.get(node)
            if found is None:
                reached[node] = (1, current, edge)
                sites[node] = [edge]
            else:
                found.append(edge)
    for found in sites.values():
        if len(found) > 1:  # one Edge object per edge in an ISG: identity is equality here
            found[:] = {id(e): e for e in found}.values()
    memo = {} if memo is None else memo
    frontier = list(reached)
    distance = 1
    while frontier and (depth is None or distance < depth):
        distance += 1
        following: list[str] = []
        for current in frontier:
            firsts = memo.get(current)
            if firsts is None:
                firsts = memo[current] = first_edges(relation.edges(current), outward)
            for node in filterfalse(reached.__contains__, firsts):
                reached[node] = (distance, current, firsts[node])
                following.append(node)
        frontier = following
    return Walked(reached, sites, outward)


def first_edges(edges: Iterable[Edge], outward: bool) -> dict[str, Edge]:
    """The distinct neighbours along ``edges`` in order, each with the first edge reaching it
    (one shared empty dict, never to be modified, for a node without edges: memos hold many)."""
    firsts: dict[str, Edge] = {}
    for edge in edges:
        firsts.setdefault(edge.dst if outward else edge.src, edge)
    return firsts or _NO_EDGES


_NO_EDGES: dict[str, Edge] = {}


def callers_of(isg: ISG, kind: EdgeKind = EdgeKind.CALLS) -> Relation:
    return Relation(lambda node: isg.in_edges(node, kind), False, ("in", kind))


def callees_of(isg: ISG, kind: EdgeKind = EdgeKind.CALLS) -> Relation:
    return Relation(lambda node: isg.out_edges(node, kind), True, ("out", kind))


def shortest_path(
    isg: ISG, sources: Iterable[str], targets: Iterable[str], kind: EdgeKind
) -> list[tuple[str, Edge | None]]:
    """The nodes of a shortest ``kind`` path from any source to any target, each with the edge that
    entered it (None for the first); empty when there is none.

    Bidirectional BFS, expanding the smaller frontier: the first node both searches reach lies on
    a shortest path (every level is explored completely before the next).
    """
    ahead: dict[str, tuple[str, Edge] | None] = dict.fromkeys(sources)
    behind: dict[str, tuple[str, Edge] | None] = dict.fromkeys(targets)
    meet = next((s for s in ahead if s in behind), None)
    forward, backward = list(ahead), list(behind)
    while meet is None and forward and backward:
        if len(forward) <= len(backward):
            forward, meet = _level(forward, ahead, behind, isg.out_edges, kind, outward=True)
        else:
            backward, meet = _level(backward, behind, ahead, isg.in_edges, kind, outward=False)
    if meet is None:
        return []
    path: list[tuple[str, Edge | None]] = []
    cursor, entry = meet, ahead[meet]
    while entry is not None:
        path.append((cursor, entry[1]))
        cursor, entry = entry[0], ahead[entry[0]]
    path.append((cursor, None))
    path.reverse()
    cursor, entry = meet, behind[meet]
    while entry is not None:
        path.append((entry[0], entry[1]))
        cursor, entry = entry[0], behind[entry[0]]
    return path


def _level(
    frontier: list[str],
    seen: dict[str, tuple[str, Edge] | None],
    other: dict[str, tuple[str, Edge] | None],
    edges_of: Callable[[str, EdgeKind], list[Edge]],
    kind: EdgeKind,
    *,
    outward: bool,
) -> tuple[list[str], str | None]:
    """Expand one BFS level; returns the next frontier and a node the other search has seen."""
    following: list[str] = []
    for current in frontier:
        for edge in edges_of(current, kind):
            node = edge.dst if outward else edge.src
            if node not in seen:
                seen[node] = (current, edge)
                if node in other:
                    return following, node
                following.append(node)
    return following, None


def strongly_connected(isg: ISG, kind: EdgeKind) -> list[list[str]]:
    """Cycles of ``kind`` edges: SCCs of more than one node, and single nodes with a self-loop.

    Iterative Tarjan (no recursion limit); largest first, then by their smallest node id.
    """
    adjacency: dict[str, list[str]] = {}
    for node_id in isg.nodes:
        targets = [e.dst for e in isg.out_edges(node_id) if e.kind is kind]
        if targets:
            adjacency[node_id] = list(dict.fromkeys(targets))
    no_successors: list[str] = []
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    for root in adjacency:
        if root in order:
            continue
        order[root] = low[root] = len(order)
        stack.append(root)
        on_stack.add(root)
        work: list[tuple[str, Iterator[str]]] = [(root, iter(adjacency[root]))]
        while work:
            node, pending = work[-1]
            descended = False
            for nxt in pending:
                if nxt not in order:
                    order[nxt] = low[nxt] = len(order)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(adjacency.get(nxt, no_successors))))
                    descended = True
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], order[nxt])
            if descended:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == order[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in adjacency.get(node, no_successors):
                    found.append(component)
    found.sort(key=lambda c: (-len(c), min(c)))
    return found
