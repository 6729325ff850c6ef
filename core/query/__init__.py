"""The pt-tui query language: pipelines of typed verbs over the Interface Signature Graph.

``run_query(isg, "search parse* --kind function | callers --depth 2")`` parses, resolves entity
names and runs each stage, feeding every stage the entities of the previous one. Bad queries raise
:class:`QueryError` with a one-line message and a 1-based column. Verbs live in a registry
(:data:`VERBS`); :func:`register_verb` adds more.

The names below are imported on first use (module ``__getattr__``), so a process that only needs
the result types (a plugin worker: ``pt_tui.core.query.result``) does not import every verb. The
built-in verbs are registered however the registry is reached: the registry imports
``pt_tui.core.query.verbs`` as its last step, and that package registers them when it loads.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pt_tui.core.isg import ISG
    from pt_tui.core.query.complete import complete
    from pt_tui.core.query.errors import AmbiguousEntity, EntityNotFound, QueryError, VerbFailed, render_caret
    from pt_tui.core.query.indexes import index_for
    from pt_tui.core.query.parser import parse_query
    from pt_tui.core.query.registry import (
        VERBS,
        Call,
        Option,
        Param,
        VerbSpec,
        register_verb,
        unregister_verb,
    )
    from pt_tui.core.query.result import Output, QueryResult, ResultRow
    from pt_tui.core.query.run import execute, run_query
    from pt_tui.core.query.syntax import Arg, Pipeline, Stage, Value

#: Public name -> the submodule that defines it.
_EXPORTS = {
    "complete": "complete",
    **dict.fromkeys(
        ("AmbiguousEntity", "EntityNotFound", "QueryError", "VerbFailed", "render_caret"), "errors"
    ),
    "index_for": "indexes",
    "parse_query": "parser",
    **dict.fromkeys(
        ("VERBS", "Call", "Option", "Param", "VerbSpec", "register_verb", "unregister_verb"), "registry"
    ),
    **dict.fromkeys(("Output", "QueryResult", "ResultRow"), "result"),
    **dict.fromkeys(("execute", "run_query"), "run"),
    **dict.fromkeys(("Arg", "Pipeline", "Stage", "Value"), "syntax"),
}

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


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


def prepare(isg: ISG) -> None:
    """Build the lookup indexes of ``isg`` now (say, right after indexing) instead of on first use."""
    from pt_tui.core.query.indexes import index_for

    index_for(isg).warm()
