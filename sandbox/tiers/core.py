"""The core tier: the engine's built-in verbs as one plugin, ``core``, timed into the tracker.

:func:`install` re-registers every built-in verb with a handler that times the call with
``perf_counter_ns`` (and its thread CPU time) and records it (about a microsecond of overhead;
``benchmarks/plugins.py`` measures it). Core verbs are trusted and never quarantined: an overrun is
counted in the tracker without an event. :class:`CorePlugin` offers the same verbs through the
generic ``QueryPlugin`` interface (calibration, the worker, tests).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from pt_tui import __version__
from pt_tui.core.query.indexes import index_for
from pt_tui.core.query.registry import VERBS, Call, Handler, Param, VerbSpec, register_verb
from pt_tui.core.query.result import Output
from pt_tui.core.query.syntax import Value
from pt_tui.core.query.types import Entity, Integer, Kinds, ValueType
from pt_tui.core.query.verbs import BUILTIN, register_builtins
from pt_tui.sandbox.api import (
    Capability,
    ParamSpec,
    PerformanceBudget,
    PerformanceImpact,
    PluginCapabilities,
    QueryRequest,
    QueryType,
)
from pt_tui.sandbox.ceilings import CEILINGS
from pt_tui.sandbox.errors import ViolationKind
from pt_tui.sandbox.tracker import Series, Tracker

if TYPE_CHECKING:
    from pt_tui.core.isg import ISG
    from pt_tui.core.model import Node

CORE = "core"
CORE_BUDGET = PerformanceBudget(max_query_time_us=CEILINGS["core"].max_query_time_us, max_memory_mb=5.0)
_MARK = "__pt_tui_core__"


def timed(
    spec: VerbSpec, tracker: Tracker, *, plugin: str = CORE, budget: PerformanceBudget = CORE_BUDGET
) -> VerbSpec:
    """``spec`` with a handler that records every call's wall and thread CPU time (and errors) in
    ``tracker``."""
    inner: Handler = getattr(spec.handler, _MARK, spec.handler)
    name = spec.name
    limit = budget.max_query_time_us
    clock = time.perf_counter_ns
    cpu_clock = time.thread_time_ns
    series: list[Series] = []  # fetched on the first call, then kept: the hot path is series.add

    def run(call: Call) -> Output:
        started = clock()
        cpu_started = cpu_clock()  # inside the wall window: CPU time never shows above the wall time
        try:
            out = inner(call)
        except Exception as exc:
            tracker.record(
                plugin, name, (clock() - started) / 1000, tier="core", budget_us=limit, error=str(exc)
            )
            raise
        cpu = (cpu_clock() - cpu_started) / 1000
        elapsed = (clock() - started) / 1000
        if not series:
            series.append(tracker.series(plugin, name, tier="core", budget_us=limit))
        series[0].add(elapsed, cpu)
        if elapsed > limit:
            tracker.violation(
                plugin, name, ViolationKind.TIMEOUT, f"{elapsed:.0f} us > {limit} us", event=False
            )
        return out

    setattr(run, _MARK, inner)
    return dataclasses.replace(spec, handler=run)


def untimed(spec: VerbSpec) -> VerbSpec:
    inner = getattr(spec.handler, _MARK, None)
    return spec if inner is None else dataclasses.replace(spec, handler=inner)


def install(tracker: Tracker) -> CorePlugin:
    """Wrap every built-in verb (idempotent: a wrapped verb is re-wrapped, not wrapped twice)."""
    register_builtins()
    names = {spec.name for spec in BUILTIN}
    for name in names:
        spec = VERBS.get(name)
        if spec is not None:
            register_verb(timed(spec, tracker), replace=True)
    tracker.set_status(CORE, version=__version__, tier="core", state="active", reason="built in")
    return CorePlugin(tuple(untimed(VERBS[n]) for n in sorted(names) if n in VERBS))


def uninstall() -> None:
    """Put the plain built-in handlers back."""
    for spec in BUILTIN:
        current = VERBS.get(spec.name)
        if current is not None:
            register_verb(untimed(current), replace=True)


def _type_name(t: ValueType) -> str:
    if isinstance(t, Entity):
        return "entity"
    if isinstance(t, Integer):
        return "int"
    if isinstance(t, Kinds):
        return "kind"
    return "text"


def _default(value: Value | None) -> str | int | None:
    if value is None or isinstance(value, (str, int)):
        return value
    return ",".join(str(v) for v in value)


def _param(p: Param) -> ParamSpec:
    return ParamSpec(
        name=p.name, type=_type_name(p.type), required=p.required, default=_default(p.default), help=p.help
    )


def query_type(spec: VerbSpec) -> QueryType:
    options = tuple(
        ParamSpec(
            name=o.name, type=_type_name(o.type), required=False, default=_default(o.default), help=o.help
        )
        for o in spec.options
    )
    return QueryType(
        name=spec.name,
        help=spec.help,
        params=tuple(_param(p) for p in spec.params),
        options=options,
        takes_input=spec.takes_input,
        feeds=spec.feeds,
    )


class CorePlugin:
    """The built-in verbs behind the generic QueryPlugin interface."""

    name = CORE
    version = __version__

    def __init__(self, specs: Sequence[VerbSpec]) -> None:
        self._specs = {s.name: s for s in specs}

    def performance_budget(self) -> PerformanceBudget:
        return CORE_BUDGET

    def capabilities(self) -> PluginCapabilities:
        return PluginCapabilities(declared=frozenset({Capability.GRAPH_READ, Capability.SOURCE_READ}))

    def performance_impact(self) -> PerformanceImpact:
        return PerformanceImpact(typical_query_time_us=50, notes="built in: direct graph access")

    def query_types(self) -> Sequence[QueryType]:
        return [query_type(s) for s in self._specs.values()]

    def execute_query(self, query: QueryRequest, isg: ISG) -> Output:
        spec = self._specs[query.verb]
        values: dict[str, Value | None] = {p.name: p.default for p in spec.params}
        values.update((o.name, o.default) for o in spec.options)
        values.update(query.args)
        entities: dict[str, list[Node]] = {
            name: [n for n in (isg.nodes.get(i) for i in ids) if n is not None]
            for name, ids in query.entities.items()
        }
        inputs = (
            None if query.inputs is None else [n for n in map(isg.nodes.get, query.inputs) if n is not None]
        )
        if spec.feeds is not None and spec.feeds not in entities and inputs is not None:
            entities[spec.feeds] = inputs
        return spec.handler(Call(isg, index_for(isg), None, values, entities, inputs))
