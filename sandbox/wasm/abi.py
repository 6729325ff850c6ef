"""The bulk ABI, version 1: byte layouts shared by the WASM tier and shared-library natives.

Everything here is pure Python over ``bytes``; docs/plugin-abi.md is the reference for plugin
authors. Three blobs cross the boundary, all little-endian:

* the graph view (:mod:`pt_tui.sandbox.wasm.view` builds it): header, column directory, columns;
* the request the host writes for one call (:func:`encode_request`);
* the result the plugin returns (:func:`decode_result`), which is untrusted: every offset is
  bounds-checked, sizes are capped, and anything wrong raises :class:`Malformed`, never more.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence
from typing import Final

import msgspec

from pt_tui.core.model import EdgeKind, NodeKind, Visibility

ABI_VERSION: Final = 1

# -- graph view -------------------------------------------------------------------------------------

VIEW_MAGIC: Final = b"PTGV"
#: magic, abi u16, header size u16, node count, file count, column count, total length, generation u64
VIEW_HEADER: Final = struct.Struct("<4sHHIIIIQ")
#: column id, offset from the view's start, length in bytes, element count
VIEW_COLUMN: Final = struct.Struct("<IIII")

COL_KIND: Final = 1  # u8 per node: index in NODE_KINDS
COL_VISIBILITY: Final = 2  # u8 per node: index in VISIBILITIES
COL_LANGUAGE: Final = 3  # u8 per node: index in LANGUAGES
COL_NAME: Final = 4  # (u32 offset, u32 length) per node into COL_NAME_STRINGS
COL_QUALNAME: Final = 5  # (u32 offset, u32 length) per node into COL_QUALNAME_STRINGS
COL_FILE: Final = 6  # u32 per node: index into COL_FILE_PATH
COL_FILE_PATH: Final = 7  # (u32 offset, u32 length) per file into COL_FILE_STRINGS
COL_LINES: Final = 8  # (u32 line, u32 end_line) per node, 1-based
COL_PARENT: Final = 9  # u32 per node: index of the containing node, NO_NODE for none
# UTF-8 bytes, each distinct string once; one table per group, so a plugin that reads names does
# not also receive every qualified name.
COL_NAME_STRINGS: Final = 15
COL_QUALNAME_STRINGS: Final = 16
COL_FILE_STRINGS: Final = 17
COL_EDGES: Final = 0x100  # + 4 * edge kind + (0 out offsets, 1 out targets, 2 in offsets, 3 in targets)

NO_NODE: Final = 0xFFFFFFFF
NODE_KINDS: Final[tuple[NodeKind, ...]] = tuple(NodeKind)
VISIBILITIES: Final[tuple[Visibility, ...]] = tuple(Visibility)
EDGE_KINDS: Final[tuple[EdgeKind, ...]] = (
    EdgeKind.CALLS,
    EdgeKind.IMPLEMENTS,
    EdgeKind.USES,
    EdgeKind.CONTAINS,
    EdgeKind.IMPORTS,
)
LANGUAGES: Final = ("", "python", "rust")

# Column groups a plugin asks for with its optional ``pt_columns() -> i64`` export (a bit mask).
WANT_KIND: Final = 1 << 0
WANT_VISIBILITY: Final = 1 << 1
WANT_LANGUAGE: Final = 1 << 2
WANT_NAME: Final = 1 << 3
WANT_QUALNAME: Final = 1 << 4
WANT_FILE: Final = 1 << 5
WANT_LINES: Final = 1 << 6
WANT_PARENT: Final = 1 << 7
WANT_OUT: Final = 1 << 8  # << edge kind index: out-edges (CSR) of that kind
WANT_IN: Final = 1 << 16  # << edge kind index: in-edges (CSR) of that kind
WANT_ALL: Final = 0xFF | (0x1F << 8) | (0x1F << 16)


def edge_column(kind_index: int, part: int) -> int:
    """Column id of an edge CSR part: 0 out offsets, 1 out targets, 2 in offsets, 3 in targets."""
    return COL_EDGES + 4 * kind_index + part


# -- request -----------------------------------------------------------------------------------------

REQUEST_MAGIC: Final = b"PTQ1"
#: magic, abi u16, flags u16, view address u64, view length, limit, verb (off, len),
#: inputs (count, off), args (count, off), result address u64 (out), result length (out), reserved
REQUEST_HEADER: Final = struct.Struct("<4sHHQIIIIIIIIQII")
RESULT_SLOT_OFFSET: Final = 48  # where the plugin writes (u64 address, u32 length) of its result
RESULT_SLOT: Final = struct.Struct("<QI")
FLAG_HAS_INPUTS: Final = 1
FLAG_CONTEXT: Final = 2
#: name (off, len), type, count, value (8 bytes: i64, or (u32 off, u32 len/count))
ARG_ENTRY: Final = struct.Struct("<IIII8s")
ARG_NONE: Final = 0
ARG_INT: Final = 1
ARG_TEXT: Final = 2
ARG_NODES: Final = 3  # u32 node indices
ARG_TEXTS: Final = 4  # (u32 off, u32 len) pairs

# -- result ------------------------------------------------------------------------------------------

RESULT_MAGIC: Final = b"PTR1"
#: magic, status, row count, rows offset, text (off, len), notes (count, off)
RESULT_HEADER: Final = struct.Struct("<4sIIIIIII")
#: node index, distance (NO_DISTANCE for none), via (off, len), detail (off, len)
RESULT_ROW: Final = struct.Struct("<IiIIII")
NOTE_ENTRY: Final = struct.Struct("<II")
STATUS_OK: Final = 0
STATUS_ERROR: Final = 1  # the plugin refused the request: the text is its message
NO_DISTANCE: Final = -(2**31)

MAX_RESULT_BYTES: Final = 1 << 20
MAX_NOTES: Final = 64
MAX_TEXT_BYTES: Final = MAX_RESULT_BYTES
MAX_FIELD_BYTES: Final = 4096  # one via / detail / note string


class Malformed(ValueError):
    """A plugin's result broke the ABI; the message says how (shown in the violation)."""


