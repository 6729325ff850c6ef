"""Graph walks the verbs share: bounded multi-source BFS, shortest path and iterative Tarjan SCCs."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from pt_tui.core.isg import ISG
from pt_tui.core.model import Edge, EdgeKind

#: One move of a walk: (node reached, relation name, the edge, member id or ""). ``member`` is set
#: when the edge starts at a member of the node being expanded rather than at the node itself.
Step = tuple[str, str, Edge, str]
Expand = Callable[[str], list[Step]]


class Reached:
    """A node a walk reached: how far, along what, from which node; ``edges`` holds every edge
    from the sources to it when it is one hop away (the call sites)."""

    __slots__ = ("distance", "edges", "member", "node", "parent", "via")

    def __init__(self, node: str, distance: int, via: str, parent: str, edge: Edge, member: str) -> None:
        self.node = node
        self.distance = distance
        self.via = via
        self.parent = parent
        self.edges = [edge]
        self.member = member


def walk(sources: Iterable[str], expand: Expand, depth: int | None) -> list[Reached]:
    """Breadth-first from ``sources`` up to ``depth`` hops (None: unlimited), in discovery order.

    A source is reported too when a walk from the sources reaches it again (recursion).
    """
    reached: dict[str, Reached] = {}
    frontier = list(dict.fromkeys(sources))
    distance = 0
    while frontier and (depth is None or distance < depth):
        following: list[str] = []
        for current in frontier:
            for node, via, edge, member in expand(current):
                found = reached.get(node)
                if found is None:
                    reached[node] = Reached(node, distance + 1, via, current, edge, member)
                    following.append(node)
                elif distance == 0 and found.distance == 1 and edge not in found.edges:
                    found.edges.append(edge)
        frontier = following
        distance += 1
    return list(reached.values())


def callers_of(isg: ISG, kind: EdgeKind = EdgeKind.CALLS) -> Expand:
    in_edges = isg.in_edges
    return lambda node: [(e.src, kind, e, "") for e in in_edges(node) if e.kind is kind]


def callees_of(isg: ISG, kind: EdgeKind = EdgeKind.CALLS) -> Expand:
    out_edges = isg.out_edges
    return lambda node: [(e.dst, kind, e, "") for e in out_edges(node) if e.kind is kind]


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
