"""The walking verbs (callers, callees, blast-radius, what-implements, uses) against a plain BFS.

The verbs walk with per-graph memos of each node's first edge per neighbour (core/query/graph.py);
the reference here is the straightforward walk they replaced: expand every node fully, keep the
first step reaching each node and, one hop from the sources, every edge. Both must give the same
rows - entity, distance, relation and detail - on real graphs (the standard library's asyncio and
a Debian Rust crate).
"""

from __future__ import annotations

import random
import sysconfig
from collections.abc import Callable
from pathlib import Path

import pytest
from query_graphs import GraphBuilder

from pt_tui.core.engine import Engine
from pt_tui.core.isg import ISG
from pt_tui.core.model import TYPE_KINDS, Edge, EdgeKind, NodeKind, Resolution
from pt_tui.core.query import index_for, run_query
from pt_tui.core.query.graph import Relation, first_edges, walk
from pt_tui.core.query.verbs.traverse import blast, members

STDLIB = Path(sysconfig.get_paths()["stdlib"])
CARGO = Path("/usr/share/cargo/registry")

#: One move of the reference walk: (node reached, relation, edge, member or "").
Step = tuple[str, str, Edge, str]
Row = tuple[str, int, str, str]


@pytest.fixture(scope="module")
def asyncio_graph() -> ISG:
    engine = Engine(STDLIB / "asyncio", workers=1)
    engine.index()
    return engine.isg


@pytest.fixture(scope="module")
def crate_graph() -> ISG:
    found = sorted(CARGO.glob("regex-syntax-[0-9]*"))
    if not found:
        pytest.skip(
            "no regex-syntax crate under /usr/share/cargo/registry (apt-get install librust-regex-dev)"
        )
    engine = Engine(found[-1], workers=1)
    engine.index()
    return engine.isg


# -- the reference: a plain BFS over fully expanded steps ---------------------------------------------


def reference_rows(
    isg: ISG, sources: list[str], expand: Callable[[str], list[Step]], depth: int | None
) -> list[Row]:
    reached: dict[str, tuple[int, str, str, list[Edge], str]] = {}  # node -> distance, via, parent...
    frontier, distance = list(dict.fromkeys(sources)), 0
    while frontier and (depth is None or distance < depth):
        following = []
        for current in frontier:
            for node, via, edge, member in expand(current):
                if node not in reached:
                    reached[node] = (distance + 1, via, current, [edge], member)
                    following.append(node)
                elif distance == 0 and reached[node][0] == 1 and edge not in reached[node][3]:
                    reached[node][3].append(edge)
        frontier, distance = following, distance + 1

    def at(edge: Edge) -> str:
        return f"{edge.file}:{edge.line}" + (
            " (ambiguous)" if edge.resolution is Resolution.AMBIGUOUS else ""
        )

    rows = []
    for node_id, (dist, via, parent, edges, member) in reached.items():
        if member:
            detail = f"via member {isg.nodes[member].qualname} at {at(edges[0])}"
        elif dist == 1:
            ordered = sorted(edges, key=lambda e: (e.file, e.line))
            detail = ", ".join(at(e) for e in ordered[:5]) + (
                f" (+{len(ordered) - 5} more)" if len(ordered) > 5 else ""
            )
        else:
            detail = f"via {isg.nodes[parent].qualname} at {at(edges[0])}"
        node = isg.nodes[node_id]
        rows.append((node, dist, via, detail))
    rows.sort(key=lambda r: (r[1], r[0].qualname, r[0].file, r[0].line))
    return [(n.id, d, str(v), t) for n, d, v, t in rows]


