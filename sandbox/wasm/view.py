"""The graph view: a compact, columnar binary of the ISG that plugins read (ABI v1).

Built from plain ``array`` / ``bytes`` work (no numpy) and cached per ISG, so every plugin shares
the same host bytes. A view holds only the column groups a plugin asked for (``pt_columns()``): each
group (kinds, the string table, the edges' CSR, ...) is built on first use, and each distinct mask
is laid out as a :class:`ViewImage` (header, directory and the column buffers themselves: a plugin's
copy is written from it column by column, and joined into one buffer only for the native tier).

A new graph generation does not rebuild the view: the engine's :class:`~pt_tui.core.diff.GraphDiff`
events (handed over with :func:`note_diff`) say which nodes and edges changed, and
:meth:`GraphView.patched` derives the next generation's view from the previous one by touching only
those nodes' entries (and splicing their adjacency lists into the CSR columns with C-level slice
copies). A view is immutable once published: patching copies the columns it changes (and shares
the rest, so a plugin's copy of them need not be rewritten), so a query still running on the
previous generation reads consistent bytes. Without the diffs for every
generation in between (a graph built or mutated outside the engine), the view is rebuilt whole.
"""

from __future__ import annotations

import ctypes
import logging
import threading
import time
import weakref
from array import array
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, TypeAlias

from pt_tui.core.model import EdgeKind, Node
from pt_tui.sandbox.wasm import abi

if TYPE_CHECKING:
    from pt_tui.core.diff import GraphDiff
    from pt_tui.core.isg import ISG

log = logging.getLogger("pt_tui.plugins")

#: A column's bytes: ``bytes`` / ``bytearray`` for u8 and string columns, ``array('I')`` for u32 ones.
Buffer: TypeAlias = "bytes | bytearray | array[int]"

# Keyed by id(): hashing an Enum member runs Python code, id() does not.
_KIND_CODE = {id(k): i for i, k in enumerate(abi.NODE_KINDS)}
_VIS_CODE = {id(v): i for i, v in enumerate(abi.VISIBILITIES)}
_LANG_CODE = {name: i for i, name in enumerate(abi.LANGUAGES)}
_EDGE_CODE = {id(kind): i for i, kind in enumerate(abi.EDGE_KINDS)}
_NK = len(abi.EDGE_KINDS)
_CONTAINS = EdgeKind.CONTAINS
#: Pending diffs kept per graph before the view gives up on patching and rebuilds.
MAX_PENDING = 256
#: A string table that grew past this factor of its size at the last full build (renames leave
#: their old strings behind) makes the next generation a full rebuild.
MAX_TABLE_GROWTH = 2.0
#: How long a query waits for the diff of a generation the engine applied but has not announced yet
#: (subscribers hear of a change just after the write lock is released), before rebuilding whole.
DIFF_WAIT_S = 0.05


def _u32(values: Iterable[int]) -> array[int]:
    arr = array("I", values)
    if arr.itemsize != 4:  # pragma: no cover - every supported platform has a 4-byte unsigned int
        raise RuntimeError("array('I') is not 32-bit here")
    return arr  # little-endian on every host we run on (x86-64, aarch64)


def _kind(node: Node) -> int:
    return _KIND_CODE.get(id(node.kind), 255)


def _vis(node: Node) -> int:
    return _VIS_CODE.get(id(node.visibility), 255)


def _lang(node: Node) -> int:
    return _LANG_CODE.get(node.language, 0)


_U8_COLUMNS = {abi.COL_KIND: _kind, abi.COL_VISIBILITY: _vis, abi.COL_LANGUAGE: _lang}


class _Table:
    """An append-only string table: each distinct string once, as (offset, length) refs."""

    def __init__(self) -> None:
        self.refs: dict[str, tuple[int, int]] = {}
        self.data = bytearray()
        self.built_size = 0  # bytes at the last full build

    def ref(self, value: str) -> tuple[int, int]:
        found = self.refs.get(value)
        if found is None:
            b = value.encode("utf-8", "surrogateescape")
            found = self.refs[value] = (len(self.data), len(b))
            self.data += b
        return found

    def fill(self, values: Sequence[str]) -> array[int]:
        """Refs of ``values`` (a flat ``off, len, off, len, ...`` array)."""
        flat: list[int] = []
        ref = self.ref
        for value in values:
            flat += ref(value)
        self.built_size = len(self.data)
        return _u32(flat)


