"""Run a query on a graph: parse, resolve entities, run each stage, time the whole."""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path

from pt_tui.core.isg import ISG
from pt_tui.core.model import Node
from pt_tui.core.query.errors import QueryError, VerbFailed
from pt_tui.core.query.indexes import QueryIndex, index_for
from pt_tui.core.query.lookup import find_entity
from pt_tui.core.query.parser import parse_query
from pt_tui.core.query.registry import VERBS, Call, VerbSpec
from pt_tui.core.query.result import Output, QueryResult
from pt_tui.core.query.syntax import Pipeline, Stage, Value
from pt_tui.core.query.types import Entity


def run_query(
    isg: ISG, text: str, *, root: Path | None = None, verbs: Mapping[str, VerbSpec] | None = None
) -> QueryResult:
    """Parse and run ``text``. ``elapsed_us`` covers parsing and execution.

    Raises :class:`QueryError` (or a subclass) for a bad query or an unknown/ambiguous entity.
    """
    started = time.perf_counter_ns()
    registry = VERBS if verbs is None else verbs
    pipeline = parse_query(text, registry)
    return execute(isg, pipeline, text, root=root, verbs=registry, started_ns=started)


def execute(
    isg: ISG,
    pipeline: Pipeline,
    text: str = "",
    *,
    root: Path | None = None,
    verbs: Mapping[str, VerbSpec] | None = None,
    started_ns: int | None = None,
) -> QueryResult:
    """Run a parsed pipeline; each stage after the first receives the previous stage's entities."""
    started = time.perf_counter_ns() if started_ns is None else started_ns
    registry = VERBS if verbs is None else verbs
    index = index_for(isg)
    inputs: list[Node] | None = None
    notes: list[str] = []
    output = Output()
    for number, stage in enumerate(pipeline.stages):
        spec = registry.get(stage.verb)
        if spec is None:
            raise QueryError(f"unknown verb {stage.verb!r}", stage.column)
        if number:
            inputs = list({row.node.id: row.node for row in output.rows}.values())
        if stage.fed is not None and not inputs:
            output = Output(notes=[f"{stage.verb!r} received no entities: the previous stage found none"])
        else:
            output = _invoke(spec, stage, _call(isg, index, root, stage, spec, inputs))
        notes.extend(output.notes)
    elapsed = (time.perf_counter_ns() - started) / 1000
    return QueryResult(
        query=text or pipeline.render(),
        verb=pipeline.stages[-1].verb,
        rows=output.rows,
        elapsed_us=elapsed,
        text=output.text,
        data=output.data,
        notes=notes,
    )


def _call(
    isg: ISG, index: QueryIndex, root: Path | None, stage: Stage, spec: VerbSpec, inputs: list[Node] | None
) -> Call:
    values: dict[str, Value | None] = {p.name: p.default for p in spec.params}
    values.update((o.name, o.default) for o in spec.options)
    entities: dict[str, list[Node]] = {}
    columns: dict[str, int] = {}
    types = {p.name: p.type for p in spec.params} | {o.name: o.type for o in spec.options}
    for arg in (*stage.args, *stage.options):
        values[arg.name] = arg.value
        columns[arg.name] = arg.column
        if isinstance(types.get(arg.name), Entity):
            entities[arg.name] = [find_entity(index, arg.text, arg.column)]
    if stage.fed is not None:
        entities[stage.fed] = list(inputs or ())
    return Call(isg, index, root, values, entities, inputs, columns)


def _invoke(spec: VerbSpec, stage: Stage, call: Call) -> Output:
    try:
        return spec.handler(call)
    except QueryError:
        raise
    except Exception as exc:  # a verb (a plugin's, say) failing must not take the caller down
        raise VerbFailed(f"{spec.name!r} failed: {type(exc).__name__}: {exc}", stage.column) from exc
