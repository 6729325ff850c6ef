"""``search`` against a key-by-key reference on a real graph (the standard library's asyncio).

The verb finds matching names with one regex scan over a blob of all names, maps matches to keys
in C and ranks with C-level filters (core/query/indexes.py, core/query/verbs/search.py); the
reference below tests every key on its own and ranks with plain tuples. Both must give the same
rows, notes and counts, also when the scan is cut short (``MAX_SCAN``, lowered here so that the
small graph exercises it).
"""

from __future__ import annotations

import heapq
import random
import re
import sysconfig
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from pt_tui.core.engine import Engine
from pt_tui.core.isg import ISG
from pt_tui.core.model import Node
from pt_tui.core.query import run_query
from pt_tui.core.query.fuzzy import fuzzy, glob_search, ignores_case, is_glob, substring_search
from pt_tui.core.query.indexes import NameTable, Search, has_separator
from pt_tui.core.query.verbs import search as search_verb

STDLIB = Path(sysconfig.get_paths()["stdlib"])


@pytest.fixture(scope="module")
def graph() -> ISG:
    engine = Engine(STDLIB / "asyncio", workers=1)
    engine.index()
    return engine.isg


def reference(
    isg: ISG,
    pattern: str,
    limit: int,
    kinds: frozenset[str],
    scan_limit: int,
    inputs: list[Node] | None = None,
) -> dict[str, Any]:
    qualified = has_separator(pattern)
    ids_by_key: Mapping[str, Sequence[str]]
    if inputs is None:
        ids_by_key = isg.qualname_index() if qualified else isg.name_index()
    else:
        grouped: dict[str, list[str]] = {}
        for node in inputs:
            grouped.setdefault(node.qualname if qualified else node.name, []).append(node.id)
        ids_by_key = grouped
    keys = sorted(k for k in ids_by_key if "\n" not in k)
    fold = ignores_case(pattern)
    if is_glob(pattern):
        regex = glob_search(pattern, at_segment=qualified).pattern
        matched = [k for k in keys if regex.search("\n" + (k.lower() if fold else k) + "\n")]
        how = "glob"
    else:
        matched = [k for k in keys if pattern in (k.lower() if fold else k)]
        how = "substring"
    scan = max(scan_limit, limit)
    matched = matched[:scan]
    truncated = len(matched) >= scan
    notes = []
    if truncated and how == "substring":
        exact = [k for k in keys if (k.casefold() == pattern.casefold() if fold else k == pattern)]
        matched = list(dict.fromkeys([*exact, *matched]))
    if not matched:
        literal = "".join(ch for ch in pattern if ch not in "*?[]") if is_glob(pattern) else pattern
        matched, how = [k for _, k in fuzzy(NameTable(ids_by_key), literal)], "fuzzy"
        if matched:
            notes.append(
                f"no {'glob' if is_glob(pattern) else 'substring'} match for {pattern!r}: fuzzy matches"
            )
    nodes = isg.nodes
    ranked = []
    total = 0
    for order, key in enumerate(matched):
        count = sum(1 for i in ids_by_key[key] if not kinds or nodes[i].kind in kinds)
        if not count:
            continue
        total += count
        if how == "fuzzy":
            ranked.append((order, 0, key))
        elif how == "glob":
            ranked.append((0, len(key), key))
        else:
            folded = key.lower() if fold else key
            ranked.append((0 if folded == pattern else 1 if folded.startswith(pattern) else 2, len(key), key))
    rows = []
    for *_, key in heapq.nsmallest(limit, ranked):
        entities = sorted((nodes[i] for i in ids_by_key[key]), key=lambda n: (n.qualname, n.file, n.line))
        rows += [(n.id, how) for n in entities if not kinds or n.kind in kinds]
    if truncated:
        notes.append(
            f"more than {scan} names match {pattern!r}: ranked the first {scan} (alphabetically) only"
        )
    elif total > limit:
        notes.append(f"showing {limit} of {total} matches (raise --limit to see more)")
    return {"rows": rows[:limit], "notes": notes, "data": {"matches": total, "complete": not truncated}}