class GraphView:
    """The columns of one ISG generation (each group built on first use), plus the node order.

    Node indices are fixed when the view is made; a column built later from a graph that changed
    meanwhile drops references to nodes it does not know, so every index stays in range.
    """

    nodes: list[Node]
    index: dict[str, int]

    def __init__(self, isg: ISG, *, _empty: bool = False) -> None:
        self.fingerprint = (isg.generation, isg.node_count, isg.edge_count)
        self.generation = isg.generation
        self._isg = isg
        self._columns: dict[int, tuple[Buffer, int]] = {}
        self._images: dict[int, ViewImage] = {}
        self._lock = threading.RLock()
        # string tables (shared, append-only, with the views patched from this one) and files
        self._tables: dict[int, _Table] = {}
        self._files: dict[str, int] = {}
        self.patched_from: int | None = None  # the generation this view was patched from
        self.patch_ms = 0.0  # what patching it took (0 for a full build)
        self._file_count = -1
        if _empty:
            return
        self.nodes = list(isg.nodes.values())
        self.index = {n.id: i for i, n in enumerate(self.nodes)}

    @property
    def node_count(self) -> int:
        return len(self.nodes)

    @property
    def file_count(self) -> int:
        if self._file_count < 0:
            self._file_count = len(self._files) if self._files else len({n.file for n in self.nodes})
        return self._file_count

    def indices(self, ids: Iterable[str]) -> list[int]:
        """View indices of the given node ids (ids not in the view are dropped)."""
        index = self.index
        return [index[i] for i in ids if i in index]

    def column(self, cid: int) -> tuple[Buffer, int]:
        """(bytes, element count) of one column, building its group on first use."""
        col = self._columns.get(cid)
        if col is None:
            with self._lock:
                if cid not in self._columns:
                    self._columns.update(self._build(cid))
                col = self._columns[cid]
        return col

    # -- full builds ---------------------------------------------------------------------------

    def _build(self, cid: int) -> dict[int, tuple[Buffer, int]]:
        nodes = self.nodes
        n = len(nodes)
        u8 = _U8_COLUMNS.get(cid)
        if u8 is not None:
            return {cid: (bytes([u8(node) for node in nodes]), n)}
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
            return self._build_files()
        if abi.COL_EDGES <= cid < abi.COL_EDGES + 4 * _NK:
            return self._edges()
        raise KeyError(cid)

    def _strings(self, refs_id: int, table_id: int, values: list[str]) -> dict[int, tuple[Buffer, int]]:
        table = self._tables[table_id] = _Table()
        refs = table.fill(values)
        data = bytes(table.data)
        return {refs_id: (refs, len(values)), table_id: (data, len(data))}

    def _build_files(self) -> dict[int, tuple[Buffer, int]]:
        files: dict[str, int] = {}
        per_node = [files.setdefault(node.file, len(files)) for node in self.nodes]
        table = self._tables[abi.COL_FILE_STRINGS] = _Table()
        refs = table.fill(list(files))
        self._files = files
        self._file_count = len(files)
        data = bytes(table.data)
        return {
            abi.COL_FILE: (_u32(per_node), len(per_node)),
            abi.COL_FILE_PATH: (refs, len(files)),
            abi.COL_FILE_STRINGS: (data, len(data)),
        }

    def _adjacency(self, node_id: str, part: int) -> list[list[int]]:
        """Per edge kind, the distinct neighbour indices of one node (ascending); part 0 out, 2 in.

        A (neighbour, kind) pair is packed as ``index * 8 + kind`` so the per-edge work is one set
        insertion; enum members are looked up by identity (an Enum's ``__hash__`` is Python code).
        """
        lists: list[list[int]] = [[] for _ in range(_NK)]
        index_get, code_get = self.index.get, _EDGE_CODE.get
        if part == 0:
            edges = self._isg.out_edges(node_id)
            keys = {index_get(e.dst, -1) * 8 + code_get(id(e.kind), 7) for e in edges}
        else:
            edges = self._isg.in_edges(node_id)
            keys = {index_get(e.src, -1) * 8 + code_get(id(e.kind), 7) for e in edges}
        for key in sorted(keys):
            k = key & 7
            if key >= 0 and k < _NK:
                lists[k].append(key >> 3)
        return lists

    def _edges(self) -> dict[int, tuple[Buffer, int]]:
        """CSR out- and in-adjacency of every edge kind, in one pass over each node's edge lists.

        Neighbours are de-duplicated per node and kind (two call sites are one entry), ascending.
        """
        index_get, isg, nk = self.index.get, self._isg, _NK
        code_get = _EDGE_CODE.get
        cols: dict[int, tuple[Buffer, int]] = {}
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

    # -- patching from a diff ------------------------------------------------------------------

    def patched(self, isg: ISG, diffs: Sequence[GraphDiff]) -> GraphView | None:
        """The view of ``isg``'s current generation derived from this one and the diffs between them.

        ``diffs`` must be every diff from ``self.generation + 1`` to ``isg.generation``; ``isg`` is
        read at its current generation (the caller holds the engine's read lock). None when the view
        is better rebuilt (a table grew too much, or the result does not add up).
        """
        for table in self._tables.values():
            if len(table.data) > MAX_TABLE_GROWTH * max(table.built_size, 1 << 16):
                return None
        live = isg.nodes
        ends: set[str] = set()
        content: set[str] = set()
        for diff in diffs:
            for edge in (*diff.added_edges, *diff.removed_edges):
                ends.add(edge.src)
                ends.add(edge.dst)
            content.update(n.id for n in diff.added_nodes)
            content.update(n.id for n in diff.changed_nodes)
            content.update(diff.removed_nodes)
        new = GraphView(isg, _empty=True)
        new.patched_from = self.generation
        new._tables, new._files = dict(self._tables), dict(self._files)
        nodes, index = list(self.nodes), self.index
        if any(i not in live or i not in index for i in content):
            index = dict(index)  # nodes come or go: a copy (else the index is shared, never changed)
        old_count = len(nodes)
        # removed nodes: the last node takes the freed index (descending, so the last is never gone)
        moved: list[str] = []
        for i in sorted((index[i] for i in content if i in index and i not in live), reverse=True):
            del index[nodes[i].id]
            last = nodes.pop()
            if i < len(nodes):
                nodes[i] = last
                index[last.id] = i
                moved.append(last.id)
        added = sorted(i for i in content if i in live and i not in index)
        for node_id in added:
            index[node_id] = len(nodes)
            nodes.append(live[node_id])
        for node_id in content:
            at = index.get(node_id)
            if at is not None:
                nodes[at] = live[node_id]
        if len(nodes) != len(live):
            return None  # the diffs do not describe this graph
        new.nodes, new.index = nodes, index
        moved_or_added = [*moved, *added]
        # entries to recompute: nodes whose fields or index changed, ends of changed edges, the
        # neighbours of a node that moved (their lists hold its index), children of moved/added nodes
        dirty_ids = {i for i in (*content, *moved_or_added) if i in index}
        edge_ids = {i for i in (*ends, *moved_or_added) if i in index}  # a node's fields are not its edges
        for node_id in moved_or_added:
            for e in isg.out_edges(node_id):
                edge_ids.add(e.dst)
            for e in isg.in_edges(node_id):
                edge_ids.add(e.src)
        parent_ids = edge_ids | dirty_ids
        for node_id in moved_or_added:
            parent_ids.update(e.dst for e in isg.out_edges(node_id, _CONTAINS))
        edge_ids = {i for i in edge_ids if i in index}  # not `&= index.keys()`: that walks every key
        parent_ids = {i for i in parent_ids if i in index}
        with self._lock:
            built = dict(self._columns)
        columns: dict[int, tuple[Buffer, int]] = {}
        if any(abi.COL_EDGES <= cid < abi.COL_EDGES + 4 * _NK for cid in built):
            columns.update(new._patch_edges(built, sorted(index[i] for i in edge_ids), old_count))
        dirty = sorted(index[i] for i in dirty_ids)
        for cid in list(built):
            if cid >= abi.COL_EDGES:
                continue
            if cid == abi.COL_PARENT:
                columns.update(new._patch_parent(built[cid][0], sorted(index[i] for i in parent_ids)))
            elif cid in (abi.COL_NAME, abi.COL_QUALNAME, abi.COL_FILE):
                columns.update(new._patch_refs(cid, built, dirty))
            elif cid in _U8_COLUMNS:
                columns[cid] = new._patch_u8(cid, built[cid][0], dirty)
            elif cid == abi.COL_LINES:
                columns[cid] = new._patch_lines(built[cid][0], dirty)
        new._columns = columns
        new._file_count = len(new._files) if new._files else -1
        return new

    def _resized(self, data: Buffer, width: int) -> bytearray | array[int]:
        """A copy of ``data`` cut or zero-extended to ``width`` entries per node."""
        n = len(self.nodes) * width
        if isinstance(data, array):
            words = array("I", data[:n])
            words.extend([0] * (n - len(words)))
            return words
        raw = bytearray(data[:n])
        raw.extend(bytes(n - len(raw)))
        return raw

    @staticmethod
    def _kept(old: Buffer, new: bytearray | array[int]) -> Buffer:
        """``old`` itself when ``new`` holds the same values (one C-level comparison): a column the
        diff did not really change stays shared, so a plugin's copy of it is not rewritten."""
        return old if isinstance(old, array) == isinstance(new, array) and old == new else new

    def _patch_u8(self, cid: int, data: Buffer, dirty: list[int]) -> tuple[Buffer, int]:
        out = self._resized(data, 1)
        code, nodes = _U8_COLUMNS[cid], self.nodes
        for i in dirty:
            out[i] = code(nodes[i])
        return self._kept(data, out), len(nodes)

    def _patch_lines(self, data: Buffer, dirty: list[int]) -> tuple[Buffer, int]:
        out = self._resized(data, 2)
        nodes = self.nodes
        for i in dirty:
            node = nodes[i]
            out[2 * i] = max(0, node.line)
            out[2 * i + 1] = max(0, node.end_line)
        return self._kept(data, out), len(nodes)

    def _patch_parent(self, data: Buffer, dirty: list[int]) -> dict[int, tuple[Buffer, int]]:
        out = self._resized(data, 1)
        nodes, index, no = self.nodes, self.index, abi.NO_NODE
        for i in dirty:
            parent = nodes[i].parent
            out[i] = index.get(parent, no) if parent else no
        return {abi.COL_PARENT: (self._kept(data, out), len(nodes))}

    def _patch_refs(
        self, cid: int, built: dict[int, tuple[Buffer, int]], dirty: list[int]
    ) -> dict[int, tuple[Buffer, int]]:
        nodes = self.nodes
        if cid == abi.COL_FILE:
            out = self._resized(built[cid][0], 1)
            files, table = self._files, self._tables[abi.COL_FILE_STRINGS]
            paths: list[int] = list(built[abi.COL_FILE_PATH][0])
            for i in dirty:
                path = nodes[i].file
                at = files.get(path)
                if at is None:
                    at = files[path] = len(files)
                    paths += table.ref(path)
                out[i] = at
            if len(paths) == 2 * built[abi.COL_FILE_PATH][1]:  # no new file: its tables stay shared
                return {
                    cid: (self._kept(built[cid][0], out), len(nodes)),
                    abi.COL_FILE_PATH: built[abi.COL_FILE_PATH],
                    abi.COL_FILE_STRINGS: built[abi.COL_FILE_STRINGS],
                }
            data = bytes(table.data)
            return {
                cid: (out, len(nodes)),
                abi.COL_FILE_PATH: (_u32(paths), len(files)),
                abi.COL_FILE_STRINGS: (data, len(data)),
            }
        table_id = abi.COL_NAME_STRINGS if cid == abi.COL_NAME else abi.COL_QUALNAME_STRINGS
        table = self._tables[table_id]
        out = self._resized(built[cid][0], 2)
        before = len(table.data)
        for i in dirty:
            node = nodes[i]
            out[2 * i], out[2 * i + 1] = table.ref(node.name if cid == abi.COL_NAME else node.qualname)
        strings = built[table_id] if len(table.data) == before else (bytes(table.data), len(table.data))
        return {cid: (self._kept(built[cid][0], out), len(nodes)), table_id: strings}

    def _patch_edges(
        self, built: dict[int, tuple[Buffer, int]], positions: list[int], old_count: int
    ) -> dict[int, tuple[Buffer, int]]:
        """Every CSR column with the lists of ``positions`` recomputed and spliced in."""
        nodes, n = self.nodes, len(self.nodes)
        cols: dict[int, tuple[Buffer, int]] = {}
        for part in (0, 2):
            fresh = {p: self._adjacency(nodes[p].id, part) for p in positions}
            for k in range(_NK):
                off_id, tg_id = abi.edge_column(k, part), abi.edge_column(k, part + 1)
                offsets, targets = built[off_id][0], built[tg_id][0]
                assert isinstance(offsets, array) and isinstance(targets, array)
                new_off, new_tg = _splice(offsets, targets, n, old_count, {p: fresh[p][k] for p in positions})
                cols[off_id] = (new_off, len(new_off))
                cols[tg_id] = (new_tg, len(new_tg))
        return cols

    # -- blobs ---------------------------------------------------------------------------------

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
        for k in range(_NK):
            if mask & (abi.WANT_OUT << k):
                ids += (abi.edge_column(k, 0), abi.edge_column(k, 1))
            if mask & (abi.WANT_IN << k):
                ids += (abi.edge_column(k, 2), abi.edge_column(k, 3))
        return ids

    def masks(self) -> list[int]:
        """The masks whose images were made (what plugins asked for)."""
        return list(self._images)

    def image(self, mask: int = abi.WANT_ALL) -> ViewImage:
        """The view of the column groups of ``mask`` as parts (cached: shared by every plugin)."""
        mask &= abi.WANT_ALL
        cached = self._images.get(mask)
        if cached is not None:
            return cached
        with self._lock:
            cached = self._images.get(mask)
            if cached is None:
                cached = self._images[mask] = self._layout(mask)
        return cached

    def blob(self, mask: int = abi.WANT_ALL) -> bytes:
        """The view bytes holding the column groups of ``mask`` in one buffer (cached: the native tier
        reads them in place; a wasm plugin's copy is written from :meth:`image`, column by column)."""
        return self.image(mask).blob()

    def _layout(self, mask: int) -> ViewImage:
        ids = self.columns_for(mask)
        offset = abi.VIEW_HEADER.size + abi.VIEW_COLUMN.size * len(ids)
        directory: list[bytes] = []
        parts: list[tuple[int, Buffer, int]] = []
        columns = [(cid, *self.column(cid)) for cid in ids]
        for cid, data, count in columns:
            offset += -offset % 8
            size = len(data) * (data.itemsize if isinstance(data, array) else 1)
            directory.append(abi.VIEW_COLUMN.pack(cid, offset, size, count))
            parts.append((offset, data, size))
            offset += size
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
        return ViewImage(header, b"".join(directory), tuple(parts), offset)


