"""HOSTILE: raises an exception from every query."""

from __future__ import annotations

from pt_tui.core.isg import ISG
from pt_tui.core.query.result import Output
from pt_tui.sandbox.api import QueryRequest


class Raising:
    name = "raising"
    version = "1.0.0"

    def execute_query(self, query: QueryRequest, isg: ISG) -> Output:
        raise RuntimeError("the plugin blew up on purpose")
