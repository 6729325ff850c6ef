"""Query console: an input with history and completion, results in a table, errors with a caret.

A query is a chain of messages: the input is submitted, a thread worker runs it and posts
:class:`QueryConsole.Executed` or :class:`QueryConsole.Failed`, and the handlers fill the table.
Both messages bubble to the app, which feeds the timings to the budget monitor.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.suggester import Suggester
from textual.widgets import DataTable, Input, Label, Static

from pt_tui.app import fmt, services
from pt_tui.app.history import QueryHistory
from pt_tui.app.widgets.base import Pane, focus_now, vim_keys
from pt_tui.app.widgets.entity_tree import KIND_TAGS, _escape

if TYPE_CHECKING:
    from pt_tui.core.engine import Engine
    from pt_tui.core.query import QueryError, QueryResult


def replace_last_token(text: str, candidate: str) -> str:
    start = len(text)
    while start > 0 and not text[start - 1].isspace() and text[start - 1] != "|":
        start -= 1
    return text[:start] + candidate


class QuerySuggester(Suggester):
    """Suggests the first completion of the token being typed (right arrow accepts it)."""

    def __init__(self, console: QueryConsole) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.console = console

    async def get_suggestion(self, value: str) -> str | None:
        candidates = services.complete(self.console.engine, value, limit=1)
        return replace_last_token(value, candidates[0]) if candidates else None


class QueryInput(Input):
    """Query input.

    Bindings: enter runs, up / down walk the history, tab completes, escape goes to the results.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "history(-1)", "older", id="query.history.older", tooltip="Previous query"),
        Binding("down", "history(1)", "newer", id="query.history.newer", tooltip="Next query"),
        Binding("tab", "complete", "complete", id="query.complete", tooltip="Complete the word being typed"),
        Binding("escape", "leave", "results", id="query.leave", tooltip="Back to the results"),
    ]

    def action_history(self, step: int) -> None:
        console = self.console_pane()
        entry = console.history.previous() if step < 0 else console.history.next()
        if entry is not None:
            self.value = entry
            self.cursor_position = len(entry)

    def action_complete(self) -> None:
        console = self.console_pane()
        candidates = services.complete(console.engine, self.value, limit=50)
        if not candidates:
            self.app.bell()
            return
        prefix = candidates[0] if len(candidates) == 1 else _common_prefix(candidates)
        self.value = replace_last_token(self.value, prefix) + (" " if len(candidates) == 1 else "")
        self.cursor_position = len(self.value)

    def action_leave(self) -> None:
        focus_now(self.console_pane().query_one(ResultsTable))

    def console_pane(self) -> QueryConsole:
        return _find_console(self)


def _find_console(widget: Input) -> QueryConsole:
    for ancestor in widget.ancestors:
        if isinstance(ancestor, QueryConsole):
            return ancestor
    raise LookupError("QueryInput outside a QueryConsole")


def _common_prefix(words: list[str]) -> str:
    first, last = min(words), max(words)
    i = 0
    while i < min(len(first), len(last)) and first[i] == last[i]:
        i += 1
    return first[:i]


