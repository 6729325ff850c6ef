"""The onboarding tour's panel, docked under the panes: what the step shows and why, and what it did.

Arriving at a step runs its action (:mod:`pt_tui.app.tour`) once, in a worker, and switches to the pane
the step is about; the panel keeps the focus so its keys work wherever the step led. Steps are not
undone: going back shows an earlier step and its result again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.markup import escape
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Static, Tabs

from pt_tui.app import tour

if TYPE_CHECKING:
    from pt_tui.app.dashboard import DashboardApp


class TourPanel(Vertical, can_focus=True):
    """Onboarding tour.

    Bindings: n / right next step, p / left back (steps are not undone), escape leaves the tour.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n,right", "next", "next step", id="tour.next", tooltip="Run the next step of the tour"),
        Binding("p,left", "back", "back", id="tour.back", tooltip="Show the previous step (not undone)"),
        Binding("escape", "leave", "leave tour", id="tour.leave", tooltip="Leave the tour"),
    ]

    def __init__(self, steps: tuple[tour.Step, ...] = tour.STEPS) -> None:
        super().__init__(id="tour")
        self.steps = steps
        self.index = 0
        self.outcomes: dict[int, tour.Outcome] = {}
        self.running: int | None = None
        self.border_title = "Tour"

    def compose(self) -> ComposeResult:
        yield Static("", id="tour-text")
        yield Static("", id="tour-result")
        yield Static("", id="tour-keys")

    def on_mount(self) -> None:
        self.show_step()
        self.focus()

    @property
    def dashboard_app(self) -> DashboardApp:
        from pt_tui.app.dashboard import DashboardApp

        app = self.app
        assert isinstance(app, DashboardApp)
        return app

    # -- keys -------------------------------------------------------------------------------------

    def action_next(self) -> None:
        if self.index >= len(self.steps) - 1:
            self.notify("That was the last step: escape leaves the tour.", title="tour")
            return
        if self.running is not None:
            self.notify("Wait for this step to finish.", title="tour")
            return
        self.go(self.index + 1)

    def action_back(self) -> None:
        if self.running is not None:  # it switches panes as it goes: one thing at a time
            self.notify("Wait for this step to finish.", title="tour")
            return
        if self.index > 0:
            self.go(self.index - 1)

    def action_leave(self) -> None:
        self.workers.cancel_group(self, "tour")
        app = self.dashboard_app
        self.remove()
        app.show_pane(app.dashboard.active_pane)

    def go(self, index: int) -> None:
        """Show step ``index``; run its action if it has one that has not run yet."""
        self.index = index
        step = self.steps[index]
        if step.action is not None and index not in self.outcomes and self.running is None:
            self.running = index
            self.run_step(index)
        else:
            self._switch(step.pane)
        self.show_step()

    def _switch(self, pane: str) -> None:
        self.dashboard_app.show_pane(pane)
        self.focus()

    async def show(self, pane: str) -> None:
        """Switch to ``pane`` (a tab at 80x24), keep the focus here so the tour keys still work, and
        wait until the switch is handled (two switches in one tick would fight over the tabs)."""
        self._switch(pane)
        screen = self.dashboard_app.dashboard
        await screen.query_one("#pane-tabs", Tabs).wait_for_refresh()
        await screen.wait_for_refresh()

    # -- running ----------------------------------------------------------------------------------

    @work(exclusive=True, group="tour", description="tour step")
    async def run_step(self, index: int) -> None:
        step = self.steps[index]
        assert step.action is not None
        try:
            await self.show(step.pane)
            try:
                outcome = await step.action(tour.TourContext(self.dashboard_app, self.show))
            except tour.TourError as exc:
                outcome = tour.Outcome(str(exc), ok=False)
            self.outcomes[index] = outcome
            if self.index == index:
                await self.show(step.pane)
        finally:
            self.running = None
            if self.is_attached:
                self.show_step()

    def show_step(self) -> None:
        step = self.steps[self.index]
        total = len(self.steps)
        self.border_title = f"Tour {self.index + 1}/{total} · {step.title}"
        self.query_one("#tour-text", Static).update(escape(step.text))
        outcome = self.outcomes.get(self.index)
        if self.running == self.index:
            result = "[$text-warning]▶ running …[/]"
        elif outcome is None:
            result = "" if step.action is None else "[$text-muted]not run yet[/]"
        elif outcome.ok:
            result = f"[$text-success]✔[/] {escape(outcome.line)}"
        else:
            result = f"[$text-error]✘ {escape(outcome.line)}[/]"
        box = self.query_one("#tour-result", Static)
        box.update(result)
        box.display = bool(result)
        keys = ["n/→ next" if self.index < total - 1 else "last step"]
        if self.index > 0:
            keys.append("p/← back (steps are not undone)")
        keys.append("esc leave")
        self.query_one("#tour-keys", Static).update(f"[$text-muted]{' · '.join(keys)}[/]")


def start_tour(app: DashboardApp) -> TourPanel:
    """Open the tour panel under the panes (or focus it if it is open)."""
    screen = app.dashboard
    for panel in screen.query(TourPanel):
        panel.focus()
        return panel
    panel = TourPanel()
    screen.mount(panel, after="#panes")
    return panel
