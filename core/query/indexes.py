"""Per-graph indexes that queries build lazily and keep until the graph changes.

An index belongs to one ISG and is valid for one (generation, node count, edge count): adding
nodes or edges, or bumping the generation, gives the next query a fresh index.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable
from functools import cached_property
from itertools import groupby, islice, repeat
from typing import NamedTuple, TypeVar
from weakref import WeakKeyDictionary

from pt_tui.core.isg import ISG
from pt_tui.core.model import Node

T = TypeVar("T")

_INDEXES: WeakKeyDictionary[ISG, QueryIndex] = WeakKeyDictionary()


def index_for(isg: ISG) -> QueryIndex:
    """The current index of ``isg``, rebuilt (lazily, part by part) after the graph changed."""
    fingerprint = (isg.generation, isg.node_count, isg.edge_count)
    index = _INDEXES.get(isg)
    if index is None or index.fingerprint != fingerprint:
        index = QueryIndex(isg, fingerprint)
        _INDEXES[isg] = index
    return index


_START = re.Match.start

_SEPARATOR = re.compile(r"\.(?=.)|::(?=.)", re.DOTALL)


def segment_starts(qualname: str) -> list[int]:
    """Offsets where the segments of a qualified name start (after ``.`` or ``::``, outside ``<>``)."""
    if "<" not in qualname:
        return [0, *(m.end() for m in _SEPARATOR.finditer(qualname))]
    starts = [0]
    depth = 0
    i, n = 0, len(qualname)
    while i < n:
        ch = qualname[i]
        if ch == "<":
            depth += 1
        elif ch == ">" and depth > 0 and qualname[i - 1] != "-":
            depth -= 1
        elif depth == 0:
            if ch == "." and i + 1 < n:
                starts.append(i + 1)
            elif ch == ":" and qualname.startswith("::", i) and i + 2 < n:
                starts.append(i + 2)
                i += 1
        i += 1
    return starts


def has_separator(text: str) -> bool:
    return len(segment_starts(text)) > 1


def _starts_segment(qualname: str, offset: int) -> bool:
    """Whether a segment of ``qualname`` starts at ``offset`` (not a separator inside ``<...>``)."""
    return "<" not in qualname[:offset] or offset in segment_starts(qualname)


class Search(NamedTuple):
    """A compiled pattern and the blob it runs on: lower-cased keys (``folded``) or the keys as
    they are. Matching lower-case text without ``re.IGNORECASE`` keeps the regex engine's fast
    literal scan."""

    pattern: re.Pattern[str]
    folded: bool


class _Blob(NamedTuple):
    text: str  # "\n" + keys joined by "\n" + "\n": every key sits between two newlines
    starts: list[int]  # offset of the newline before each key


def _blob(keys: list[str]) -> _Blob:
    starts: list[int] = []
    offset = 0
    for key in keys:
        starts.append(offset)
        offset += len(key) + 1
    return _Blob("\n" + "\n".join(keys) + "\n", starts)


class NameTable:
    """Sorted unique strings joined into newline-delimited blobs, searched with C-speed regexes."""

    def __init__(self, keys: Iterable[str]) -> None:
        self.keys = sorted({k for k in keys if "\n" not in k})

    @cached_property
    def _exact(self) -> _Blob:
        return _blob(self.keys)

    @cached_property
    def folded_keys(self) -> list[str]:
        """The keys lower-cased, in the order of ``keys`` (what case-blind searches match)."""
        return [k.lower() for k in self.keys]

    @cached_property
    def _folded(self) -> _Blob:
        return _blob(self.folded_keys)

    def warm(self) -> None:
        """Build both blobs and the typo buckets now."""
        _ = (self._exact, self._folded, self.by_shape)

    def matching(self, search: Search, limit: int | None = None) -> list[str]:
        """Keys containing a match of the search's pattern (each once, in sorted order); at most
        ``limit`` of them."""
        keys = self.keys
        return [keys[row] for row in self.rows(search, limit)]

    def rows(self, search: Search, limit: int | None = None) -> list[int]:
        """Positions in ``keys`` of the keys :meth:`matching` returns. Matches are mapped to their
        key in C (``map`` over ``islice``), in chunks of what is still wanted."""
        if not self.keys:
            return []
        blob = self._folded if search.folded else self._exact
        matches = search.pattern.finditer(blob.text)
        found: list[int] = []
        while True:
            wanted = None if limit is None else limit - len(found)
            if wanted is not None and wanted <= 0:
                return found
            # bisect_right gives 1 + the key whose newline precedes the match
            ends = list(map(bisect.bisect_right, repeat(blob.starts), map(_START, islice(matches, wanted))))
            if not ends:
                return found
            fresh = [end - 1 for end, _ in groupby(ends)]  # a key matching twice is listed once
            if found and fresh[0] == found[-1]:
                del fresh[0]
            found += fresh
            if limit is None:
                return found

    @cached_property
    def by_shape(self) -> dict[tuple[str, int], list[str]]:
        """Keys by (casefolded first character, length): where typos of a word are looked for."""
        groups: dict[tuple[str, int], list[str]] = {}
        for key in self.keys:
            if key:
                groups.setdefault((key[0].casefold(), len(key)), []).append(key)
        return groups

    def with_prefix(self, prefix: str, limit: int) -> list[str]:
        at = bisect.bisect_left(self.keys, prefix)
        out: list[str] = []
        while at < len(self.keys) and len(out) < limit and self.keys[at].startswith(prefix):
            out.append(self.keys[at])
            at += 1
        return out


class QueryIndex:
    """Lazily built lookups over one ISG generation, plus a memo for verbs' own caches."""

    def __init__(self, isg: ISG, fingerprint: tuple[int, int, int]) -> None:
        self.isg = isg
        self.fingerprint = fingerprint
        self._memo: dict[object, object] = {}

    def memo(self, key: object, compute: Callable[[], T]) -> T:
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]  # type: ignore[return-value]

    def warm(self) -> None:
        """Build every lazy part now."""
        _ = (self._tails, self._folded_tails, self.folded_qualnames, self.folded_names)
        self.names.warm()
        self.qualnames.warm()

    def nodes_by_ids(self, ids: Iterable[str]) -> list[Node]:
        nodes = self.isg.nodes
        return [nodes[i] for i in ids]

    @cached_property
    def _tails(self) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
        """Node ids by the last one and by the last two segments of their qualname."""
        one: dict[str, list[str]] = {}
        two: dict[str, list[str]] = {}
        for node in self.isg.nodes.values():
            qualname = node.qualname
            starts = segment_starts(qualname)
            one.setdefault(qualname[starts[-1] :], []).append(node.id)
            if len(starts) > 1:
                two.setdefault(qualname[starts[-2] :], []).append(node.id)
        return one, two

    @cached_property
    def _folded_tails(self) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
        one, two = self._tails
        return (
            _fold((k, i) for k, ids in one.items() for i in ids),
            _fold((k, i) for k, ids in two.items() for i in ids),
        )

    @cached_property
    def folded_qualnames(self) -> dict[str, list[str]]:
        return _fold((n.qualname, n.id) for n in self.isg.nodes.values())

    @cached_property
    def folded_names(self) -> dict[str, list[str]]:
        return _fold((n.name, n.id) for n in self.isg.nodes.values())

    def by_suffix(self, suffix: str, *, folded: bool = False) -> list[str]:
        """Ids of nodes whose qualname ends with ``suffix`` right after a separator."""
        if folded:
            suffix = suffix.casefold()
        starts = segment_starts(suffix)
        one, two = self._folded_tails if folded else self._tails
        tail = suffix[starts[-2] :] if len(starts) > 1 else suffix
        ids = (two if len(starts) > 1 else one).get(tail, [])
        nodes = self.isg.nodes
        found = []
        for node_id in ids:
            qualname = nodes[node_id].qualname
            if folded:
                qualname = qualname.casefold()
            if len(qualname) > len(suffix) and qualname.endswith(suffix):
                head = qualname[: -len(suffix)]
                if head.endswith((".", "::")) and _starts_segment(qualname, len(head)):
                    found.append(node_id)
        return found

    @cached_property
    def names(self) -> NameTable:
        return NameTable(self.isg.names())

    @cached_property
    def qualnames(self) -> NameTable:
        return NameTable(n.qualname for n in self.isg.nodes.values())


def _fold(pairs: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """Casefolded key -> ids (each pair's key is distinct per id, so no id repeats under a key)."""
    index: dict[str, list[str]] = {}
    for key, node_id in pairs:
        index.setdefault(key.casefold(), []).append(node_id)
    return index
