"""hotspots: entities ranked by fan-in, fan-out or both, over CALLS edges.

The whole-graph ranking is computed once per graph generation (and kept up to date by dropping the
cache in ``on_graph_update``); a pipeline's entities are ranked on the spot.
"""

from __future__ import annotations

from pt_tui.core.diff import GraphDiff
from pt_tui.core.isg import ISG
from pt_tui.core.model import EdgeKind, Node
from pt_tui.core.query.result import Output, ResultRow
from pt_tui.sandbox.api import QueryRequest

Ranked = list[tuple[int, int, Node]]
#: Bumped whenever the ranking changes: a hot-swap hands cached rankings over only between equals.
ALGORITHM = 1


def fan(isg: ISG, node: Node) -> tuple[int, int]:
    fan_in = sum(1 for e in isg.in_edges(node.id) if e.kind is EdgeKind.CALLS)
    fan_out = sum(1 for e in isg.out_edges(node.id) if e.kind is EdgeKind.CALLS)
    return fan_in, fan_out


def score(by: str, fan_in: int, fan_out: int) -> int:
    return fan_in if by == "in" else fan_out if by == "out" else fan_in + fan_out


class Hotspots:
    name = "hotspots"
    version = "1.0.0"

    def __init__(self) -> None:
        self._ranked: dict[tuple[int, int, int, str], Ranked] = {}

    def _rank(self, isg: ISG, nodes: list[Node], by: str) -> Ranked:
        ranked = []
        for node in nodes:
            fan_in, fan_out = fan(isg, node)
            if fan_in or fan_out:
                ranked.append((fan_in, fan_out, node))
        ranked.sort(key=lambda r: (-score(by, r[0], r[1]), r[2].qualname))
        return ranked

    def prepare(self, isg: ISG) -> None:
        """Called by the host after loading and after a worker's graph sync: rank the graph early."""
        self.execute_query(QueryRequest(verb="hotspots", args={"by": "total"}), isg)

    def execute_query(self, query: QueryRequest, isg: ISG) -> Output:
        by = str(query.args.get("by") or "total")
        if by not in ("in", "out", "total"):
            return Output(notes=[f"hotspots: --by must be in, out or total, not {by!r}"])
        top = query.args.get("top")
        count = min(top if isinstance(top, int) and top > 0 else 20, query.limit)
        if query.inputs is not None:
            ranked = self._rank(isg, [n for n in map(isg.nodes.get, query.inputs) if n is not None], by)
        else:
            key = (id(isg), isg.generation, isg.node_count, by)
            ranked = self._ranked.get(key) or []
            if key not in self._ranked:
                ranked = self._rank(isg, list(isg.nodes.values()), by)
                self._ranked = {k: v for k, v in self._ranked.items() if k[:3] == key[:3]}
                self._ranked[key] = ranked
        rows = [
            ResultRow(node=node, via=f"fan-{by}", detail=f"in {fan_in}, out {fan_out}")
            for fan_in, fan_out, node in ranked[:count]
        ]
        return Output(rows=rows)

    def on_graph_update(self, diff: GraphDiff) -> None:
        self._ranked.clear()

    def handover_state(self) -> object:
        """Hot-swap: the rankings (keyed by graph generation) and the algorithm that made them."""
        return (ALGORITHM, self._ranked)

    def accept_state(self, state: object) -> None:
        if (
            isinstance(state, tuple)
            and len(state) == 2
            and state[0] == ALGORITHM
            and isinstance(state[1], dict)
        ):
            self._ranked = dict(state[1])
