"""HOSTILE: a plugin that takes its worker process down, or never answers."""

from __future__ import annotations

import os

from pt_tui.core.isg import ISG
from pt_tui.core.query.result import Output
from pt_tui.sandbox.api import QueryRequest


class Crash:
    name = "worker-crash"
    version = "1.0.0"

    def execute_query(self, query: QueryRequest, isg: ISG) -> Output:
        if query.verb == "crash-worker":
            os._exit(3)
        if query.verb == "hang-worker":
            while True:
                pass
        return Output(text=f"{isg.node_count} entities", data={"pid": os.getpid(), "nodes": isg.node_count})