Arg = str | int | tuple[str, ...] | None


class _Blob:
    """An append-only byte buffer that hands out offsets (strings and u32 arrays, 4-byte aligned)."""

    def __init__(self, start: int) -> None:
        self.parts: list[bytes] = []
        self.size = start

    def add(self, data: bytes) -> int:
        pad = -self.size % 4
        if pad:
            self.parts.append(b"\0" * pad)
            self.size += pad
        off = self.size
        self.parts.append(data)
        self.size += len(data)
        return off


def encode_request(
    *,
    verb: str,
    view_addr: int,
    view_len: int,
    limit: int,
    args: Mapping[str, Arg],
    entities: Mapping[str, Sequence[int]],
    inputs: Sequence[int] | None,
    context: bool = False,
) -> bytes:
    """The request blob for one call. Node references are indices in the view's node order."""
    blob = _Blob(REQUEST_HEADER.size)
    verb_b = verb.encode()
    verb_off = blob.add(verb_b)
    flags = (FLAG_HAS_INPUTS if inputs is not None else 0) | (FLAG_CONTEXT if context else 0)
    ins = list(inputs or ())
    inputs_off = blob.add(struct.pack(f"<{len(ins)}I", *ins))
    entries: list[bytes] = []
    names = list(args) + [n for n in entities if n not in args]
    for name in names:
        name_b = name.encode()
        name_off = blob.add(name_b)
        if name in entities:
            idx = list(entities[name])
            off = blob.add(struct.pack(f"<{len(idx)}I", *idx))
            entries.append(
                ARG_ENTRY.pack(name_off, len(name_b), ARG_NODES, len(idx), struct.pack("<II", off, 0))
            )
            continue
        value = args[name]
        if value is None:
            entries.append(ARG_ENTRY.pack(name_off, len(name_b), ARG_NONE, 0, bytes(8)))
        elif isinstance(value, bool | int):
            entries.append(ARG_ENTRY.pack(name_off, len(name_b), ARG_INT, 0, struct.pack("<q", int(value))))
        elif isinstance(value, str):
            text = value.encode()
            off = blob.add(text)
            entries.append(
                ARG_ENTRY.pack(name_off, len(name_b), ARG_TEXT, 0, struct.pack("<II", off, len(text)))
            )
        else:
            refs: list[int] = []
            for word in value:
                w = word.encode()
                refs += (blob.add(w), len(w))
            off = blob.add(struct.pack(f"<{len(refs)}I", *refs))
            entries.append(
                ARG_ENTRY.pack(name_off, len(name_b), ARG_TEXTS, len(value), struct.pack("<II", off, 0))
            )
    args_off = blob.add(b"".join(entries))
    header = REQUEST_HEADER.pack(
        REQUEST_MAGIC,
        ABI_VERSION,
        flags,
        view_addr,
        view_len,
        max(0, min(limit, 0xFFFFFFFF)),
        verb_off,
        len(verb_b),
        len(ins),
        inputs_off,
        len(entries),
        args_off,
        0,
        0,
        0,
    )
    return header + b"".join(blob.parts)


class DecodedRow(msgspec.Struct, frozen=True, array_like=True, gc=False):
    node: int
    distance: int | None
    via: str
    detail: str


class DecodedResult(msgspec.Struct, frozen=True, kw_only=True):
    status: int
    rows: list[DecodedRow]
    text: str
    notes: list[str]