def reference_blast(isg: ISG) -> Callable[[str], list[Step]]:
    kinds = {EdgeKind.CALLS, EdgeKind.IMPLEMENTS, EdgeKind.USES, EdgeKind.IMPORTS}

    def expand(node_id: str) -> list[Step]:
        steps: list[Step] = [(e.src, e.kind, e, "") for e in isg.in_edges(node_id) if e.kind in kinds]
        if isg.nodes[node_id].kind in TYPE_KINDS | {NodeKind.IMPL}:
            for member in members(isg, node_id):
                steps += [(e.src, EdgeKind.CALLS, e, member) for e in isg.in_edges(member, EdgeKind.CALLS)]
        return steps

    return expand


def reference_in(isg: ISG, kind: EdgeKind) -> Callable[[str], list[Step]]:
    return lambda node: [(e.src, kind, e, "") for e in isg.in_edges(node, kind)]


def reference_out(isg: ISG, kind: EdgeKind) -> Callable[[str], list[Step]]:
    return lambda node: [(e.dst, kind, e, "") for e in isg.out_edges(node, kind)]


def rows_of(isg: ISG, query: str) -> list[Row]:
    return [(r.node.id, r.distance or 0, str(r.via), r.detail) for r in run_query(isg, query).rows]


def quoted(isg: ISG, node_id: str) -> str:
    return repr(isg.nodes[node_id].qualname)


def sample(isg: ISG, count: int, seed: int, types_only: bool = False) -> list[str]:
    ids = sorted(
        n.id
        for n in isg.nodes.values()
        if n.kind is not NodeKind.MODULE and (not types_only or n.kind in TYPE_KINDS)
    )
    unique = [i for i in ids if len(isg.by_qualname(isg.nodes[i].qualname)) == 1]  # addressable by qualname
    return random.Random(seed).sample(unique, min(count, len(unique)))


# -- the verbs against the reference ------------------------------------------------------------------


@pytest.mark.parametrize("graph", ["asyncio_graph", "crate_graph"])
def test_walking_verbs_match_a_plain_bfs(graph: str, request: pytest.FixtureRequest) -> None:
    isg: ISG = request.getfixturevalue(graph)
    checked = 0
    for node_id in sample(isg, 80, seed=3):
        q = quoted(isg, node_id)
        for query, expand, depth in (
            (f"blast-radius {q}", reference_blast(isg), 3),
            (f"blast-radius {q} --depth 5", reference_blast(isg), 5),
            (f"callers {q} --depth 4", reference_in(isg, EdgeKind.CALLS), 4),
            (f"callees {q} --depth 2", reference_out(isg, EdgeKind.CALLS), 2),
        ):
            assert rows_of(isg, query) == reference_rows(isg, [node_id], expand, depth), query
            checked += 1
    for node_id in sample(isg, 60, seed=5, types_only=True):
        q = quoted(isg, node_id)
        assert rows_of(isg, f"what-implements {q}") == reference_rows(
            isg, [node_id], reference_in(isg, EdgeKind.IMPLEMENTS), None
        )
        assert rows_of(isg, f"uses {q}") == reference_rows(
            isg, [node_id], reference_in(isg, EdgeKind.USES), 1
        )
    assert checked == 320


def test_the_sample_reaches_far(asyncio_graph: ISG, crate_graph: ISG) -> None:
    """The comparison above is not vacuous: some walks go several hops and list many rows."""
    for isg in (asyncio_graph, crate_graph):
        sizes = [len(reference_rows(isg, [n], reference_blast(isg), 5)) for n in sample(isg, 80, seed=3)]
        assert max(sizes) > 50


def test_pipelines_walk_from_many_sources(asyncio_graph: ISG) -> None:
    """Several sources at once (a pipeline): call sites are gathered across sources, each edge once."""
    isg = asyncio_graph
    for pattern in ("get_", "run", "Future", "close"):
        sources = [r.node.id for r in run_query(isg, f"search {pattern!r} --limit 40").rows]
        got = rows_of(isg, f"search {pattern!r} --limit 40 | blast-radius --depth 2")
        assert got == reference_rows(isg, sources, reference_blast(isg), 2)
        assert got


