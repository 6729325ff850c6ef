"""The graph view: a compact, columnar binary of the ISG that plugins read (ABI v1).

Built once per graph generation from plain ``array`` / ``struct`` work (no numpy) and cached per
ISG, so every plugin shares the same host bytes. A view holds only the column groups a plugin asked
for (``pt_columns()``): each group (kinds, the string table, one edge kind's CSR, ...) is built on
first use, and each distinct mask is assembled from the groups with ``bytes.join``.
"""

from __future__ import annotations

import threading
import weakref
from array import array
from collections.abc import Iterable
from typing import TYPE_CHECKING

from pt_tui.core.model import Node
from pt_tui.sandbox.wasm import abi

if TYPE_CHECKING:
    from pt_tui.core.isg import ISG

# Keyed by id(): hashing an Enum member runs Python code, id() does not.
_KIND_CODE = {id(k): i for i, k in enumerate(abi.NODE_KINDS)}
_VIS_CODE = {id(v): i for i, v in enumerate(abi.VISIBILITIES)}
_LANG_CODE = {name: i for i, name in enumerate(abi.LANGUAGES)}


def _u32(values: Iterable[int]) -> bytes:
    arr = array("I", values)
    if arr.itemsize != 4:  # pragma: no cover - every supported platform has a 4-byte unsigned int
        raise RuntimeError("array('I') is not 32-bit here")
    return arr.tobytes()  # little-endian on every host we run on (x86-64, aarch64)


