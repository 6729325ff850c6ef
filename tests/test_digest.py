"""graph_digest: equal for equal content whatever the insertion order, different for any change."""

from __future__ import annotations

import msgspec

from pt_tui.core.digest import graph_delta, graph_digest
from pt_tui.core.isg import ISG, FileInfo
from pt_tui.core.model import Edge, EdgeKind, Node, NodeKind, Resolution


def _node(name: str, line: int = 1) -> Node:
    return Node(
        id=f"id-{name}",
        kind=NodeKind.FUNCTION,
        name=name,
        qualname=f"m.{name}",
        language="python",
        file="m.py",
        line=line,
        end_line=line + 1,
    )


def _graph(nodes: list[Node], edges: list[Edge]) -> ISG:
    isg = ISG()
    isg.add_nodes("m.py", nodes)
    isg.set_file(FileInfo("m.py", "python", "", 10, 0), "m.py")
    isg.add_edges(edges)
    return isg


NODES = [_node("a"), _node("b", 5), _node("c", 9)]
EDGES = [
    Edge(src="id-a", dst="id-b", kind=EdgeKind.CALLS, file="m.py", line=2),
    Edge(src="id-b", dst="id-c", kind=EdgeKind.CALLS, file="m.py", line=6),
    Edge(src="id-a", dst="id-c", kind=EdgeKind.USES, file="m.py", line=2),
]


def test_order_does_not_matter() -> None:
    one = _graph(NODES, EDGES)
    two = _graph(list(reversed(NODES)), list(reversed(EDGES)))
    assert graph_digest(one) == graph_digest(two)
    assert graph_delta(one, two) == ([], [])


def test_every_field_counts() -> None:
    base = graph_digest(_graph(NODES, EDGES))
    moved = [msgspec.structs.replace(NODES[0], line=2), *NODES[1:]]
    assert graph_digest(_graph(moved, EDGES)) != base
    inferred = [msgspec.structs.replace(EDGES[0], resolution=Resolution.INFERRED), *EDGES[1:]]
    assert graph_digest(_graph(NODES, inferred)) != base
    assert graph_digest(_graph(NODES, EDGES[:2])) != base
    only_left, only_right = graph_delta(_graph(NODES, EDGES), _graph(NODES, EDGES[:2]))
    assert len(only_left) == 1 and only_right == []


def test_files_are_included_unless_asked_not_to() -> None:
    one, two = _graph(NODES, EDGES), _graph(NODES, EDGES)
    two.set_file(FileInfo("m.py", "python", "", 11, 0), "m.py")
    assert graph_digest(one) != graph_digest(two)
    assert graph_digest(one, files=False) == graph_digest(two, files=False)
