"""Query errors: one line each, with the 1-based column of the offending text."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pt_tui.core.model import Node

#: How many candidates an ambiguity error lists before "and N more".
MAX_LISTED = 10


class QueryError(Exception):
    """A query that cannot run. ``str()`` is one line: ``query error at column C: message``."""

    def __init__(self, message: str, column: int = 1) -> None:
        super().__init__(message, column)
        self.message = message
        self.column = max(1, column)

    def __str__(self) -> str:
        return f"query error at column {self.column}: {self.message}"

    def caret(self, query: str) -> str:
        """The query and a caret line under the error's column (two lines)."""
        return render_caret(query, self.column)


class EntityNotFound(QueryError):
    """No entity matches a name; ``suggestions`` holds close names."""

    def __init__(self, name: str, column: int, suggestions: Sequence[str] = ()) -> None:
        hint = f" (did you mean {_quoted_list(suggestions)}?)" if suggestions else ""
        super().__init__(f"no entity named {name!r}{hint}", column)
        self.name = name
        self.suggestions = list(suggestions)


class AmbiguousEntity(QueryError):
    """A name matches several entities; ``candidates`` holds all of them."""

    def __init__(self, name: str, column: int, candidates: Sequence[Node]) -> None:
        listed = "; ".join(describe(n) for n in candidates[:MAX_LISTED])
        more = len(candidates) - MAX_LISTED
        tail = f"; and {more} more" if more > 0 else ""
        super().__init__(
            f"{name!r} is ambiguous, {len(candidates)} entities match (use a qualified name): {listed}{tail}",
            column,
        )
        self.name = name
        self.candidates = list(candidates)


class VerbFailed(QueryError):
    """A verb's handler raised: the query is reported as failed, the cause is chained."""


def describe(node: Node) -> str:
    """``qualname (kind, file:line)``: how errors and notes name an entity."""
    return f"{node.qualname} ({node.kind}, {node.file}:{node.line})"


def render_caret(query: str, column: int) -> str:
    """Two lines: the query (control characters shown as spaces) and a ``^`` under ``column``."""
    shown = "".join(" " if ch.isspace() or not ch.isprintable() else ch for ch in query)
    return f"{shown}\n{' ' * (max(1, column) - 1)}^"


def _quoted_list(items: Sequence[str]) -> str:
    quoted = [repr(s) for s in items]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]
