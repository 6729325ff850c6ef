"""What a query returns: rows of entities plus optional text and data (msgspec Structs)."""

from __future__ import annotations

from typing import Any

import msgspec

from pt_tui.core.model import Node


class ResultRow(msgspec.Struct, kw_only=True):
    node: Node
    distance: int | None = None  # hops from the query's entity, when the verb walks the graph
    via: str = ""  # the edge kind or relation that led here (CALLS, IMPLEMENTS, glob, ...)
    detail: str = ""  # e.g. the call sites "a.py:12, a.py:30", or "via pkg.mod.f"
    group: int | None = None  # cycle number, for ``cycles``


class QueryResult(msgspec.Struct, kw_only=True):
    """A query's answer. Rows may be shared with cached answers (``cycles``): treat them as read-only."""

    query: str
    verb: str  # the verb of the last stage
    rows: list[ResultRow]
    elapsed_us: float  # parse + execution of the whole pipeline, in microseconds
    text: str = ""  # rendered text (show, context, stats)
    data: dict[str, Any] = {}  # structured data (stats counts, context as json)
    notes: list[str] = []  # truncation, ambiguity and other warnings

    @property
    def nodes(self) -> list[Node]:
        return [row.node for row in self.rows]


class Output(msgspec.Struct, kw_only=True):
    """What a verb's handler returns; the runner turns the last stage's output into a QueryResult."""

    rows: list[ResultRow] = []
    text: str = ""
    data: dict[str, Any] = {}
    notes: list[str] = []
