"""dead-code: entities with no incoming CALLS, IMPORTS, USES or IMPLEMENTS edge.

Modules, dunder methods, ``main``, tests, ``impl`` blocks and lambdas are never reported: something
outside the graph (the interpreter, a test runner, a trait dispatch) uses them. Public entities are
reported with ``public: may be API`` in the detail; ``--scope private`` keeps only private ones.
The whole-graph answer is computed once per graph generation and cached.
"""

from __future__ import annotations

from pt_tui.core.isg import ISG
from pt_tui.core.model import EdgeKind, Node, NodeKind, Visibility
from pt_tui.core.query.result import Output, ResultRow
from pt_tui.sandbox.api import QueryRequest, performance_contract

SKIP_KINDS = frozenset({NodeKind.MODULE, NodeKind.IMPL, NodeKind.LAMBDA})
ENTRY_NAMES = frozenset({"main", "__main__", "setup", "teardown", "setUp", "tearDown"})


def is_entry(node: Node) -> bool:
    name = node.name
    return (
        node.kind in SKIP_KINDS
        or name in ENTRY_NAMES
        or (name.startswith("__") and name.endswith("__"))
        or name.startswith("test")
        or node.file.rsplit("/", 1)[-1].startswith("test_")
    )


def is_private(node: Node) -> bool:
    if node.language == "rust":
        return node.visibility is Visibility.PRIVATE
    return node.name.startswith("_")


def is_dead(isg: ISG, node: Node) -> bool:
    return not is_entry(node) and all(e.kind is EdgeKind.CONTAINS for e in isg.in_edges(node.id))


@performance_contract(max_query_time_us=500, max_memory_mb=2.0)
class DeadCode:
    name = "dead-code"
    version = "1.0.0"

    def __init__(self) -> None:
        self._cache: tuple[int, int, int, list[Node]] | None = None

    def _all_dead(self, isg: ISG) -> list[Node]:
        key = (id(isg), isg.generation, isg.node_count)
        if self._cache is None or self._cache[:3] != key:
            dead = [n for n in isg.nodes.values() if is_dead(isg, n)]
            dead.sort(key=lambda n: (n.file, n.line))
            self._cache = (*key, dead)
        return self._cache[3]

    def execute_query(self, query: QueryRequest, isg: ISG) -> Output:
        kinds = query.args.get("kind")
        private_only = query.args.get("scope") == "private"
        if query.inputs is not None:
            nodes = [n for n in map(isg.nodes.get, query.inputs) if n is not None]
            candidates = [n for n in nodes if is_dead(isg, n)]
        else:
            candidates = self._all_dead(isg)
        rows: list[ResultRow] = []
        total = 0
        for node in candidates:
            if kinds and node.kind not in kinds:
                continue
            private = is_private(node)
            if private_only and not private:
                continue
            total += 1
            if len(rows) < query.limit:
                rows.append(ResultRow(node=node, via="dead", detail="" if private else "public: may be API"))
        notes = [f"{total} dead entities, {len(rows)} shown"] if total > len(rows) else []
        return Output(rows=rows, notes=notes, data={"dead": total})

    def handover_state(self) -> object:
        return self._cache

    def accept_state(self, state: object) -> None:
        if isinstance(state, tuple) and len(state) == 4:
            self._cache = state