def answer(isg: ISG, query: str) -> dict[str, Any]:
    result = run_query(isg, query)
    return {"rows": [(r.node.id, r.via) for r in result.rows], "notes": result.notes, "data": result.data}


def patterns(isg: ISG, count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    nodes = sorted(isg.nodes.values(), key=lambda n: n.id)
    out = []
    for node in rng.sample(nodes, count):
        name, qualname = node.name, node.qualname
        at = rng.randrange(len(name))
        out += [
            name[: rng.randint(1, 4)],  # prefixes: many matches
            name[at : at + rng.randint(2, 5)],  # inner substrings
            name[:3].upper(),  # capitals: case-sensitive
            name[:2] + "*",  # globs
            "*" + name[-3:],
            qualname[-rng.randint(4, 12) :],  # qualified, when it has a separator
        ]
    return [p for p in out if p.strip()] + ["zzqx", "Zzqx", "[a-c]*_*", "asyncio.*.run", "*.__init__"]


@pytest.mark.parametrize("scan_limit", [1000, 40])
def test_search_matches_a_key_by_key_reference(
    graph: ISG, scan_limit: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_verb, "MAX_SCAN", scan_limit)
    truncated = fuzzy_used = 0
    for pattern in patterns(graph, 30, seed=scan_limit):
        for limit, kinds in ((20, ""), (5, "function,method"), (60, "class")):
            query = f"search {pattern!r} --limit {limit}" + (f" --kind {kinds}" if kinds else "")
            expected = reference(graph, pattern, limit, frozenset(kinds.split(",")) - {""}, scan_limit)
            assert answer(graph, query) == expected, query
            truncated += not expected["data"]["complete"]
            fuzzy_used += any(via == "fuzzy" for _, via in expected["rows"])
    assert fuzzy_used  # the comparison covers the fuzzy fallback, and (scanning 40) cut-short scans
    assert truncated > 10 or scan_limit > 100


def test_search_in_a_pipeline_matches_the_reference(graph: ISG) -> None:
    """A later stage searches the previous stage's entities (a table built on the fly)."""
    inputs = list({r.node.id: r.node for r in run_query(graph, "search 'e' --limit 400").rows}.values())
    for pattern in ("run", "get", "_", "Fut", "s*", "zzqx"):
        got = answer(graph, f"search 'e' --limit 400 | search {pattern!r} --limit 15")
        expected = reference(graph, pattern, 15, frozenset(), 1000, inputs)
        assert (got["rows"], got["data"]) == (expected["rows"], expected["data"])
        assert got["notes"][1:] == expected["notes"]  # after the first stage's own note


def test_rows_are_the_keys_a_naive_scan_finds() -> None:
    keys = ["alpha", "beta", "alphabet", "gamma", "Alpha", "lambda", "tabula", "a\nb"]
    table = NameTable(keys)
    for text in ("a", "al", "ab", "ta", "mm", "Al", "x", "la"):
        search = substring_search(text)
        naive = [i for i, k in enumerate(table.keys) if text in (k.lower() if search.folded else k)]
        assert table.rows(search) == naive
        for limit in (1, 2, 3, 100):
            assert table.rows(search, limit) == naive[:limit]
        assert table.matching(search) == [table.keys[i] for i in naive]
    assert "a\nb" not in table.keys


def test_rows_in_chunks_do_not_repeat_a_key() -> None:
    """A key matching many times straddles the chunks the scan is cut into."""
    table = NameTable(["aaaa", "abab", "b", "baaa"])
    assert table.rows(substring_search("a"), 2) == [0, 1]
    assert table.rows(substring_search("a"), 3) == [0, 1, 3]
    assert table.rows(re_search("a")) == [0, 1, 3]


def test_an_empty_table_matches_nothing() -> None:
    table = NameTable([])
    assert table.rows(glob_search("*")) == [] and table.matching(substring_search("a")) == []


def test_folded_keys_follow_the_keys() -> None:
    table = NameTable(["Zeta", "alpha", "BETA"])
    assert table.folded_keys == [k.lower() for k in table.keys]


def re_search(text: str) -> Search:
    return Search(re.compile(re.escape(text)), folded=False)