class ViewImage:
    """One mask's view of one generation, as parts: the header, the column directory, and each
    column's buffer at its offset (no padding: a pad's bytes are never read).

    :meth:`write` copies it into a plugin's memory; given the image that memory holds already (the
    previous generation's, same layout), it copies only the header and the columns whose buffers
    changed - a patched view shares every column it did not touch, so a one-file edit rewrites a few
    per-node columns, not the whole view. :meth:`blob` joins it into one buffer (once) for a reader
    that needs contiguous bytes (the native tier, tests).
    """

    __slots__ = ("_blob", "_lock", "directory", "header", "parts", "size")

    def __init__(
        self, header: bytes, directory: bytes, parts: tuple[tuple[int, Buffer, int], ...], size: int
    ) -> None:
        self.header = header
        self.directory = directory
        self.parts = parts
        self.size = size  # total_len
        self._blob: bytes | None = None
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return self.size

    def same_layout(self, other: ViewImage | None) -> bool:
        """Every column at the same offset with the same length (a partial write is enough)."""
        return other is not None and other.size == self.size and other.directory == self.directory

    def blob(self) -> bytes:
        if self._blob is None:
            with self._lock:
                if self._blob is None:
                    self._blob = self._join()
        return self._blob

    def _join(self) -> bytes:
        chunks: list[Buffer] = [self.header, self.directory]
        at = len(self.header) + len(self.directory)
        for offset, data, size in self.parts:
            if offset > at:
                chunks.append(b"\0" * (offset - at))
            chunks.append(data)
            at = offset + size
        chunks.append(b"\0" * (self.size - at))
        return b"".join(chunks)  # one copy of the view

    def write(self, address: int, previous: ViewImage | None = None) -> int:
        """Copy the view to ``address`` (a plugin's linear memory, room for :attr:`size` bytes), only
        what differs from ``previous`` when that is what the memory holds and has the same layout;
        returns the bytes copied. Pads are zeroed on a full write."""
        partial = self.same_layout(previous)
        head = self.header + self.directory
        ctypes.memmove(address, head, len(head))
        copied = len(head)
        old = previous.parts if previous is not None and partial else None
        at = len(head)
        for i, (offset, data, size) in enumerate(self.parts):
            if old is None and offset > at:
                ctypes.memset(address + at, 0, offset - at)
            at = offset + size
            if old is not None and old[i][1] is data:
                continue
            if size:
                ctypes.memmove(address + offset, _address(data), size)
                copied += size
        if old is None and self.size > at:
            ctypes.memset(address + at, 0, self.size - at)
        return copied


