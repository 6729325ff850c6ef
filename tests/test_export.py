"""Graph export: JSON (exact keys, round trip, order), DOT (structure) and Mermaid (escaping)."""

from __future__ import annotations

import json
import re

import msgspec
from query_graphs import GraphBuilder, money, shop

from pt_tui.core.export import export_dot, export_json, export_mermaid, mermaid_label
from pt_tui.core.isg import ISG
from pt_tui.core.lang.base import FileFacts
from pt_tui.core.model import Edge, EdgeKind, Node, NodeKind

NODE_KEYS = {"id", "kind", "name", "qualname", "file", "line", "language"}
EDGE_KEYS = {"src", "dst", "kind", "file", "line", "resolution"}


class _Export(msgspec.Struct):
    nodes: list[Node]
    edges: list[Edge]


def test_json_has_the_contract_keys_and_round_trips() -> None:
    isg, _ = shop()
    raw = export_json(isg)
    data = json.loads(raw)
    assert set(data) == {"nodes", "edges"}
    extra = {"end_line", "signature", "doc", "visibility", "parent"}
    assert all(set(node) == NODE_KEYS | extra for node in data["nodes"])
    assert all(set(edge) == EDGE_KEYS for edge in data["edges"])
    assert {edge["kind"] for edge in data["edges"]} == {"CALLS", "CONTAINS", "IMPLEMENTS", "USES", "IMPORTS"}
    assert {edge["resolution"] for edge in data["edges"]} == {"exact", "inferred", "ambiguous"}

    decoded = msgspec.json.decode(raw, type=_Export)
    assert {n.id: n for n in decoded.nodes} == isg.nodes
    assert sorted(e.key for e in decoded.edges) == sorted(e.key for e in isg.edges())
    assert len(decoded.edges) == isg.edge_count


def test_json_order_is_deterministic() -> None:
    isg, _ = shop()
    data = json.loads(export_json(isg))
    node_keys = [(n["file"], n["line"], n["qualname"]) for n in data["nodes"]]
    assert node_keys == sorted(node_keys)
    edge_keys = [(e["src"], e["dst"], e["kind"], e["file"], e["line"]) for e in data["edges"]]
    assert edge_keys == sorted(edge_keys)
    # the same graph built with its files and edges in another order exports the same bytes
    again = ISG()
    for path in reversed(list(isg.files)):
        info = isg.files[path]
        again.add_file(
            FileFacts(path=path, language=info.language, module="", nodes=isg.in_file(path), edges=[])
        )
    again.add_edges(reversed(list(isg.edges())))
    assert export_json(again) == export_json(isg)


_DOT_NODE = re.compile(r'^\s*"((?:[^"\\]|\\.)*)" \[label="((?:[^"\\]|\\.)*)"')
_DOT_EDGE = re.compile(r'^\s*"((?:[^"\\]|\\.)*)" -> "((?:[^"\\]|\\.)*)" \[label="([A-Z]+)"\];$')


def _dot_structure(dot: str) -> tuple[set[str], list[tuple[str, str, str]], dict[str, str]]:
    """Declared nodes, edges and labels, checking that braces balance outside quoted strings."""
    depth = 0
    in_string = escaped = False
    for ch in dot:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            assert depth >= 0
    assert depth == 0 and not in_string
    nodes: set[str] = set()
    labels: dict[str, str] = {}
    edges: list[tuple[str, str, str]] = []
    for line in dot.splitlines():
        if edge := _DOT_EDGE.match(line):
            edges.append((edge[1], edge[2], edge[3]))
        elif node := _DOT_NODE.match(line):
            nodes.add(node[1])
            labels[node[1]] = node[2]
    return nodes, edges, labels


def test_dot_is_structurally_sound() -> None:
    isg, n = money()
    for clusters in (True, False):
        dot = export_dot(isg, clusters=clusters)
        assert dot.startswith('digraph "isg" {\n')
        nodes, edges, labels = _dot_structure(dot)
        assert nodes == set(isg.nodes)
        assert len(edges) == isg.edge_count
        assert all(src in nodes and dst in nodes for src, dst, _ in edges)
        assert labels[n["Display.fmt"].id] == "pricing::money::<Money as Display>::fmt"
        assert (dot.count("subgraph") == len(isg.files)) is clusters


def test_dot_escapes_quotes_and_backslashes() -> None:
    b = GraphBuilder()
    m = b.node(NodeKind.MODULE, 'we"ird\\mod', 'dir "x"/m.py', 1, 3)
    f = b.node(NodeKind.FUNCTION, 'we"ird\\mod.f', 'dir "x"/m.py', 2, parent=m)
    b.edge(f, f)
    dot = export_dot(b.build())
    nodes, edges, labels = _dot_structure(dot)
    assert labels[m.id] == 'we\\"ird\\\\mod'
    assert 'label="dir \\"x\\"/m.py";' in dot
    assert (f.id, f.id, "CALLS") in edges and len(nodes) == 2


def test_mermaid_sanitises_ids_and_escapes_labels() -> None:
    isg, _ = money()
    text = export_mermaid(isg)
    lines = text.splitlines()
    assert lines[0] == "flowchart LR"
    node_lines = [line for line in lines[1:] if "-->" not in line]
    edge_lines = [line for line in lines[1:] if "-->" in line]
    assert len(node_lines) == isg.node_count and len(edge_lines) == isg.edge_count
    ids = set()
    for line in node_lines:
        match = re.fullmatch(r'  ([A-Za-z0-9_]+)\["([^"\[\]<>]*)"\]', line)
        assert match, line
        ids.add(match[1])
    for line in edge_lines:
        match = re.fullmatch(r"  ([A-Za-z0-9_]+) -->\|([A-Z]+)\| ([A-Za-z0-9_]+)", line)
        assert match and match[1] in ids and match[3] in ids, line
    assert '["pricing::money::#lt;Money as Display#gt;::fmt"]' in text


def test_mermaid_label_escapes() -> None:
    assert mermaid_label('a"b[c]d(e)f{g}h|i<j>k#l`m') == (
        "a#quot;b#91;c#93;d#40;e#41;f#123;g#125;h#124;i#lt;j#gt;k#35;l#96;m"
    )
    assert mermaid_label("two\nlines") == "two lines"


def test_exports_of_an_empty_graph() -> None:
    empty = ISG()
    assert json.loads(export_json(empty)) == {"nodes": [], "edges": []}
    assert _dot_structure(export_dot(empty)) == (set(), [], {})
    assert export_mermaid(empty) == "flowchart LR\n"


def test_edge_kinds_are_upper_case_strings() -> None:
    isg, _ = shop()
    kinds = {e["kind"] for e in json.loads(export_json(isg))["edges"]}
    assert kinds == {k.value for k in EdgeKind}