class GraphView:
    """The columns of one ISG generation (each group built on first use), plus the node order.

    Node indices are fixed when the view is made; a column built later from a graph that changed
    meanwhile drops references to nodes it does not know, so every index stays in range.
    """

    def __init__(self, isg: ISG) -> None:
        self.fingerprint = (isg.generation, isg.node_count, isg.edge_count)
        self.generation = isg.generation
        self.nodes: list[Node] = list(isg.nodes.values())
        self.index: dict[str, int] = {n.id: i for i, n in enumerate(self.nodes)}
        self._isg = isg
        self._columns: dict[int, tuple[bytes, int]] = {}
        self._blobs: dict[int, bytes] = {}
        self._lock = threading.RLock()
        self.file_count = len({n.file for n in self.nodes})

    @property
    def node_count(self) -> int:
        return len(self.nodes)

    def indices(self, ids: Iterable[str]) -> list[int]:
        """View indices of the given node ids (ids not in the view are dropped)."""
        index = self.index
        return [index[i] for i in ids if i in index]

    def column(self, cid: int) -> tuple[bytes, int]:
        """(bytes, element count) of one column, building its group on first use."""
        col = self._columns.get(cid)
        if col is None:
            with self._lock:
                if cid not in self._columns:
                    self._columns.update(self._build(cid))
                col = self._columns[cid]
        return col

    def _build(self, cid: int) -> dict[int, tuple[bytes, int]]:
        nodes = self.nodes
        n = len(nodes)
        if cid == abi.COL_KIND:
            return {cid: (bytes([_KIND_CODE.get(id(node.kind), 255) for node in nodes]), n)}
        if cid == abi.COL_VISIBILITY:
            return {cid: (bytes([_VIS_CODE.get(id(node.visibility), 255) for node in nodes]), n)}
        if cid == abi.COL_LANGUAGE:
            return {cid: (bytes([_LANG_CODE.get(node.language, 0) for node in nodes]), n)}
        if cid == abi.COL_LINES:
            lines: list[int] = []
            for node in nodes:
                lines += (max(0, node.line), max(0, node.end_line))
            return {cid: (_u32(lines), n)}
        if cid == abi.COL_PARENT:
            index = self.index
            no = abi.NO_NODE
            return {cid: (_u32([index.get(node.parent, no) if node.parent else no for node in nodes]), n)}
        if cid in (abi.COL_NAME, abi.COL_NAME_STRINGS):
            return self._strings(abi.COL_NAME, abi.COL_NAME_STRINGS, [node.name for node in nodes])
        if cid in (abi.COL_QUALNAME, abi.COL_QUALNAME_STRINGS):
            return self._strings(
                abi.COL_QUALNAME, abi.COL_QUALNAME_STRINGS, [node.qualname for node in nodes]
            )
        if cid in (abi.COL_FILE, abi.COL_FILE_PATH, abi.COL_FILE_STRINGS):
            return self._files()
        if abi.COL_EDGES <= cid < abi.COL_EDGES + 4 * len(abi.EDGE_KINDS):
            return self._edges()
        raise KeyError(cid)

    @staticmethod
    def _table(values: list[str]) -> tuple[list[int], bytes]:
        """(offset, length) refs for ``values`` into one table holding each distinct string once."""
        refs: dict[str, tuple[int, int]] = {}
        chunks: list[bytes] = []
        flat: list[int] = []
        size = 0
        for value in values:
            found = refs.get(value)
            if found is None:
                b = value.encode("utf-8", "surrogateescape")
                found = refs[value] = (size, len(b))
                chunks.append(b)
                size += len(b)
            flat += found
        return flat, b"".join(chunks)

    def _strings(self, refs_id: int, table_id: int, values: list[str]) -> dict[int, tuple[bytes, int]]:
        refs, table = self._table(values)
        return {refs_id: (_u32(refs), len(values)), table_id: (table, len(table))}

    def _files(self) -> dict[int, tuple[bytes, int]]:
        files: dict[str, int] = {}
        per_node = [files.setdefault(node.file, len(files)) for node in self.nodes]
        refs, table = self._table(list(files))
        return {
            abi.COL_FILE: (_u32(per_node), len(per_node)),
            abi.COL_FILE_PATH: (_u32(refs), len(files)),
            abi.COL_FILE_STRINGS: (table, len(table)),
        }

    def _edges(self) -> dict[int, tuple[bytes, int]]:
        """CSR out- and in-adjacency of every edge kind, in one pass over each node's edge lists.

        Neighbours are de-duplicated per node and kind (two call sites are one entry), ascending.
        A (neighbour, kind) pair is packed as ``index * 8 + kind`` so the per-edge work is one set
        insertion; enum members are looked up by identity (an Enum's ``__hash__`` is Python code).
        """
        index_get, isg, nk = self.index.get, self._isg, len(abi.EDGE_KINDS)
        code_get = {id(kind): i for i, kind in enumerate(abi.EDGE_KINDS)}.get
        cols: dict[int, tuple[bytes, int]] = {}
        for part in (0, 2):
            offsets: list[list[int]] = [[0] for _ in range(nk)]
            flats: list[list[int]] = [[] for _ in range(nk)]
            appends = [flat.append for flat in flats]
            edges_of = isg.out_edges if part == 0 else isg.in_edges
            for node in self.nodes:
                edges = edges_of(node.id)
                if edges:
                    if part == 0:
                        keys = {index_get(e.dst, -1) * 8 + code_get(id(e.kind), 7) for e in edges}
                    else:
                        keys = {index_get(e.src, -1) * 8 + code_get(id(e.kind), 7) for e in edges}
                    for key in sorted(keys) if len(keys) > 1 else keys:
                        k = key & 7
                        if key >= 0 and k < nk:
                            appends[k](key >> 3)
                for k in range(nk):
                    offsets[k].append(len(flats[k]))
            for k in range(nk):
                cols[abi.edge_column(k, part)] = (_u32(offsets[k]), len(offsets[k]))
                cols[abi.edge_column(k, part + 1)] = (_u32(flats[k]), len(flats[k]))
        return cols

    @staticmethod
    def columns_for(mask: int) -> list[int]:
        """The column ids a ``pt_columns()`` mask selects, in directory order."""
        ids: list[int] = []
        for bit, cols in (
            (abi.WANT_KIND, (abi.COL_KIND,)),
            (abi.WANT_VISIBILITY, (abi.COL_VISIBILITY,)),
            (abi.WANT_LANGUAGE, (abi.COL_LANGUAGE,)),
            (abi.WANT_NAME, (abi.COL_NAME, abi.COL_NAME_STRINGS)),
            (abi.WANT_QUALNAME, (abi.COL_QUALNAME, abi.COL_QUALNAME_STRINGS)),
            (abi.WANT_FILE, (abi.COL_FILE, abi.COL_FILE_PATH, abi.COL_FILE_STRINGS)),
            (abi.WANT_LINES, (abi.COL_LINES,)),
            (abi.WANT_PARENT, (abi.COL_PARENT,)),
        ):
            if mask & bit:
                ids.extend(cols)
        for k in range(len(abi.EDGE_KINDS)):
            if mask & (abi.WANT_OUT << k):
                ids += (abi.edge_column(k, 0), abi.edge_column(k, 1))
            if mask & (abi.WANT_IN << k):
                ids += (abi.edge_column(k, 2), abi.edge_column(k, 3))
        return ids

    def blob(self, mask: int = abi.WANT_ALL) -> bytes:
        """The view bytes holding the column groups of ``mask`` (cached: shared by every plugin)."""
        mask &= abi.WANT_ALL
        cached = self._blobs.get(mask)
        if cached is not None:
            return cached
        with self._lock:
            cached = self._blobs.get(mask)
            if cached is None:
                cached = self._blobs[mask] = self._assemble(mask)
        return cached

    def _assemble(self, mask: int) -> bytes:
        ids = self.columns_for(mask)
        offset = abi.VIEW_HEADER.size + abi.VIEW_COLUMN.size * len(ids)
        directory: list[bytes] = []
        body: list[bytes] = []
        columns = [(cid, *self.column(cid)) for cid in ids]
        for cid, data, count in columns:
            pad = -offset % 8
            if pad:
                body.append(b"\0" * pad)
                offset += pad
            directory.append(abi.VIEW_COLUMN.pack(cid, offset, len(data), count))
            body.append(data)
            offset += len(data)
        offset += -offset % 8
        header = abi.VIEW_HEADER.pack(
            abi.VIEW_MAGIC,
            abi.ABI_VERSION,
            abi.VIEW_HEADER.size,
            self.node_count,
            self.file_count,
            len(ids),
            offset,
            self.generation & 0xFFFFFFFFFFFFFFFF,
        )
        out = header + b"".join(directory) + b"".join(body)
        return out + b"\0" * (offset - len(out))