class ResultsTable(DataTable[Text]):
    """Query results.

    Bindings: j / k move, enter shows the entity in the graph pane.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        *vim_keys("query.results"),
        Binding("enter", "select_cursor", "show in graph", id="query.results.show", tooltip="Focus in graph"),
    ]


class QueryConsole(Pane):
    """Query console.

    Bindings: / focuses the query line, ctrl+l clears the results.
    """

    PANE_ID = "query"
    TITLE = "Query console"
    NUMBER = 2
    HELP_WIDGETS = (QueryInput, ResultsTable)
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+l", "clear", "clear", id="query.clear", tooltip="Clear the results"),
    ]

    class Executed(Message):
        """A query ran; ``result.elapsed_us`` is its measured latency."""

        def __init__(self, result: QueryResult) -> None:
            super().__init__()
            self.result = result

    class Failed(Message):
        """A query could not run (bad syntax, unknown entity, a failing verb)."""

        def __init__(self, text: str, error: QueryError) -> None:
            super().__init__()
            self.text = text
            self.error = error

    class EntityChosen(Message):
        """The user picked a result row: the app focuses it in the graph pane."""

        def __init__(self, entity_id: str) -> None:
            super().__init__()
            self.entity_id = entity_id

    def __init__(self, history: QueryHistory, *, deferred: bool = False) -> None:
        super().__init__(deferred=deferred)
        self.engine: Engine | None = None
        self.history = history
        self._row_ids: list[str] = []

    def compose_content(self) -> ComposeResult:
        with Horizontal(id="query-line"):
            yield Label("›", id="query-prompt")
            yield QueryInput(
                placeholder="callers NAME | search 'parse*' --kind function  (tab completes)",
                suggester=QuerySuggester(self),
                id="query-input",
            )
        yield Static("", id="query-hint")
        yield Static("", id="query-error")
        table = ResultsTable(id="query-results", cursor_type="row", zebra_stripes=True)
        for name, width in (("kind", 6), ("entity", 40), ("location", 26), ("via", 12), ("detail", 40)):
            table.add_column(name, width=width)
        yield table
        with VerticalScroll(id="query-text-box"):
            yield Static("", id="query-text")

    def set_engine(self, engine: Engine) -> None:
        self.engine = engine
        self.query_one("#query-hint", Static).update("[$text-muted]ready: type a query, enter runs it[/]")

    def focus_search(self) -> bool:
        focus_now(self.query_one(QueryInput))
        return True

    def focus_main(self) -> None:
        focus_now(self.query_one(QueryInput))

    def action_clear(self) -> None:
        self.query_one(ResultsTable).clear()
        self._row_ids = []
        self._set_error(None)
        self.query_one("#query-text", Static).update("")
        self.query_one("#query-text-box").display = False

    def submit(self, text: str) -> None:
        """Run ``text`` as if typed (the palette's recent queries use this)."""
        if self.content_ready:  # else: before the first frame's follow-up (the query is refused)
            self.query_one(QueryInput).value = text
        self._start_query(text)

    # -- running ----------------------------------------------------------------------------------

    @on(Input.Submitted, "#query-input")
    def _submitted(self, event: Input.Submitted) -> None:
        self._start_query(event.value)

    def _start_query(self, text: str) -> None:
        text = text.strip()
        if not text:
            return
        if self.engine is None:
            self.notify("The graph is still being built: run the query when indexing ends.")
            return
        self.history.add(text)
        self.query_one("#query-hint", Static).update(f"[$text-muted]running {_escape(text)}…[/]")
        self._run(text)

    @work(thread=True, exclusive=True, group="query", description="query")
    def _run(self, text: str) -> None:
        from pt_tui.core.query import QueryError

        assert self.engine is not None
        try:
            result = services.run_query(self.engine, text)
        except QueryError as exc:
            self.post_message(self.Failed(text, exc))
        else:
            self.post_message(self.Executed(result))

    @on(Executed)
    def _show(self, message: Executed) -> None:
        result = message.result
        self._set_error(None)
        table = self.query_one(ResultsTable)
        table.clear()
        self._row_ids = []
        for row in result.rows:
            node = row.node
            via = row.via + (f" d{row.distance}" if row.distance is not None else "")
            tag = KIND_TAGS.get(node.kind, node.kind)
            cells = (tag, node.qualname, f"{node.file}:{node.line}", via, row.detail)
            table.add_row(*(Text(cell) for cell in cells))
            self._row_ids.append(node.id)
        notes = " · ".join(result.notes)
        self.query_one("#query-hint", Static).update(
            f"[b]{len(result.rows)}[/] rows in [b $success]{fmt.latency(result.elapsed_us)}[/]"
            f"  [$text-muted]{_escape(result.query)}{'  ' + _escape(notes) if notes else ''}[/]"
        )
        box = self.query_one("#query-text-box")
        box.display = bool(result.text)
        self.query_one("#query-text", Static).update(_escape(result.text))

    @on(Failed)
    def _show_error(self, message: Failed) -> None:
        self._set_error(message.text, message.error)
        self.query_one("#query-hint", Static).update("[$text-error]query failed[/]")

    def _set_error(self, text: str | None, error: QueryError | None = None) -> None:
        from pt_tui.core.query import render_caret

        box = self.query_one("#query-error", Static)
        if text is None or error is None:
            box.display = False
            return
        query_line, caret = render_caret(text, error.column).split("\n")
        box.update(
            f"{_escape(query_line)}\n[b $text-error]{caret}[/]\n[$text-error]{_escape(error.message)}[/]"
            f" [$text-muted](column {error.column})[/]"
        )
        box.display = True

    @on(Input.Changed, "#query-input")
    def _hint(self, event: Input.Changed) -> None:
        if self.engine is None:
            return
        candidates = services.complete(self.engine, event.value, limit=8)
        shown = "  ".join(_escape(c) for c in candidates)
        self.query_one("#query-hint", Static).update(f"[$text-muted]tab ▸ {shown}[/]" if shown else "")

    @on(DataTable.RowSelected, "#query-results")
    def _chosen(self, event: DataTable.RowSelected) -> None:
        if 0 <= event.cursor_row < len(self._row_ids):
            self.post_message(self.EntityChosen(self._row_ids[event.cursor_row]))
