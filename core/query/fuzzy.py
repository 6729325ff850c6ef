"""Name matching for ``search`` and "did you mean": substring, glob, subsequence and typo scoring.

Patterns become regexes run over a :class:`NameTable` blob (one name per line, each between two
newlines), so a scan of every name in the graph happens in C. Smart case: a pattern without
capitals runs, lower-cased, on the lower-cased blob.
"""

from __future__ import annotations

import difflib
import heapq
import re

from pt_tui.core.query.indexes import NameTable, QueryIndex, Search

GLOB_CHARS = frozenset("*?[")
#: Subsequence matches considered; beyond this the closest in length are kept.
MAX_SCORED = 400
#: Typo candidates differ in length by at most this much; at most MAX_POOL of them are considered.
TYPO_SPREAD = 2
MAX_POOL = 300
#: Candidates scored exactly, the best by difflib's cheap upper bound (quick_ratio).
MAX_EXACT = 60


def is_glob(pattern: str) -> bool:
    return any(ch in GLOB_CHARS for ch in pattern)


def ignores_case(pattern: str) -> bool:
    """Smart case: a pattern without upper-case letters matches case-insensitively."""
    return pattern == pattern.lower()


def substring_search(text: str) -> Search:
    return _search(re.escape(text), text)


def glob_search(pattern: str, *, at_segment: bool = False) -> Search:
    """Whole keys matching the glob ``pattern`` (with ``at_segment``: or the tail of a key from a
    ``.`` / ``::`` separator on, for qualnames).

    ``*`` any run, ``?`` one character, ``[abc]`` / ``[a-z]`` / ``[!abc]`` classes; an unclosed
    ``[`` is literal. Raises ``ValueError`` for a class the regex engine rejects (``[z-a]``).
    """
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        i += 1
        if ch == "*":
            out.append("[^\n]*")
        elif ch == "?":
            out.append("[^\n]")
        elif ch == "[":
            close = pattern.find("]", i + 1 if i < n and pattern[i] in "!^]" else i)
            if close < 0:
                out.append(re.escape(ch))
                continue
            body = pattern[i:close]
            i = close + 1
            negate = body[:1] in ("!", "^")
            if negate:
                body = body[1:]
            inner = "".join(c if c == "-" else re.escape(c) for c in body)
            out.append(f"[^\n{inner}]" if negate else f"(?!\n)[{inner}]")
        else:
            out.append(re.escape(ch))
    try:
        return _search(("(?:\n|\\.|::)" if at_segment else "\n") + "".join(out) + "(?=\n)", pattern)
    except re.error as exc:
        raise ValueError(f"bad glob pattern {pattern!r}: {exc}") from None


def subsequence_search(text: str) -> Search:
    """Keys containing the characters of ``text`` in order. Each gap is possessive and stops at the
    next wanted character (its first occurrence is always a right choice), so no backtracking."""
    gaps = "".join(f"[^\n{re.escape(ch)}]*+{re.escape(ch)}" for ch in text[1:])
    return _search(re.escape(text[:1]) + gaps, text)


def similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a.casefold(), b.casefold()).ratio()


def fuzzy(table: NameTable, text: str, *, cutoff: float = 0.6) -> list[tuple[float, str]]:
    """Keys of ``table`` close to ``text``, best first, with their similarity (difflib ratio):
    typos (keys with the same initial and the nearest lengths, at least ``cutoff``) and keys that
    contain ``text`` as a subsequence (at least half of it)."""
    if not text or "\n" in text:
        return []
    folded = text.casefold()
    shapes = table.by_shape
    pool: list[str] = []
    for spread in range(TYPO_SPREAD + 1):  # nearest lengths first, until the pool is full
        for size in {len(text) - spread, len(text) + spread}:
            pool += shapes.get((folded[0], size), ())
        if len(pool) >= MAX_POOL:
            del pool[MAX_POOL:]
            break
    subsequences = table.matching(subsequence_search(text), MAX_SCORED * 5) if len(text) <= 64 else []
    subsequences.sort(key=lambda k: abs(len(k) - len(text)))
    wanted = dict.fromkeys(pool, cutoff) | dict.fromkeys(subsequences[:MAX_SCORED], cutoff / 2)
    matcher = difflib.SequenceMatcher()
    matcher.set_seq2(folded)
    bounds: list[tuple[float, str]] = []  # quick_ratio bounds ratio from above: rank by it first
    for key, least in wanted.items():
        matcher.set_seq1(key.casefold())
        if matcher.real_quick_ratio() >= least:
            bound = matcher.quick_ratio()
            if bound >= least:
                bounds.append((bound, key))
    scored: list[tuple[float, str]] = []
    for _, key in heapq.nlargest(MAX_EXACT, bounds):
        matcher.set_seq1(key.casefold())
        score = matcher.ratio()
        if score >= wanted[key]:
            scored.append((score, key))
    return sorted(scored, key=_best_first)


def close_names(index: QueryIndex, text: str, n: int = 5) -> list[str]:
    """Names in the graph close to ``text``, best first."""
    return [key for _, key in fuzzy(index.names, text)[:n]]


def _best_first(item: tuple[float, str]) -> tuple[float, int, str]:
    return (-item[0], len(item[1]), item[1])


def _search(regex: str, pattern: str) -> Search:
    """Compile ``regex`` (built from ``pattern``) for the blob smart case picks: a pattern equal to
    its lower case runs on the lower-cased keys."""
    return Search(re.compile(regex), folded=ignores_case(pattern))