_views: weakref.WeakKeyDictionary[ISG, GraphView] = weakref.WeakKeyDictionary()
_views_lock = threading.Lock()


def graph_view(isg: ISG) -> GraphView:
    """The view of ``isg``'s current generation, built on first use and shared by all plugins."""
    fingerprint = (isg.generation, isg.node_count, isg.edge_count)
    view = _views.get(isg)
    if view is not None and view.fingerprint == fingerprint:
        return view
    with _views_lock:
        view = _views.get(isg)
        if view is None or view.fingerprint != fingerprint:
            view = GraphView(isg)
            _views[isg] = view
    return view


def parse_view(data: bytes) -> tuple[dict[str, int], dict[int, tuple[bytes, int]]]:
    """Split a view blob into its header fields and columns (id -> (bytes, count)); for tests and tools."""
    magic, version, header_size, nodes, files, ncols, total, generation = abi.VIEW_HEADER.unpack_from(data)
    if magic != abi.VIEW_MAGIC:
        raise ValueError(f"bad view magic {magic!r}")
    header = {
        "abi_version": version,
        "header_size": header_size,
        "node_count": nodes,
        "file_count": files,
        "column_count": ncols,
        "total_len": total,
        "generation": generation,
    }
    columns: dict[int, tuple[bytes, int]] = {}
    for i in range(ncols):
        cid, off, length, count = abi.VIEW_COLUMN.unpack_from(data, header_size + i * abi.VIEW_COLUMN.size)
        columns[cid] = (data[off : off + length], count)
    return header, columns
