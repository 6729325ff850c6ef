"""Budget monitor: per-plugin p50 / p99 against the budget, CPU per call, latency over time, memory,
violations and a log of quarantines and swaps, read from the plugin session's tracker
(see :mod:`pt_tui.app.services`).

The tracker's events arrive as messages (the app subscribes and posts them); call statistics are
re-read after each query and once a second while the pane is shown.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Sparkline, Static

from pt_tui.app import fmt, services
from pt_tui.app.widgets.base import Pane, focus_now, vim_keys

if TYPE_CHECKING:
    from textual.widgets import RichLog

REFRESH_SECONDS = 1.0

#: (title, width) of the table's columns: all of them fit an 80-column terminal (one pane at a time).
COLUMNS = (
    ("plugin", 14),
    ("calls", 5),
    ("p50", 8),
    ("p99", 13),
    ("cpu/call", 11),  # mean CPU time per call and its share of the wall time
    ("budget", 8),
    ("viol", 4),
)


def cpu_cell(stats: services.PluginStats) -> str:
    """``120 µs 45%``: mean CPU time per call, and CPU time as a share of wall time; ``-`` when the
    calls were not measured for CPU (the core tier's built-in verbs)."""
    if not stats.cpu_us:
        return "-"
    return f"{fmt.latency(stats.cpu_us)} {stats.cpu_percent:.0f}%"


class BudgetTable(DataTable[Text]):
    """Per-plugin latencies.

    Bindings: j / k move between plugins (the plot follows).
    """

    BINDINGS: ClassVar[list[BindingType]] = vim_keys("budget.table")


class BudgetPane(Pane):
    """Budget monitor.

    Bindings: l focuses the event log.
    """

    PANE_ID = "budget"
    TITLE = "Budget monitor"
    NUMBER = 4
    HELP_WIDGETS = (BudgetTable,)
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("l", "focus_log", "log", id="budget.log", tooltip="Focus the quarantine and swap log"),
    ]

    def __init__(self, *, deferred: bool = False) -> None:
        super().__init__(deferred=deferred)
        self.session: services.PluginSession | None = None
        self.stats: list[services.PluginStats] = []
        self.logged: list[services.BudgetEvent] = []

    def compose_content(self) -> ComposeResult:
        table = BudgetTable(id="budget-table", cursor_type="row", zebra_stripes=True)
        for name, width in COLUMNS:
            table.add_column(name, width=width)  # fixed widths: columns never jump as numbers change
        yield table
        yield Static("[$text-muted]starting the plugin host …[/]", id="budget-caption")
        yield Sparkline([], id="budget-spark")
        from textual.widgets import RichLog  # late: it imports rich.pretty and attrs (start-up time)

        yield RichLog(id="budget-log", markup=True, wrap=True, max_lines=500)

    def on_mount(self) -> None:
        self.set_interval(REFRESH_SECONDS, self._tick)

    def set_session(self, session: services.PluginSession) -> None:
        self.session = session
        for event in services.budget_events(session):
            self.log_event(event)
        self.refresh_stats()

    def _tick(self) -> None:
        if self.session is not None and self._visible:
            self.refresh_stats()

    @property
    def _visible(self) -> bool:
        return self.display and self.region.area > 0

    def focus_main(self) -> None:
        focus_now(self.query_one(BudgetTable))

    def action_focus_log(self) -> None:
        focus_now(self._log())

    def _log(self) -> RichLog:
        from textual.widgets import RichLog

        return self.query_one("#budget-log", RichLog)

    def log_event(self, event: services.BudgetEvent) -> None:
        stamp = time.strftime("%H:%M:%S", time.localtime(event.at))
        self.logged.append(event)
        self._log().write(
            Text.assemble(stamp, " ", (event.kind, "bold"), f" {event.plugin}: {event.message}")
        )

    def refresh_stats(self) -> None:
        table = self.query_one(BudgetTable)
        cursor = table.cursor_row
        self.stats = stats = services.budget_stats(self.session)
        table.clear()
        for s in stats:
            over = s.budget_us > 0 and s.p99_us > s.budget_us
            p99 = Text(fmt.latency(s.p99_us) + (" over" if over else ""))
            p99.stylize("bold reverse" if over else "")
            table.add_row(
                Text(f"{s.plugin} {s.query}" if s.query != s.plugin else s.plugin),
                Text(f"{s.calls:,}"),
                Text(fmt.latency(s.p50_us)),
                p99,
                Text(cpu_cell(s)),
                Text(fmt.latency(s.budget_us) if s.budget_us else "-"),
                Text(str(s.violations)),
            )
        if stats:
            table.move_cursor(row=min(max(cursor, 0), len(stats) - 1), animate=False)
        self._plot()

    @on(DataTable.RowHighlighted, "#budget-table")
    def _highlighted(self) -> None:
        self._plot()

    def _plot(self) -> None:
        table = self.query_one(BudgetTable)
        caption = self.query_one("#budget-caption", Static)
        spark = self.query_one(Sparkline)
        if self.session is None:
            return
        if not self.stats:
            spark.data = []
            caption.update("[$text-muted]no calls yet: run a query (2) to see its latency here[/]")
            return
        chosen = self.stats[min(max(table.cursor_row, 0), len(self.stats) - 1)]
        spark.data = list(chosen.recent_us)
        worst = fmt.latency(max(chosen.recent_us)) if chosen.recent_us else "-"
        memory = f", peak {chosen.memory_mb:.2f} MB" if chosen.memory_mb else ""
        cpu = f" · cpu {cpu_cell(chosen)} of wall" if chosen.cpu_us else ""
        name = chosen.plugin if chosen.query == chosen.plugin else f"{chosen.plugin} {chosen.query}"
        caption.update(
            Text(f"{name}: last {len(chosen.recent_us)} calls (max {worst}{memory}){cpu}", style="dim")
        )
