"""The pt-tui query language: pipelines of typed verbs over the Interface Signature Graph.

``run_query(isg, "search parse* --kind function | callers --depth 2")`` parses, resolves entity
names and runs each stage, feeding every stage the entities of the previous one. Bad queries raise
:class:`QueryError` with a one-line message and a 1-based column. Verbs live in a registry
(:data:`VERBS`); :func:`register_verb` adds more.
"""

from __future__ import annotations

from pt_tui.core.isg import ISG
from pt_tui.core.query.complete import complete
from pt_tui.core.query.errors import AmbiguousEntity, EntityNotFound, QueryError, VerbFailed, render_caret
from pt_tui.core.query.indexes import index_for
from pt_tui.core.query.parser import parse_query
from pt_tui.core.query.registry import VERBS, Call, Option, Param, VerbSpec, register_verb, unregister_verb
from pt_tui.core.query.result import Output, QueryResult, ResultRow
from pt_tui.core.query.run import execute, run_query
from pt_tui.core.query.syntax import Arg, Pipeline, Stage, Value
from pt_tui.core.query.verbs import register_builtins

register_builtins()

__all__ = [
    "VERBS",
    "AmbiguousEntity",
    "Arg",
    "Call",
    "EntityNotFound",
    "Option",
    "Output",
    "Param",
    "Pipeline",
    "QueryError",
    "QueryResult",
    "ResultRow",
    "Stage",
    "Value",
    "VerbFailed",
    "VerbSpec",
    "complete",
    "execute",
    "index_for",
    "parse_query",
    "prepare",
    "register_verb",
    "render_caret",
    "run_query",
    "unregister_verb",
]


def prepare(isg: ISG) -> None:
    """Build the lookup indexes of ``isg`` now (say, right after indexing) instead of on first use."""
    index_for(isg).warm()