def _address(data: Buffer) -> int:
    """The address of a column buffer's bytes (valid while ``data`` is alive and not resized)."""
    if isinstance(data, array):
        return int(data.buffer_info()[0])
    if isinstance(data, bytearray):
        return ctypes.addressof(ctypes.c_char.from_buffer(data))
    return ctypes.cast(ctypes.c_char_p(data), ctypes.c_void_p).value or 0


def _splice(
    offsets: array[int], targets: array[int], n: int, old_count: int, lists: dict[int, list[int]]
) -> tuple[array[int], array[int]]:
    """A CSR of ``n`` nodes: the old one (``old_count`` nodes) with the lists at ``lists``' positions
    replaced (positions ``>= old_count`` are new nodes, all of which are in ``lists``). The unchanged
    runs between them are copied as slices and their offsets shifted by :func:`_shifted`."""
    if n == old_count and all(len(v) == offsets[p + 1] - offsets[p] for p, v in lists.items()):
        if all(targets[offsets[p] : offsets[p + 1]].tolist() == v for p, v in lists.items()):
            return offsets, targets  # nothing changed: share the (never mutated) arrays
        same = array("I", targets)  # same shape: overwrite a copy, share nothing mutable
        for p, v in lists.items():
            same[offsets[p] : offsets[p + 1]] = array("I", v)
        return offsets, same
    new_off, new_tg = array("I", [0]), array("I")
    prev = cur = 0
    for p in sorted(lists):
        if p > prev:  # unchanged nodes prev .. p-1 (all < old_count)
            a, b = offsets[prev], offsets[p]
            new_tg += targets[a:b]
            new_off += _shifted(offsets[prev + 1 : p + 1], cur - a)
            cur += b - a
        new_tg.fromlist(lists[p])
        cur += len(lists[p])
        new_off.append(cur)
        prev = p + 1
    if prev < n:
        a, b = offsets[prev], offsets[n]
        new_tg += targets[a:b]
        new_off += _shifted(offsets[prev + 1 : n + 1], cur - a)
    return new_off, new_tg


