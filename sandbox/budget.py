"""Budgets: checked against the tier's ceiling, then measured on a calibration graph.

Ceilings (:mod:`pt_tui.sandbox.ceilings`) keep a whole query under 1 ms with the host's overhead.
Calibration runs each verb of a plugin :data:`RUNS` times (after :data:`WARMUP` untimed runs that let
a plugin fill its caches) on a synthetic graph of ~20k entities and refuses a plugin whose measured
p99 is over :data:`REJECT_FACTOR` times its declared budget (:class:`BudgetRejected`, with the numbers).
p99 is the 99th of 100 sorted times, each without the time the thread waited for a core (see
:func:`waited_ns`), so a busy machine does not decide.
A call that raises is not a budget matter: it is counted in ``errors`` (the query path turns it into a
``trap`` violation at run time), and a verb that never succeeds is not judged on time.

An accepted calibration is kept on disk (:func:`store_calibration`, ``<cache dir>/calibration/``),
keyed by (artifact sha256, budget, tier, runs, calibration graph version, host version), so a restart
or a hot-swap back to a known version does not measure again (:func:`stored_calibration`).
"""

from __future__ import annotations

import functools
import gc
import hashlib
import math
import os
import random
import sys
import threading
import time
from collections.abc import Callable, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import msgspec

from pt_tui.core import userdirs
from pt_tui.core.isg import ISG
from pt_tui.core.model import Edge, EdgeKind, Node, NodeKind, node_id
from pt_tui.sandbox.api import ContextPlugin, PerformanceBudget, QueryPlugin, QueryRequest, QueryType
from pt_tui.sandbox.ceilings import CEILINGS
from pt_tui.sandbox.errors import BudgetRejected

RUNS = 100
WARMUP = 3
REJECT_FACTOR = 3.0
CALIBRATION_MODULES = 1000  # x 20 entities each
#: Bump when :func:`calibration_graph` or :func:`calibration_requests` change (stored results expire).
CALIBRATION_GRAPH_VERSION = 1


def validate_budget(plugin: str, tier: str, budget: PerformanceBudget) -> PerformanceBudget:
    """``budget`` if it is within the tier's ceiling, else :class:`BudgetRejected` naming the field."""
    ceiling = CEILINGS.get(tier)
    if ceiling is None:
        raise BudgetRejected(f"{plugin}: unknown tier {tier!r}")
    checks = (
        ("max_query_time_us", budget.max_query_time_us, ceiling.max_query_time_us, "us"),
        ("max_memory_mb", budget.max_memory_mb, ceiling.max_memory_mb, "MB"),
        ("max_cpu_percent", budget.max_cpu_percent, ceiling.max_cpu_percent, "%"),
    )
    for field, value, limit, unit in checks:
        if not math.isfinite(value) or value <= 0:
            raise BudgetRejected(f"{plugin}: budget {field} must be positive, got {value}")
        if value > limit:
            raise BudgetRejected(
                f"{plugin}: budget {field} = {value:g} {unit} is over the {tier} ceiling of {limit:g}"
            )
    return budget


def tighten(budget: PerformanceBudget, override: PerformanceBudget | None) -> PerformanceBudget:
    """The tighter of a plugin's budget and the user's override, field by field."""
    if override is None:
        return budget
    return PerformanceBudget(
        max_query_time_us=min(budget.max_query_time_us, override.max_query_time_us),
        max_memory_mb=min(budget.max_memory_mb, override.max_memory_mb),
        max_cpu_percent=min(budget.max_cpu_percent, override.max_cpu_percent),
    )


class VerbCalibration(msgspec.Struct, frozen=True, kw_only=True):
    verb: str
    runs: int
    errors: int
    p50_us: float
    p99_us: float
    max_us: float


class Calibration(msgspec.Struct, frozen=True, kw_only=True):
    plugin: str
    budget_us: int
    graph_nodes: int
    verbs: tuple[VerbCalibration, ...]
    fuel_per_us: float | None = None  # a wasm plugin's own fuel burn rate, measured with its calls

    @property
    def worst_p99_us(self) -> float:
        return max((v.p99_us for v in self.verbs), default=0.0)


