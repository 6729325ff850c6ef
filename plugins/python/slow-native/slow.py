"""HOSTILE: a native Python plugin that overruns its budget (Python cannot be pre-empted)."""

from __future__ import annotations

import time

from pt_tui.core.isg import ISG
from pt_tui.core.query.result import Output
from pt_tui.sandbox.api import QueryRequest


class Slow:
    name = "slow-native"
    version = "1.0.0"

    def execute_query(self, query: QueryRequest, isg: ISG) -> Output:
        ms = query.args.get("ms")
        time.sleep((ms if isinstance(ms, int) else 5) / 1000)
        return Output(text="finally done")
