"""``context X``: LLM context from :mod:`pt_tui.core.context`, one or (in a pipeline) several entities."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import msgspec

from pt_tui.core.context import Format, build_context
from pt_tui.core.model import Node
from pt_tui.core.query.registry import Call, Option, Param, VerbSpec
from pt_tui.core.query.result import Output, ResultRow
from pt_tui.core.query.syntax import Value
from pt_tui.core.query.types import Choice, Entity, Integer
from pt_tui.core.query.verbs.rows import location

if TYPE_CHECKING:
    from pt_tui.core.isg import ISG

#: Fewest tokens one entity gets when a pipeline feeds several; beyond that, entities are left out.
MIN_TOKENS_EACH = 250
#: Tokens set aside per entity for the separators between them.
_JOIN_TOKENS = 8


BUILTIN_FORMATS: tuple[str, ...] = ("md", "json")
#: Renders one entity in an added format: (graph, entity, root, max tokens) -> (text, data).
FormatRenderer = Callable[["ISG", Node, Path | None, int], tuple[str, dict[str, Any]]]
#: Formats added at run time (context plugins, through the plugin manager), by name.
EXTRA_FORMATS: dict[str, FormatRenderer] = {}


def add_context_format(name: str, renderer: FormatRenderer) -> None:
    """Offer ``context X --format NAME``; the built-in formats cannot be replaced."""
    if name in BUILTIN_FORMATS:
        raise ValueError(f"context format {name!r} is built in")
    EXTRA_FORMATS[name] = renderer


def remove_context_format(name: str) -> None:
    EXTRA_FORMATS.pop(name, None)


class ContextFormat(Choice):
    """The built-in formats plus those added at run time (read when a query is parsed)."""

    def __init__(self) -> None:
        super().__init__(BUILTIN_FORMATS)

    def convert(self, text: str) -> Value:
        object.__setattr__(self, "options", (*BUILTIN_FORMATS, *EXTRA_FORMATS))
        return super().convert(text)

    def choices(self) -> Sequence[str]:
        return (*BUILTIN_FORMATS, *EXTRA_FORMATS)


def context(call: Call) -> Output:
    nodes = call.nodes("entity")
    if call.text("format") in EXTRA_FORMATS:
        return _added_format(call, EXTRA_FORMATS[call.text("format")], nodes)
    fmt = cast(Format, call.text("format"))
    budget = call.integer("max-tokens")
    count = max(1, min(len(nodes), budget // MIN_TOKENS_EACH))
    each = max(1, budget // count - _JOIN_TOKENS) if count > 1 else budget
    parts = [build_context(call.isg, n, root=call.root, max_tokens=each, fmt=fmt) for n in nodes[:count]]
    notes = [note for part in parts for note in part.notes]
    if len(nodes) > count:
        notes.append(f"context for {count} of {len(nodes)} entities (raise --max-tokens for more)")
    if len(parts) == 1:
        text, data = parts[0].text, parts[0].data
    else:
        data = {"entities": [p.data for p in parts]}
        text = "\n---\n\n".join(p.text for p in parts) if fmt == "md" else msgspec.json.encode(data).decode()
    rows = [ResultRow(node=n, detail=location(n)) for n in nodes[:count]]
    return Output(rows=rows, text=text, data=data, notes=notes)


def _added_format(call: Call, render: FormatRenderer, nodes: list[Node]) -> Output:
    budget = call.integer("max-tokens")
    count = max(1, min(len(nodes), budget // MIN_TOKENS_EACH))
    each = max(1, budget // count - _JOIN_TOKENS) if count > 1 else budget
    parts = [render(call.isg, n, call.root, each) for n in nodes[:count]]
    notes = [f"context for {count} of {len(nodes)} entities"] if len(nodes) > count else []
    data = parts[0][1] if len(parts) == 1 else {"entities": [d for _, d in parts]}
    rows = [ResultRow(node=n, detail=location(n)) for n in nodes[:count]]
    return Output(rows=rows, text="\n---\n\n".join(t for t, _ in parts), data=data, notes=notes)


SPECS = (
    VerbSpec(
        "context",
        context,
        (Param("entity", Entity(), "an entity"),),
        (
            Option("format", ContextFormat(), "md", "markdown or json (default md), or a plugin's format"),
            Option(
                "max-tokens", Integer(minimum=1), 2000, "token budget, estimated as chars/4 (default 2000)"
            ),
        ),
        "LLM context: signature, doc, callers, callees, bases, source excerpt",
        "entity",
    ),
)