@functools.cache
def calibration_graph(modules: int = CALIBRATION_MODULES) -> ISG:
    """A deterministic synthetic graph: per module 10 functions and 3 classes of 2 methods + 1 more
    node, with CONTAINS, CALLS (3 per function), IMPORTS and IMPLEMENTS edges."""
    rng = random.Random(20261125)
    isg = ISG()
    functions: list[str] = []
    classes: list[str] = []
    edges: list[Edge] = []
    for m in range(modules):
        path = f"pkg{m // 100}/mod{m}.py"
        qual = f"pkg{m // 100}.mod{m}"
        mod = _node(NodeKind.MODULE, qual, path, 1, 400, "")
        nodes = [mod]
        for f in range(10):
            fn = _node(
                NodeKind.FUNCTION, f"{qual}.f{f}", path, 10 + f * 10, 18 + f * 10, mod.id, f"def f{f}(x)"
            )
            nodes.append(fn)
            functions.append(fn.id)
        for c in range(3):
            cls = _node(
                NodeKind.CLASS, f"{qual}.C{c}", path, 200 + c * 50, 240 + c * 50, mod.id, f"class C{c}"
            )
            nodes.append(cls)
            classes.append(cls.id)
            for k in range(2):
                line = 205 + c * 50 + k * 10
                meth = _node(
                    NodeKind.METHOD, f"{qual}.C{c}.m{k}", path, line, line + 8, cls.id, f"def m{k}(self)"
                )
                nodes.append(meth)
                functions.append(meth.id)
        nodes.append(_node(NodeKind.CONST, f"{qual}.LIMIT", path, 2, 2, mod.id, "LIMIT = 1"))
        isg.add_nodes(path, nodes)
        edges.extend(
            Edge(src=mod.id, dst=n.id, kind=EdgeKind.CONTAINS, file=path, line=n.line) for n in nodes[1:]
        )
        if m:
            target = node_id("python", NodeKind.MODULE, f"pkg{(m - 1) // 100}.mod{m - 1}")
            edges.append(Edge(src=mod.id, dst=target, kind=EdgeKind.IMPORTS, file=path, line=1))
    for src in functions:
        node = isg.nodes[src]
        for i in range(3):
            dst = functions[rng.randrange(len(functions))]
            edges.append(Edge(src=src, dst=dst, kind=EdgeKind.CALLS, file=node.file, line=node.line + 1 + i))
    for i, class_id in enumerate(classes[1:], 1):
        if i % 4 == 0:
            edges.append(Edge(src=class_id, dst=classes[i - 1], kind=EdgeKind.IMPLEMENTS, file="", line=0))
    isg.add_edges(edges)
    isg.generation = 1
    gc.collect()  # as the engine does after indexing: keep later collections from re-scanning the graph
    gc.freeze()
    return isg


def _node(kind: NodeKind, qual: str, path: str, line: int, end: int, parent: str, sig: str = "") -> Node:
    return Node(
        id=node_id("python", kind, qual),
        kind=kind,
        name=qual.rsplit(".", 1)[-1],
        qualname=qual,
        language="python",
        file=path,
        line=line,
        end_line=end,
        signature=sig,
        parent=parent,
    )


def calibration_requests(qt: QueryType, isg: ISG, rng: random.Random) -> list[QueryRequest]:
    """A few varied requests for a verb: sampled entities, input sets of 50 and none, defaults."""
    ids = list(isg.nodes)
    requests: list[QueryRequest] = []
    for variant in range(4):
        args: dict[str, str | int | tuple[str, ...] | None] = {}
        entities: dict[str, tuple[str, ...]] = {}
        for p in (*qt.params, *qt.options):
            if p.type == "entity":
                entities[p.name] = (ids[rng.randrange(len(ids))],)
            elif p.default is not None:
                args[p.name] = tuple(str(p.default).split(",")) if p.type == "kind" else p.default
            elif p.type == "int":
                args[p.name] = 10
            elif p.type == "kind":
                args[p.name] = ("function",) if variant % 2 else None
            else:
                args[p.name] = "f1" if p.required else None
        inputs: tuple[str, ...] | None = None
        if qt.takes_input or qt.feeds:
            inputs = tuple(rng.sample(ids, 50)) if variant % 2 == 0 else None
            if qt.feeds and inputs is not None:
                entities[qt.feeds] = inputs
        requests.append(QueryRequest(verb=qt.name, args=args, entities=entities, inputs=inputs, limit=100))
    return requests


def calibrate(
    plugin: QueryPlugin | ContextPlugin,
    *,
    budget: PerformanceBudget,
    query_types: Sequence[QueryType] = (),
    context_formats: Sequence[str] = (),
    isg: ISG | None = None,
    runs: int = RUNS,
    warmup: int = WARMUP,
    factor: float = REJECT_FACTOR,
) -> Calibration:
    """Measure every verb (or context format) and refuse a plugin far over its budget."""
    graph = isg if isg is not None else calibration_graph()
    rng = random.Random(7)
    results: list[VerbCalibration] = []
    clock = time.perf_counter_ns
    for qt in query_types:
        assert isinstance(plugin, QueryPlugin)
        times = _measure(
            _query_caller(plugin, calibration_requests(qt, graph, rng), graph),
            runs,
            warmup,
            clock,
        )
        results.append(_summary(qt.name, times))
    if context_formats:
        assert isinstance(plugin, ContextPlugin)
        nodes = [graph.nodes[i] for i in rng.sample(list(graph.nodes), 8)]
        times = _measure(
            lambda i: plugin.generate_context(nodes[i % len(nodes)], graph),
            runs,
            warmup,
            clock,
        )
        results.append(_summary("context", times))
    report = Calibration(
        plugin=plugin.name,
        budget_us=budget.max_query_time_us,
        graph_nodes=graph.node_count,
        verbs=tuple(results),
    )
    for v in report.verbs:
        if v.runs and v.p99_us > factor * budget.max_query_time_us:
            raise BudgetRejected(
                f"{plugin.name}: {v.verb}: measured p99 {v.p99_us:.0f} us (p50 {v.p50_us:.0f} us, max "
                f"{v.max_us:.0f} us over {v.runs} runs on {graph.node_count} entities) is over {factor:g}x "
                f"its budget of {budget.max_query_time_us} us"
            )
    return report