def _shifted(words: array[int], delta: int) -> array[int]:
    """``words`` with ``delta`` added to each (no result leaves 0 .. 2**32-1), in one big-integer
    addition: the u32 lanes never carry or borrow into each other, so adding ``delta`` repeated in
    every lane adds it to each value - ~10x faster than a per-element ``map`` in Python."""
    if not delta or not words:
        return words
    raw = words.tobytes()
    lanes = int.from_bytes(abs(delta).to_bytes(4, "little") * len(words), "little")
    value = int.from_bytes(raw, "little")
    value = value + lanes if delta > 0 else value - lanes
    out = array("I")
    out.frombytes(value.to_bytes(len(raw), "little"))
    return out


_views: weakref.WeakKeyDictionary[ISG, GraphView] = weakref.WeakKeyDictionary()
_pending: weakref.WeakKeyDictionary[ISG, list[GraphDiff]] = weakref.WeakKeyDictionary()
_fed: weakref.WeakSet[ISG] = weakref.WeakSet()  # graphs whose changes arrive as diffs (an engine's)
_views_cond = threading.Condition(threading.Lock())


def note_diff(isg: ISG, diff: GraphDiff) -> None:
    """Remember a diff the engine applied to ``isg``, so the next view is patched, not rebuilt."""
    with _views_cond:
        _fed.add(isg)
        if isg not in _views:
            return  # no view yet: the first one is a full build anyway
        pending = _pending.setdefault(isg, [])
        pending.append(diff)
        if len(pending) > MAX_PENDING:
            pending.clear()
        _views_cond.notify_all()


