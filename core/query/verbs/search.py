"""``search PATTERN``: substring, glob (``*?[``) or, failing both, fuzzy matches on names.

A pattern with a separator (``.`` or ``::``) is matched against qualified names (a glob then
matches a whole qualname or its tail from a separator on: ``models.*.__init__``). Smart case: a
pattern without capitals ignores case. In a later pipeline stage it filters the previous results.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence

from pt_tui.core.model import Node
from pt_tui.core.query.errors import QueryError
from pt_tui.core.query.fuzzy import fuzzy, glob_search, ignores_case, is_glob, substring_search
from pt_tui.core.query.indexes import NameTable, has_separator
from pt_tui.core.query.registry import Call, Option, Param, VerbSpec
from pt_tui.core.query.result import Output, ResultRow
from pt_tui.core.query.types import Integer, Kinds, Text
from pt_tui.core.query.verbs.rows import location

Ranked = tuple[tuple[float, int, str], str]
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
        keys, how = _match(table, pattern, qualified, scan)
    except ValueError as exc:
        raise QueryError(str(exc), call.columns.get("pattern", 1)) from None
    notes: list[str] = []
    truncated = len(keys) >= scan
    if truncated:  # the scan stopped early: make sure exact matches are in
        keys = list(dict.fromkeys([*_exact(call, pattern, qualified, ids_by_key), *keys]))
    if not keys:
        keys, how = [k for _, k in fuzzy(table, _literal(pattern))], "fuzzy"
        if keys:
            kind = "glob" if is_glob(pattern) else "substring"
            notes.append(f"no {kind} match for {pattern!r}: fuzzy matches")
    nodes = call.isg.nodes
    ranked: list[Ranked] = []
    total = 0
    for order, key in enumerate(keys):
        ids = ids_by_key.get(key, ())
        count = sum(1 for i in ids if nodes[i].kind in kinds) if kinds else len(ids)
        if count:
            ranked.append((_rank(pattern, key, how, order), key))
            total += count
    rows: list[ResultRow] = []
    for _, key in heapq.nsmallest(limit, ranked):
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
    nodes = call.isg.nodes
    keys = {nodes[i].qualname if qualified else nodes[i].name for i in folded.get(pattern.casefold(), ())}
    return sorted(k for k in keys if k in ids_by_key)


def _literal(pattern: str) -> str:
    """The pattern without glob characters, for the fuzzy fallback."""
    return "".join(ch for ch in pattern if ch not in "*?[]") if is_glob(pattern) else pattern


def _match(table: NameTable, pattern: str, qualified: bool, limit: int) -> tuple[list[str], str]:
    if not pattern or "\n" in pattern:
        return [], "substring"
    if is_glob(pattern):
        return table.matching(glob_search(pattern, at_segment=qualified), limit), "glob"
    return table.matching(substring_search(pattern), limit), "substring"


def _rank(pattern: str, key: str, how: str, order: int) -> tuple[float, int, str]:
    """Sort key: exact, then prefix, then other substring matches; shorter names first. Fuzzy
    keys keep the scorer's order."""
    if how == "fuzzy":
        return (order, 0, key)
    if how == "glob":
        return (0, len(key), key)
    folded = key.lower() if ignores_case(pattern) else key  # as the blob matched it
    tier = 0 if folded == pattern else 1 if folded.startswith(pattern) else 2
    return (tier, len(key), key)


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