def test_a_warm_memo_gives_the_same_rows(asyncio_graph: ISG) -> None:
    isg = asyncio_graph
    queries = [f"blast-radius {quoted(isg, n)} --depth 4" for n in sample(isg, 40, seed=9)]
    cold = []
    for query in queries:  # each on a fresh index: an empty memo
        index_for(isg)._memo.clear()
        cold.append(rows_of(isg, query))
    assert [rows_of(isg, q) for q in queries] == cold  # now with everything memoised
    assert index_for(isg)._memo  # and the memo was used


def test_a_changed_graph_gets_a_fresh_memo() -> None:
    b = GraphBuilder()
    m = b.node(NodeKind.MODULE, "m", "m.py", 1, 20)
    f = b.node(NodeKind.FUNCTION, "m.f", "m.py", 1, 2, parent=m)
    g = b.node(NodeKind.FUNCTION, "m.g", "m.py", 3, 4, parent=m)
    h = b.node(NodeKind.FUNCTION, "m.h", "m.py", 5, 6, parent=m)
    b.edge(g, f, EdgeKind.CALLS, 3)
    isg = b.build()
    assert [r.node.name for r in run_query(isg, "callers m.f --depth 3").rows] == ["g"]
    isg.add_edge(Edge(src=h.id, dst=g.id, kind=EdgeKind.CALLS, file="m.py", line=5))
    assert [r.node.name for r in run_query(isg, "callers m.f --depth 3").rows] == ["g", "h"]


# -- the walk itself ------------------------------------------------------------------------------------


def _edge(src: str, dst: str, line: int, kind: EdgeKind = EdgeKind.CALLS) -> Edge:
    return Edge(src=src, dst=dst, kind=kind, file="a.py", line=line)


def test_first_edges_keep_the_first_edge_per_neighbour_in_order() -> None:
    edges = [_edge("a", "x", 1), _edge("b", "x", 2), _edge("a", "x", 3), _edge("c", "x", 4)]
    assert first_edges(edges, outward=False) == {"a": edges[0], "b": edges[1], "c": edges[3]}
    assert list(first_edges(edges, outward=True)) == ["x"]
    assert first_edges([], outward=False) == {} and first_edges([], outward=False) is first_edges([], True)


def test_walk_lists_each_first_hop_edge_once() -> None:
    """An edge offered twice (a member listed twice, or overlapping sources) is one call site."""
    e1, e2 = _edge("a", "x", 1), _edge("a", "x", 2)
    table = {"x": [e1, e2, e1], "y": [e1]}
    walked = walk(["x", "y"], Relation(lambda n: table.get(n, []), False, "t"), 1)
    assert walked.reached == {"a": (1, "x", e1)}
    assert walked.sites == {"a": [e1, e2]}


def test_walk_depth_and_recursion() -> None:
    ring = {"a": [_edge("c", "a", 1)], "b": [_edge("a", "b", 2)], "c": [_edge("b", "c", 3)]}
    relation = Relation(lambda n: ring.get(n, []), False, "ring")
    memo: dict[str, dict[str, Edge]] = {}
    assert list(walk(["a"], relation, 2, memo).reached) == ["c", "b"]
    assert set(memo) == {"c"}  # the first hop is not memoised (it needs every edge), the last not expanded
    walked = walk(["a"], relation, None, memo)
    assert {n: d for n, (d, _, _) in walked.reached.items()} == {"c": 1, "b": 2, "a": 3}  # back to the source
    assert set(memo) == {"a", "b", "c"}


def test_blast_relation_includes_member_callers(crate_graph: ISG) -> None:
    isg = crate_graph
    typed = [n for n in isg.nodes.values() if n.kind in TYPE_KINDS and members(isg, n.id)]
    relation = blast(isg)
    assert any(e.dst != t.id for t in typed for e in relation.edges(t.id)), (
        "some type is reached through its members' callers"
    )
