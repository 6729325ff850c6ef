"""HOSTILE: malformed results: a plain dict, a row with a made-up entity, or far too many rows."""

from __future__ import annotations

from typing import Any

from pt_tui.core.isg import ISG
from pt_tui.core.model import Node, NodeKind
from pt_tui.core.query.result import Output, ResultRow
from pt_tui.sandbox.api import QueryRequest

FAKE = Node(
    id="ffffffffffffffff",
    kind=NodeKind.FUNCTION,
    name="ghost",
    qualname="ghost",
    language="python",
    file="nowhere.py",
    line=1,
    end_line=1,
)


class Malformed:
    name = "malformed"
    version = "1.0.0"

    def execute_query(self, query: QueryRequest, isg: ISG) -> Any:
        mode = query.args.get("mode")
        if mode == "fake-node":
            return Output(rows=[ResultRow(node=FAKE)])
        if mode == "huge":
            some = next(iter(isg.nodes.values()), FAKE)
            return Output(rows=[ResultRow(node=some)] * (query.limit * 10))
        return {"rows": "not a list of rows"}