def _string(data: bytes, off: int, length: int, cap: int, what: str) -> str:
    if length == 0:
        return ""
    if length > cap:
        raise Malformed(f"{what}: {length} bytes, over the {cap}-byte cap")
    if off + length > len(data):
        raise Malformed(f"{what}: bytes {off}..{off + length} outside the {len(data)}-byte result")
    return data[off : off + length].decode("utf-8", "replace")


def decode_result(data: bytes, *, node_count: int, limit: int) -> DecodedResult:
    """Decode an untrusted result blob (already copied out of the plugin and capped in size).

    Raises :class:`Malformed` for anything out of bounds or over a cap; never anything else.
    """
    size = len(data)
    if size > MAX_RESULT_BYTES:
        raise Malformed(f"result of {size} bytes, over the {MAX_RESULT_BYTES}-byte cap")
    if size < RESULT_HEADER.size:
        raise Malformed(f"result of {size} bytes is shorter than its {RESULT_HEADER.size}-byte header")
    magic, status, count, rows_off, text_off, text_len, note_count, notes_off = RESULT_HEADER.unpack_from(
        data
    )
    if magic != RESULT_MAGIC:
        raise Malformed(f"bad result magic {magic!r}")
    if status not in (STATUS_OK, STATUS_ERROR):
        raise Malformed(f"unknown status {status}")
    if count > limit:
        raise Malformed(f"{count} rows, over the request's limit of {limit}")
    end = rows_off + count * RESULT_ROW.size
    if count and (rows_off % 4 or end > size):
        raise Malformed(f"rows at {rows_off}..{end} outside the {size}-byte result (or misaligned)")
    if note_count > MAX_NOTES:
        raise Malformed(f"{note_count} notes, over the cap of {MAX_NOTES}")
    notes_end = notes_off + note_count * NOTE_ENTRY.size
    if note_count and notes_end > size:
        raise Malformed(f"notes at {notes_off}..{notes_end} outside the {size}-byte result")
    text = _string(data, text_off, text_len, MAX_TEXT_BYTES, "text")
    notes = [
        _string(data, off, length, MAX_FIELD_BYTES, f"note {i}")
        for i, (off, length) in enumerate(NOTE_ENTRY.iter_unpack(data[notes_off:notes_end]))
    ]
    rows: list[DecodedRow] = []
    strings: dict[tuple[int, int], str] = {(0, 0): ""}
    if count:
        for node, distance, via_off, via_len, det_off, det_len in RESULT_ROW.iter_unpack(data[rows_off:end]):
            if node >= node_count:
                raise Malformed(f"row {len(rows)}: node index {node} outside the view's {node_count} nodes")
            via = strings.get((via_off, via_len))
            if via is None:
                via = strings[via_off, via_len] = _string(data, via_off, via_len, MAX_FIELD_BYTES, "via")
            detail = strings.get((det_off, det_len))
            if detail is None:
                detail = _string(data, det_off, det_len, MAX_FIELD_BYTES, "detail")
                strings[det_off, det_len] = detail
            rows.append(DecodedRow(node, None if distance == NO_DISTANCE else distance, via, detail))
    return DecodedResult(status=status, rows=rows, text=text, notes=notes)


def encode_result(
    rows: Sequence[tuple[int, int | None, str, str]] = (),
    *,
    text: str = "",
    notes: Sequence[str] = (),
    status: int = STATUS_OK,
) -> bytes:
    """A well-formed result blob (what the SDKs build; used by tests and the docs' worked example)."""
    strings = _Blob(0)
    refs: dict[str, tuple[int, int]] = {"": (0, 0)}

    def ref(s: str) -> tuple[int, int]:
        if s not in refs:
            b = s.encode()
            refs[s] = (strings.add(b), len(b))
        return refs[s]

    row_refs = [(n, d, ref(v), ref(x)) for n, d, v, x in rows]
    note_refs = [ref(n) for n in notes]
    text_ref = ref(text)
    rows_off = RESULT_HEADER.size
    notes_off = rows_off + len(rows) * RESULT_ROW.size
    base = notes_off + len(notes) * NOTE_ENTRY.size

    def at(r: tuple[int, int]) -> tuple[int, int]:
        return (base + r[0], r[1]) if r[1] else (0, 0)

    body = b"".join(
        RESULT_ROW.pack(n, NO_DISTANCE if d is None else d, *at(v), *at(x)) for n, d, v, x in row_refs
    )
    body += b"".join(NOTE_ENTRY.pack(*at(r)) for r in note_refs)
    header = RESULT_HEADER.pack(
        RESULT_MAGIC, status, len(rows), rows_off, *at(text_ref), len(notes), notes_off if notes else 0
    )
    return header + body + b"".join(strings.parts)
