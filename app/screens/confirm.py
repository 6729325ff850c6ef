"""The confirmation of a plugin action: what matters (capabilities asked, scan findings, reviews),
a version to pick for a hot-swap, then confirm or cancel. Dismisses with the choice, or None."""

from __future__ import annotations

from typing import ClassVar

from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, OptionList, Static

from pt_tui.app.services import ActionPlan


class ConfirmAction(ModalScreen[str | None]):
    """Confirm a plugin action.

    Bindings: y confirms, n or escape cancels; j / k pick a version.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "confirm", "confirm", id="confirm.yes", tooltip="Do it"),
        Binding("n,escape", "cancel", "cancel", id="confirm.no", tooltip="Cancel: nothing changes"),
        Binding("j", "pick(1)", "next", show=False, id="confirm.down", tooltip="Next version"),
        Binding("k", "pick(-1)", "previous", show=False, id="confirm.up", tooltip="Previous version"),
    ]

    def __init__(self, plan: ActionPlan) -> None:
        super().__init__(id="confirm")
        self.plan = plan

    def compose(self) -> ComposeResult:
        plan = self.plan
        with Vertical(id="confirm-body"):
            yield Static(f"[b]{escape(plan.title)}[/]", id="confirm-title")
            yield Static("\n".join(escape(line) for line in plan.lines if line), id="confirm-lines")
            if plan.choices:
                yield Static("[$text-muted]version:[/]")
                yield OptionList(*plan.choices, id="confirm-choices")
            with Horizontal(id="confirm-buttons"):
                yield Button(f"{plan.confirm} (y)", variant="primary", id="confirm-yes")
                yield Button("Cancel (n)", id="confirm-no")

    def on_mount(self) -> None:
        if self.plan.choices:
            choices = self.query_one(OptionList)
            choices.highlighted = len(self.plan.choices) - 1  # the newest other version
            choices.focus()
        else:
            self.query_one("#confirm-yes", Button).focus()

    def choice(self) -> str:
        if not self.plan.choices:
            return ""
        index = self.query_one(OptionList).highlighted
        return self.plan.choices[index if index is not None else -1]

    def action_confirm(self) -> None:
        self.dismiss(self.choice())

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_pick(self, step: int) -> None:
        if self.plan.choices:
            choices = self.query_one(OptionList)
            (choices.action_cursor_down if step > 0 else choices.action_cursor_up)()

    @on(OptionList.OptionSelected)
    def _selected(self) -> None:
        self.action_confirm()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "confirm-yes":
            self.action_confirm()
        else:
            self.action_cancel()
