"""largest: entities ranked by line span (a cheap size / complexity proxy), with member counts."""

from __future__ import annotations

from pt_tui.core.isg import ISG
from pt_tui.core.model import EdgeKind, Node
from pt_tui.core.query.result import Output, ResultRow
from pt_tui.sandbox.api import QueryRequest


def span(node: Node) -> int:
    return node.end_line - node.line + 1


class Largest:
    name = "largest"
    version = "1.0.0"

    def __init__(self) -> None:
        self._sorted: tuple[int, int, int, list[Node]] | None = None

    def _by_size(self, isg: ISG) -> list[Node]:
        key = (id(isg), isg.generation, isg.node_count)
        if self._sorted is None or self._sorted[:3] != key:
            self._sorted = (*key, sorted(isg.nodes.values(), key=lambda n: (-span(n), n.qualname)))
        return self._sorted[3]

    def prepare(self, isg: ISG) -> None:
        """Called by the host after loading and after a worker's graph sync: sort the graph early."""
        self._by_size(isg)

    def execute_query(self, query: QueryRequest, isg: ISG) -> Output:
        kinds = query.args.get("kind") or ()
        top = query.args.get("top")
        count = min(top if isinstance(top, int) and top > 0 else 20, query.limit)
        if query.inputs is not None:
            nodes = sorted(
                (n for n in map(isg.nodes.get, query.inputs) if n is not None),
                key=lambda n: (-span(n), n.qualname),
            )
        else:
            nodes = self._by_size(isg)
        rows: list[ResultRow] = []
        for node in nodes:
            if kinds and node.kind not in kinds:
                continue
            members = sum(1 for e in isg.out_edges(node.id) if e.kind is EdgeKind.CONTAINS)
            rows.append(ResultRow(node=node, via="size", detail=f"{span(node)} lines, {members} members"))
            if len(rows) >= count:
                break
        return Output(rows=rows)
