#!/usr/bin/env python
"""Write SVG screenshots of the real dashboard (on the bundled sample) into ``screenshots/``.

Run with ``make screenshots``. Uses ``App.run_test()`` (headless, same code as the terminal app),
with a throw-away config and data dir so a user's settings never leak into the pictures.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "screenshots"


async def _wait_ready(pilot) -> None:  # type: ignore[no-untyped-def]
    app = pilot.app
    for _ in range(500):
        if app.engine is not None:
            break
        await pilot.pause(0.02)
    await _settle(pilot)


async def _settle(pilot) -> None:  # type: ignore[no-untyped-def]
    from textual.worker import WorkerCancelled

    for _ in range(3):
        with contextlib.suppress(WorkerCancelled):
            await pilot.app.workers.wait_for_complete()
        await pilot.pause(0.05)


async def _query(pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    from textual.widgets import Input

    await pilot.press("2")
    box = pilot.app.screen.query_one("#query-input", Input)
    box.value = text
    box.cursor_position = len(text)
    await pilot.press("enter")
    await _settle(pilot)


Steps = Callable[..., Awaitable[None]]


async def shoot(name: str, size: tuple[int, int], steps: Steps, theme: str = "dark") -> Path:
    from pt_tui.app.config import Config, LoadedConfig
    from pt_tui.app.dashboard import DashboardApp
    from pt_tui.app.demo import sample_root

    demo = name in DEMO_SHOTS  # with the demo registry, and the tour open
    app = DashboardApp(
        sample_root(),
        config=LoadedConfig(Config(theme=theme)),
        watch=False,
        cursor_blink=False,
        demo=demo,
        tour=demo,
    )
    async with app.run_test(size=size) as pilot:
        await _wait_ready(pilot)
        await steps(pilot)
        await _settle(pilot)
        await pilot.pause(0.2)
        path = OUT / f"{name}.svg"
        app.save_screenshot(filename=path.name, path=str(path.parent))
    return path


async def _nothing(pilot) -> None:  # type: ignore[no-untyped-def]
    pass


async def _graph(pilot) -> None:  # type: ignore[no-untyped-def]
    app = pilot.app
    (node,) = app.engine.isg.by_qualname("shop.models.Entity.describe")
    app.screen.query_one("#graph").focus_entity(node.id)
    await _settle(pilot)


async def _queries(pilot) -> None:  # type: ignore[no-untyped-def]
    for text in (
        "callers Entity.describe",
        "stats",
        "search 'from_*' --kind method | callers",
        "cycles imports",
    ):
        await _query(pilot, text)
    await _query(pilot, "callers Entity.describe")


async def _budget(pilot) -> None:  # type: ignore[no-untyped-def]
    await _queries(pilot)
    await pilot.press("escape", "4")


async def _error(pilot) -> None:  # type: ignore[no-untyped-def]
    await _query(pilot, "callers describe --dept 2")


async def _key(pilot, *keys: str) -> None:  # type: ignore[no-untyped-def]
    await pilot.press(*keys)


async def _tour(pilot) -> None:  # type: ignore[no-untyped-def]
    """The onboarding tour played up to the runaway plugin, stopped and quarantined."""
    from pt_tui.app.widgets.tour_panel import TourPanel

    panel = pilot.app.screen.query_one(TourPanel)
    for _ in range(4):
        await pilot.press("n")
        while panel.running is not None:
            await pilot.pause(0.1)


SHOTS: tuple[tuple[str, tuple[int, int], Steps, str], ...] = (
    ("dashboard", (120, 40), _queries, "dark"),
    ("graph", (120, 40), _graph, "dark"),
    ("query-error", (80, 24), _error, "dark"),
    ("plugins-80x24", (80, 24), lambda p: _key(p, "3"), "dark"),
    ("budget-80x24", (80, 24), _budget, "dark"),
    ("help", (120, 40), lambda p: _key(p, "question_mark"), "dark"),
    ("theme-light", (120, 40), _queries, "light"),
    ("theme-high-contrast", (120, 40), _queries, "high-contrast"),
    ("theme-monochrome", (120, 40), _queries, "monochrome"),
    ("tour", (120, 40), _tour, "dark"),
)
#: Shots of a demo session (the bundled demo registry, the onboarding tour open).
DEMO_SHOTS = frozenset({"tour"})


def main() -> int:
    """Write every shot, or only those named on the command line (``tools/screenshots.py tour``)."""
    wanted = set(sys.argv[1:])
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("CONFIG", "DATA", "CACHE"):
            os.environ[f"PT_TUI_{name}_DIR"] = str(Path(tmp) / name.lower())
        os.environ.pop("NO_COLOR", None)
        OUT.mkdir(exist_ok=True)
        for name, size, steps, theme in SHOTS:
            if wanted and name not in wanted:
                continue
            path = asyncio.run(shoot(name, size, steps, theme))
            print(f"wrote {path.relative_to(OUT.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
