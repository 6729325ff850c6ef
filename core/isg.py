"""The Interface Signature Graph: nodes, typed edges and the indexes queries need.

Edges are kept per (source, target, kind, file, line): several edges of different kinds between
the same pair coexist, and the same reference seen twice is stored once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

from pt_tui.core.model import Edge, EdgeKind, Node, NodeKind

if TYPE_CHECKING:  # core.lang imports tree_sitter: a graph received whole (a worker) needs none of it
    from pt_tui.core.lang.base import FileFacts


@dataclass(frozen=True)
class FileInfo:
    path: str
    language: str
    module_id: str
    lines: int
    syntax_errors: int


class ISG:
    """Nodes by id, edges by source and by target, and name indexes."""

    def __init__(self) -> None:
        self.nodes: dict[str, Node] = {}
        self.files: dict[str, FileInfo] = {}
        self.generation = 0
        self._out: dict[str, list[Edge]] = {}
        self._in: dict[str, list[Edge]] = {}
        self._edge_keys: set[tuple[str, str, str, str, int]] = set()
        self._by_name: dict[str, list[str]] = {}
        self._by_qualname: dict[str, list[str]] = {}
        self._by_file: dict[str, list[str]] = {}
        self._edge_count = 0

    # -- building -------------------------------------------------------------------------------

    def add_file(self, facts: FileFacts) -> None:
        """Add a file's nodes and local edges. Nodes whose id already exists are kept once."""
        module_id = ""
        ids = self._by_file.setdefault(facts.path, [])
        for node in facts.nodes:
            if node.id in self.nodes:
                continue
            self.nodes[node.id] = node
            ids.append(node.id)
            self._by_name.setdefault(node.name, []).append(node.id)
            self._by_qualname.setdefault(node.qualname, []).append(node.id)
            if node.kind is NodeKind.MODULE and not module_id:
                module_id = node.id
        self.files[facts.path] = FileInfo(
            facts.path, facts.language, module_id, facts.lines, facts.syntax_errors
        )
        self.add_edges(facts.edges)

    def add_nodes(self, path: str, nodes: Iterable[Node]) -> None:
        """Add nodes owned by the file ``path`` (ids already present are kept as they are)."""
        ids = self._by_file.setdefault(path, [])
        for node in nodes:
            if node.id not in self.nodes:
                self._index_node(node, ids)

    def _index_node(self, node: Node, ids: list[str]) -> None:
        self.nodes[node.id] = node
        ids.append(node.id)
        self._by_name.setdefault(node.name, []).append(node.id)
        self._by_qualname.setdefault(node.qualname, []).append(node.id)

    def add_edges(self, edges: Iterable[Edge]) -> int:
        """Add edges whose both ends are known nodes; returns how many were new."""
        added = 0
        nodes = self.nodes
        for edge in edges:
            key = edge.key
            if key in self._edge_keys or edge.src not in nodes or edge.dst not in nodes:
                continue
            self._edge_keys.add(key)
            self._out.setdefault(edge.src, []).append(edge)
            self._in.setdefault(edge.dst, []).append(edge)
            added += 1
        self._edge_count += added
        return added

    # -- incremental changes (the engine applies a batch under its write lock) -----------------

    def has_edge(self, edge: Edge) -> bool:
        return edge.key in self._edge_keys

    def add_edge(self, edge: Edge) -> bool:
        """Add one edge; False when it is known already or an end is missing."""
        return self.add_edges((edge,)) == 1

    def remove_edge(self, edge: Edge) -> bool:
        """Remove the edge with ``edge``'s key; returns whether there was one."""
        return bool(self.remove_edges((edge,)))

    def remove_edges(self, edges: Iterable[Edge]) -> list[Edge]:
        """Remove the edges with these keys (each adjacency list is rebuilt once); returns the
        edges that were there."""
        gone: dict[tuple[str, str, str, str, int], Edge] = {}
        for edge in edges:
            key = edge.key
            if key in self._edge_keys:
                self._edge_keys.discard(key)
                gone[key] = edge
        if not gone:
            return []
        for table, ends in (
            (self._out, {e.src for e in gone.values()}),
            (self._in, {e.dst for e in gone.values()}),
        ):
            for end in ends:
                kept = [e for e in table.get(end, ()) if e.key not in gone]
                if kept:
                    table[end] = kept
                else:
                    table.pop(end, None)
        self._edge_count -= len(gone)
        return list(gone.values())

    def put_node(self, node: Node, path: str) -> None:
        """Add a node owned by ``path``, or replace the node with its id (indexes kept right)."""
        old = self.nodes.get(node.id)
        if old is None:
            self._index_node(node, self._by_file.setdefault(path, []))
            return
        self.nodes[node.id] = node
        if old.name != node.name:
            _unlist(self._by_name, old.name, node.id)
            self._by_name.setdefault(node.name, []).append(node.id)
        if old.qualname != node.qualname:
            _unlist(self._by_qualname, old.qualname, node.id)
            self._by_qualname.setdefault(node.qualname, []).append(node.id)

    def move_node(self, node_id: str, old_path: str, new_path: str) -> None:
        """Record that another file now owns a node (ids shared by several files)."""
        _unlist(self._by_file, old_path, node_id)
        self._by_file.setdefault(new_path, []).append(node_id)

    def remove_nodes(self, node_ids: Iterable[str]) -> list[Edge]:
        """Remove nodes and every edge touching them; returns those edges."""
        nodes = [n for n in (self.nodes.get(i) for i in node_ids) if n is not None]
        incident = [e for n in nodes for e in (*self._out.get(n.id, ()), *self._in.get(n.id, ()))]
        gone = self.remove_edges(incident)
        by_path: dict[str, set[str]] = {}
        for node in nodes:
            del self.nodes[node.id]
            _unlist(self._by_name, node.name, node.id)
            _unlist(self._by_qualname, node.qualname, node.id)
            by_path.setdefault(node.file, set()).add(node.id)
        for path, ids in by_path.items():  # a node is owned by its own file
            kept = [i for i in self._by_file.get(path, ()) if i not in ids]
            if kept:
                self._by_file[path] = kept
            else:
                self._by_file.pop(path, None)
        return gone

    def set_file(self, info: FileInfo | None, path: str) -> None:
        """Record (or with None forget) a file's summary."""
        if info is None:
            self.files.pop(path, None)
            if not self._by_file.get(path, True):
                del self._by_file[path]
        else:
            self.files[path] = info

    def owned(self, path: str) -> Sequence[str]:
        """Ids of the nodes ``path`` owns (a node several files declare belongs to the first)."""
        return self._by_file.get(path, ())

    # -- reading --------------------------------------------------------------------------------

    @property
    def node_count(self) -> int:
        return len(self.nodes)

    @property
    def edge_count(self) -> int:
        return self._edge_count

    def node(self, node_id: str) -> Node | None:
        return self.nodes.get(node_id)

    def out_edges(self, node_id: str, kind: EdgeKind | None = None) -> list[Edge]:
        edges = self._out.get(node_id, [])
        return edges if kind is None else [e for e in edges if e.kind is kind]

    def in_edges(self, node_id: str, kind: EdgeKind | None = None) -> list[Edge]:
        edges = self._in.get(node_id, [])
        return edges if kind is None else [e for e in edges if e.kind is kind]

    def edges(self) -> Iterator[Edge]:
        for edges in self._out.values():
            yield from edges

    def by_name(self, name: str) -> list[Node]:
        return [self.nodes[i] for i in self._by_name.get(name, ())]

    def by_qualname(self, qualname: str) -> list[Node]:
        return [self.nodes[i] for i in self._by_qualname.get(qualname, ())]

    def name_index(self) -> Mapping[str, Sequence[str]]:
        """Read-only view of the index name -> node ids (for bulk lookups at C speed)."""
        return MappingProxyType(self._by_name)

    def qualname_index(self) -> Mapping[str, Sequence[str]]:
        """Read-only view of the index qualified name -> node ids."""
        return MappingProxyType(self._by_qualname)

    def in_file(self, path: str) -> list[Node]:
        return [self.nodes[i] for i in self._by_file.get(path, ())]

    def names(self) -> Iterable[str]:
        return self._by_name.keys()

    def children(self, node_id: str) -> list[Node]:
        return [self.nodes[e.dst] for e in self.out_edges(node_id, EdgeKind.CONTAINS)]

    def kind_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for node in self.nodes.values():
            counts[node.kind] = counts.get(node.kind, 0) + 1
        return dict(sorted(counts.items()))

    def edge_kind_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for edge in self.edges():
            counts[edge.kind] = counts.get(edge.kind, 0) + 1
        return dict(sorted(counts.items()))


def _unlist(table: dict[str, list[str]], key: str, value: str) -> None:
    values = table.get(key)
    if values is None:
        return
    try:
        values.remove(value)
    except ValueError:
        return
    if not values:
        del table[key]