def _host_version() -> str:
    try:
        return version("pt-tui")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0"


def calibration_path(sha256: str, budget: PerformanceBudget, tier: str, runs: int) -> Path:
    """Where the calibration of this artifact, budget, tier and run count is stored."""
    key = (
        f"{budget.max_query_time_us}:{budget.max_memory_mb}:{budget.max_cpu_percent}:{tier}:{runs}:"
        f"graph{CALIBRATION_GRAPH_VERSION}:{CALIBRATION_MODULES}:pt-tui{_host_version()}:"
        f"py{sys.version_info[0]}.{sys.version_info[1]}"
    )
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return userdirs.cache_dir() / "calibration" / f"{sha256}-{digest}.json"


def stored_calibration(
    path: Path, plugin: str, budget: PerformanceBudget, factor: float
) -> Calibration | None:
    """A stored calibration that is still accepted under ``factor``; None if absent, unreadable or
    no longer accepted (the caller measures again)."""
    try:
        report = msgspec.json.decode(path.read_bytes(), type=Calibration)
    except (OSError, msgspec.DecodeError, msgspec.ValidationError):
        return None
    if report.plugin != plugin or report.budget_us != budget.max_query_time_us:
        return None
    if any(v.runs and v.p99_us > factor * budget.max_query_time_us for v in report.verbs):
        return None
    return report


def store_calibration(path: Path, report: Calibration) -> None:
    """Keep an accepted calibration (atomically); a cache that cannot be written is skipped."""
    try:
        userdirs.write_atomic(path, msgspec.json.encode(report))
    except OSError:
        return


def _query_caller(plugin: QueryPlugin, requests: list[QueryRequest], graph: ISG) -> Callable[[int], object]:
    def call(i: int) -> object:
        return plugin.execute_query(requests[i % len(requests)], graph)

    return call


def _measure(
    call: Callable[[int], object], runs: int, warmup: int, clock: Callable[[], int]
) -> tuple[list[float], int]:
    """Times of the successful runs after the warm-up, and how many runs raised.

    A run's time is its wall time minus the time its thread waited for a core (:func:`waited_ns`),
    so a busy machine does not decide.
    """
    times: list[float] = []
    errors = 0
    enabled = gc.isenabled()
    gc.disable()  # judge the plugin, not a full collection of the host's heap that lands in its call
    try:
        for i in range(warmup + runs):
            waited = waited_ns()
            started = clock()
            try:
                call(i)
            except Exception:
                errors += 1
                continue
            wall = (clock() - started) / 1000
            after = waited_ns()
            if i >= warmup:
                times.append(wall if waited is None or after is None else wall - (after - waited) / 1000)
    finally:
        if enabled:
            gc.enable()
    return times, errors


class _SchedStat:
    """An open ``/proc/self/task/<tid>/schedstat`` of one thread, closed when the thread ends."""

    def __init__(self) -> None:
        try:
            self.fd: int | None = os.open(
                f"/proc/self/task/{threading.get_native_id()}/schedstat", os.O_RDONLY
            )
        except OSError:
            self.fd = None

    def __del__(self) -> None:
        if self.fd is not None:
            os.close(self.fd)


_sched = threading.local()


def waited_ns() -> int | None:
    """Nanoseconds the calling thread has spent runnable but waiting for a core (another process or
    thread had it), from Linux's schedstat; None where the OS does not say.

    Subtracting the waits of a call from its wall time leaves what the call itself took, sleeps
    included: the fair figure to judge a plugin by on a busy machine.
    """
    stat: _SchedStat | None = getattr(_sched, "stat", None)
    if stat is None:
        stat = _sched.stat = _SchedStat()
    if stat.fd is None:
        return None
    try:
        return int(os.pread(stat.fd, 64, 0).split()[1])
    except (OSError, ValueError, IndexError):
        return None


def _summary(verb: str, measured: tuple[list[float], int]) -> VerbCalibration:
    times, errors = measured
    ordered = sorted(times)
    if not ordered:
        return VerbCalibration(verb=verb, runs=0, errors=errors, p50_us=0.0, p99_us=0.0, max_us=0.0)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, max(0, math.ceil(len(ordered) * q) - 1))]

    return VerbCalibration(
        verb=verb, runs=len(ordered), errors=errors, p50_us=pick(0.5), p99_us=pick(0.99), max_us=ordered[-1]
    )
