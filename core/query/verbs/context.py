"""``context X``: LLM context from :mod:`pt_tui.core.context`, one or (in a pipeline) several entities."""

from __future__ import annotations

from typing import cast

import msgspec

from pt_tui.core.context import Format, build_context
from pt_tui.core.query.registry import Call, Option, Param, VerbSpec
from pt_tui.core.query.result import Output, ResultRow
from pt_tui.core.query.types import Choice, Entity, Integer
from pt_tui.core.query.verbs.rows import location

#: Fewest tokens one entity gets when a pipeline feeds several; beyond that, entities are left out.
MIN_TOKENS_EACH = 250
#: Tokens set aside per entity for the separators between them.
_JOIN_TOKENS = 8


def context(call: Call) -> Output:
    nodes = call.nodes("entity")
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


SPECS = (
    VerbSpec(
        "context",
        context,
        (Param("entity", Entity(), "an entity"),),
        (
            Option("format", Choice(("md", "json")), "md", "markdown or json (default md)"),
            Option(
                "max-tokens", Integer(minimum=1), 2000, "token budget, estimated as chars/4 (default 2000)"
            ),
        ),
        "LLM context: signature, doc, callers, callees, bases, source excerpt",
        "entity",
    ),
)