def graph_view(isg: ISG) -> GraphView:
    """The view of ``isg``'s current generation, shared by all plugins.

    Patched from the previous generation's view when the diffs in between are known (for a graph
    fed by :func:`note_diff`, waiting up to :data:`DIFF_WAIT_S` for a diff not announced yet), else
    built (lazily, group by group). The caller holds the engine's read lock (``isg`` holds still).
    """
    fingerprint = (isg.generation, isg.node_count, isg.edge_count)
    view = _views.get(isg)
    if view is not None and view.fingerprint == fingerprint:
        return view
    with _views_cond:
        view = _views.get(isg)
        if view is None or view.fingerprint != fingerprint:
            previous = view
            view = None
            if previous is not None:
                if isg in _fed:
                    _views_cond.wait_for(lambda: _covered(previous, isg), DIFF_WAIT_S)
                view = _advance(previous, isg)
            if view is None:
                view = GraphView(isg)
            _views[isg] = view
            if previous is not None and view.patched_from is not None:
                for mask in previous.masks():  # lay out what plugins asked for before (no copy)
                    view.image(mask)
    return view


def refresh(isg: ISG) -> GraphView | None:
    """Bring an existing view of ``isg`` to its current generation now (patched when the diffs are
    known), so the next query does not pay for it; None when no plugin has asked for a view yet."""
    if isg not in _views:
        return None
    return graph_view(isg)


def _wanted(view: GraphView, isg: ISG) -> range:
    return range(view.generation + 1, isg.generation + 1)


def _covered(view: GraphView, isg: ISG) -> bool:
    have = {d.generation for d in _pending.get(isg, ())}
    return all(g in have for g in _wanted(view, isg))


def _advance(view: GraphView, isg: ISG) -> GraphView | None:
    pending = _pending.pop(isg, [])
    wanted = _wanted(view, isg)
    diffs = sorted(
        {d.generation: d for d in pending if d.generation in wanted}.values(), key=lambda d: d.generation
    )
    if not wanted or [d.generation for d in diffs] != list(wanted) or view.fingerprint[0] != view.generation:
        return None
    started = time.perf_counter()
    try:
        new = view.patched(isg, diffs)
    except Exception:  # a bug here must cost a rebuild, never a query
        log.exception("patching the graph view to generation %d failed; rebuilding it", isg.generation)
        return None
    if new is not None:
        new.patch_ms = (time.perf_counter() - started) * 1e3
    return new


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
