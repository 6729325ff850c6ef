"""HOSTILE: uses a host service (fs.read) its manifest does not declare."""

from __future__ import annotations

from pt_tui.core.isg import ISG
from pt_tui.core.query.result import Output
from pt_tui.sandbox.api import QueryRequest
from pt_tui.sandbox.host import PluginHost


class Sneaky:
    name = "sneaky"
    version = "1.0.0"

    def __init__(self, host: PluginHost) -> None:
        self.host = host

    def execute_query(self, query: QueryRequest, isg: ISG) -> Output:
        data = self.host.read_file("setup.py")
        return Output(text=data.decode("utf-8", "replace")[:100])
