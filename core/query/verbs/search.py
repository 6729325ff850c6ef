"""``search PATTERN``: substring, glob (``*?[``) or, failing both, fuzzy matches on names.

A pattern with a separator (``.`` or ``::``) is matched against qualified names (a glob then
matches a whole qualname or its tail from a separator on: ``models.*.__init__``). Smart case: a
pattern without capitals ignores case. In a later pipeline stage it filters the previous results.
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Mapping, Sequence
from itertools import compress, repeat
from operator import and_, attrgetter, gt

from pt_tui.core.model import Node
from pt_tui.core.query.errors import QueryError
from pt_tui.core.query.fuzzy import fuzzy, glob_search, ignores_case, is_glob, substring_search
from pt_tui.core.query.indexes import NameTable, has_separator
from pt_tui.core.query.registry import Call, Option, Param, VerbSpec
from pt_tui.core.query.result import Output, ResultRow
from pt_tui.core.query.types import Integer, Kinds, Text
from pt_tui.core.query.verbs.rows import location

#: Names with more entities than this keep their entities' order (by qualname) in the index memo.
_MEMO_ORDER = 64
#: At most this many matching names (or --limit, if more) are ranked; broader patterns say so.
MAX_SCAN = 1000


def search(call: Call) -> Output:
    pattern = call.text("pattern")
    kinds = frozenset(call.words("kind"))
    limit = call.integer("limit")
    qualified = has_separator(pattern)
    table, ids_by_key = _pool(call, qualified)
    scan = max(MAX_SCAN, limit)
    try:
        found, how = _match(table, pattern, qualified, scan)
    except ValueError as exc:
        raise QueryError(str(exc), call.columns.get("pattern", 1)) from None
    notes: list[str] = []
    truncated = len(found) >= scan
    if truncated:  # the scan stopped early: make sure exact matches are in
        found = sorted({*_rows_of(table, _exact(call, pattern, qualified, ids_by_key)), *found})
    if not found:
        found, how = _rows_of(table, [k for _, k in fuzzy(table, _literal(pattern))]), "fuzzy"
        if found:
            kind = "glob" if is_glob(pattern) else "substring"
            notes.append(f"no {kind} match for {pattern!r}: fuzzy matches")
    keys = list(map(table.keys.__getitem__, found))
    counts = _counts(call, table, found, keys, ids_by_key, kinds, qualified)
    total = sum(counts)
    rows: list[ResultRow] = []
    for key in _best(table, pattern, found, keys, counts, how, limit):
        for node in _ordered(call, key, ids_by_key.get(key, ()), qualified):
            if not kinds or node.kind in kinds:
                rows.append(ResultRow(node=node, via=how, detail=location(node)))
                if len(rows) == limit:
                    break
        if len(rows) == limit:
            break
    if truncated:
        notes.append(
            f"more than {scan} names match {pattern!r}: ranked the first {scan} (alphabetically) only"
        )
    elif total > limit:
        notes.append(f"showing {limit} of {total} matches (raise --limit to see more)")
    return Output(rows=rows, notes=notes, data={"matches": total, "complete": not truncated})


def _rows_of(table: NameTable, keys: list[str]) -> list[int]:
    """Positions of ``keys`` (all in the table) in ``table.keys``."""
    return [bisect.bisect_left(table.keys, key) for key in keys]


def _counts(
    call: Call,
    table: NameTable,
    found: list[int],
    keys: list[str],
    ids_by_key: Mapping[str, Sequence[str]],
    kinds: frozenset[str],
    qualified: bool,
) -> list[int]:
    """How many entities (of the wanted kinds) each matched key names."""
    if kinds:
        nodes = call.isg.nodes
        return [sum(1 for i in ids_by_key.get(key, ()) if nodes[i].kind in kinds) for key in keys]
    if call.inputs is not None:
        return [len(ids_by_key.get(key, ())) for key in keys]

    def per_row() -> list[int]:
        return [len(ids_by_key.get(key, ())) for key in table.keys]

    return list(map(call.index.memo(("search-counts", qualified), per_row).__getitem__, found))


def _ordered(call: Call, key: str, ids: Sequence[str], qualified: bool) -> list[Node]:
    """The entities of one matched name, by qualname; kept per graph generation when many."""
    nodes = call.isg.nodes

    def order() -> list[Node]:
        return sorted((nodes[i] for i in ids), key=lambda n: (n.qualname, n.file, n.line))

    if len(ids) <= _MEMO_ORDER or call.inputs is not None:
        return order()
    return call.index.memo(("search-order", qualified, key), order)


def _pool(call: Call, qualified: bool) -> tuple[NameTable, Mapping[str, Sequence[str]]]:
    """The names to match and their node ids: the whole graph's, or the input's."""
    if call.inputs is None:
        if qualified:
            return call.index.qualnames, call.isg.qualname_index()
        return call.index.names, call.isg.name_index()
    grouped: dict[str, list[str]] = {}
    for node in call.inputs:
        grouped.setdefault(node.qualname if qualified else node.name, []).append(node.id)
    return NameTable(grouped), grouped


def _exact(call: Call, pattern: str, qualified: bool, ids_by_key: Mapping[str, Sequence[str]]) -> list[str]:
    """Keys equal to the pattern (under smart case)."""
    if is_glob(pattern):
        return []
    if not ignores_case(pattern):
        return [pattern] if pattern in ids_by_key else []
    folded = call.index.folded_qualnames if qualified else call.index.folded_names
    ids = folded.get(pattern.casefold(), ())
    keys = set(map(_QUALNAME if qualified else _NAME, map(call.isg.nodes.__getitem__, ids)))
    return sorted(k for k in keys if k in ids_by_key)


_NAME, _QUALNAME = attrgetter("name"), attrgetter("qualname")


def _literal(pattern: str) -> str:
    """The pattern without glob characters, for the fuzzy fallback."""
    return "".join(ch for ch in pattern if ch not in "*?[]") if is_glob(pattern) else pattern


def _match(table: NameTable, pattern: str, qualified: bool, limit: int) -> tuple[list[int], str]:
    """Positions in ``table.keys`` of the first ``limit`` matching keys, and how they matched."""
    if not pattern or "\n" in pattern:
        return [], "substring"
    if is_glob(pattern):
        return table.rows(glob_search(pattern, at_segment=qualified), limit), "glob"
    return table.rows(substring_search(pattern), limit), "substring"


def _best(
    table: NameTable, pattern: str, found: list[int], keys: list[str], counts: list[int], how: str, limit: int
) -> list[str]:
    """The ``limit`` best keys naming at least one entity: exact, then prefix, then other substring
    matches, shorter names first, then alphabetically. Globs rank by length; fuzzy keys keep the
    scorer's order. ``keys`` come sorted, except fuzzy ones: a stable sort by length keeps that."""
    named = list(map(bool, counts))
    if how == "fuzzy":
        return list(compress(keys, named))[:limit]
    if how == "glob":
        return sorted(compress(keys, named), key=len)[:limit]
    # as the blob matched them
    folded = list(map(table.folded_keys.__getitem__, found)) if ignores_case(pattern) else keys
    prefixed = list(map(str.startswith, folded, repeat(pattern)))
    front = [
        (0 if folded[i] == pattern else 1, len(keys[i]), keys[i])
        for i in compress(range(len(keys)), map(and_, named, prefixed))
    ]
    best = [key for *_, key in heapq.nsmallest(limit, front)]
    if len(best) < limit:
        best += sorted(compress(keys, map(gt, named, prefixed)), key=len)[: limit - len(best)]
    return best


SPECS = (
    VerbSpec(
        "search",
        search,
        (
            Param(
                "pattern", Text(), "substring, glob (* ? [..]) or fuzzy name; qualified when it has . or ::"
            ),
        ),
        (
            Option("kind", Kinds(), None, "only these kinds (comma-separated: function,method)"),
            Option("limit", Integer(minimum=1), 50, "at most this many results (default 50)"),
        ),
        "find entities by name",
        takes_input=True,
    ),
)
