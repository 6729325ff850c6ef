"""dead-code: entities with no incoming CALLS, IMPORTS, USES or IMPLEMENTS edge.

Modules, dunder methods, ``main``, tests, ``impl`` blocks and lambdas are never reported: something
outside the graph (the interpreter, a test runner, a trait dispatch) uses them. Public entities are
reported with ``public: may be API`` in the detail; ``--scope private`` keeps only private ones.
The whole-graph answer is computed once per graph generation and cached (``prepare`` fills it early).
"""

from __future__ import annotations

from pt_tui.core.isg import ISG
from pt_tui.core.model import EdgeKind, Node, NodeKind, Visibility
from pt_tui.core.query.result import Output, ResultRow
from pt_tui.sandbox.api import QueryRequest, performance_contract

SKIP_KINDS = frozenset({NodeKind.MODULE, NodeKind.IMPL, NodeKind.LAMBDA})
#: Bumped whenever what counts as dead changes: a hot-swap hands the cache over only between equals.
ALGORITHM = 1
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
        self._graph: tuple[int, int, int] | None = None
        self._cache: dict[tuple[object, bool], list[Node]] = {}

    def _dead(self, isg: ISG, kinds: object, private_only: bool) -> list[Node]:
        """Every dead entity of the graph for one filter, cached per graph generation."""
        graph = (id(isg), isg.generation, isg.node_count)
        if graph != self._graph:
            self._graph, self._cache = graph, {}
        key = (kinds, private_only)
        found = self._cache.get(key)
        if found is None:
            every = self._cache.get((None, False))
            if every is None:
                every = sorted(
                    (n for n in isg.nodes.values() if is_dead(isg, n)), key=lambda n: (n.file, n.line)
                )
                self._cache[(None, False)] = every
            found = [n for n in every if _keep(n, kinds, private_only)]
            self._cache[key] = found
        return found

    def prepare(self, isg: ISG) -> None:
        """Called by the host after loading and after a worker's graph sync: fill the cache early."""
        self._dead(isg, None, False)

    def execute_query(self, query: QueryRequest, isg: ISG) -> Output:
        kinds = query.args.get("kind") or None
        private_only = query.args.get("scope") == "private"
        if query.inputs is not None:
            nodes = (n for n in map(isg.nodes.get, query.inputs) if n is not None)
            dead = [n for n in nodes if is_dead(isg, n) and _keep(n, kinds, private_only)]
        else:
            dead = self._dead(isg, kinds, private_only)
        rows = [
            ResultRow(node=n, via="dead", detail="" if is_private(n) else "public: may be API")
            for n in dead[: query.limit]
        ]
        notes = [f"{len(dead)} dead entities, {len(rows)} shown"] if len(dead) > len(rows) else []
        return Output(rows=rows, notes=notes, data={"dead": len(dead)})

    def handover_state(self) -> object:
        return (ALGORITHM, self._graph, self._cache)

    def accept_state(self, state: object) -> None:
        if (
            isinstance(state, tuple)
            and len(state) == 3
            and state[0] == ALGORITHM
            and isinstance(state[2], dict)
        ):
            self._graph, self._cache = state[1], state[2]


def _keep(node: Node, kinds: object, private_only: bool) -> bool:
    if kinds and isinstance(kinds, tuple) and node.kind not in kinds:
        return False
    return not private_only or is_private(node)
