"""A canonical digest of a graph: equal for equal node, edge and file sets, whatever their order.

Every node, edge and file summary is encoded (msgpack, fields in declaration order), hashed alone,
and the sorted item hashes are hashed together. Used to check that an incrementally updated graph
equals a cold index of the same tree, and by snapshots to verify what they load.
"""

from __future__ import annotations

import dataclasses
import hashlib

import msgspec

from pt_tui.core.isg import ISG

_ENCODE = msgspec.msgpack.Encoder(order="deterministic").encode


def _item(tag: bytes, data: bytes) -> bytes:
    return hashlib.blake2b(tag + data, digest_size=16).digest()


def item_hashes(isg: ISG, *, files: bool = True) -> list[bytes]:
    """The sorted hashes of every node, edge (and file summary) of a graph."""
    out = [_item(b"n", _ENCODE(node)) for node in isg.nodes.values()]
    out.extend(_item(b"e", _ENCODE(edge)) for edge in isg.edges())
    if files:
        out.extend(_item(b"f", _ENCODE(dataclasses.astuple(info))) for info in isg.files.values())
    out.sort()
    return out


def graph_digest(isg: ISG, *, files: bool = True) -> str:
    """32 hex digits identifying the graph's content (``files=False``: nodes and edges only)."""
    h = hashlib.blake2b(digest_size=16)
    for item in item_hashes(isg, files=files):
        h.update(item)
    return h.hexdigest()


def graph_delta(a: ISG, b: ISG) -> tuple[list[object], list[object]]:
    """What differs between two graphs (for test failure messages): (only in a, only in b)."""

    def items(isg: ISG) -> set[object]:
        found: set[object] = {("node", *msgspec.structs.astuple(n)) for n in isg.nodes.values()}
        found |= {("edge", *msgspec.structs.astuple(e)) for e in isg.edges()}
        found |= {("file", *dataclasses.astuple(f)) for f in isg.files.values()}
        return found

    left, right = items(a), items(b)
    return sorted(left - right, key=repr), sorted(right - left, key=repr)
