"""Shared fixtures and helpers for the dashboard tests (imported by tests/test_tui_*.py).

Freezes what moves: no user config or history (config, data and cache dirs in tmp), no NO_COLOR,
measured times shown as a fixed string, cursor blink off, the bundled sample as data.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.worker import WorkerCancelled

from pt_tui.app import fmt, services
from pt_tui.app.config import LoadedConfig
from pt_tui.app.dashboard import DashboardApp
from pt_tui.app.demo import sample_root

FROZEN_TIME = "‹t›"
FROZEN_CPU_PERCENT = 42.0


@pytest.fixture(autouse=True)
def tui_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    for name in ("CONFIG", "DATA", "CACHE"):
        folder = tmp_path / name.lower()
        folder.mkdir()
        monkeypatch.setenv(f"PT_TUI_{name}_DIR", str(folder))
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setattr(fmt, "latency", lambda us: FROZEN_TIME)
    monkeypatch.setattr(services, "budget_stats", _flat_plots(services.budget_stats))
    monkeypatch.setenv("LC_ALL", "C.UTF-8")
    yield tmp_path


def _flat_plots(
    real: Callable[[services.PluginSession | None], list[services.PluginStats]],
) -> Callable[[services.PluginSession | None], list[services.PluginStats]]:
    """The budget plot of measured latencies flattened (one bar height), and a measured CPU share
    shown as :data:`FROZEN_CPU_PERCENT`, so screenshots are stable."""

    def flat(session: services.PluginSession | None) -> list[services.PluginStats]:
        stats = real(session)
        return [
            dataclasses.replace(
                s,
                recent_us=tuple(1.0 for _ in s.recent_us),
                cpu_percent=FROZEN_CPU_PERCENT if s.cpu_us else 0.0,
            )
            for s in stats
        ]

    return flat


def async_test(test: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an async test in a fresh event loop (the project has no pytest async plugin)."""

    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> None:
        asyncio.run(test(*args, **kwargs))

    return run


def make_app(
    root: Path | None = None, config: LoadedConfig | None = None, demo: bool = False
) -> DashboardApp:
    """The dashboard on the bundled sample, without a file watcher or cursor blink; ``demo`` adds the
    bundled demo registry (a local git repository in the test's cache dir)."""
    return DashboardApp(
        root or sample_root(), config=config or LoadedConfig(), watch=False, cursor_blink=False, demo=demo
    )


async def ready(pilot: Pilot[None]) -> DashboardApp:
    """Wait until the ingest worker has delivered the engine and the screen has settled."""
    app = pilot.app
    assert isinstance(app, DashboardApp)
    for _ in range(500):
        if app.engine is not None:
            break
        await pilot.pause(0.02)
    assert app.engine is not None, "the ingest worker did not finish"
    for _ in range(1000):
        if app.plugin_session is not None:
            break
        await pilot.pause(0.02)
    assert app.plugin_session is not None, "the plugin host did not start"
    await settle(pilot)
    return app


async def settle(pilot: Pilot[None]) -> None:
    """Let workers finish and the messages they posted be handled."""
    for _ in range(3):
        with contextlib.suppress(WorkerCancelled):  # an exclusive worker replaced by a newer one
            await pilot.app.workers.wait_for_complete()
        await pilot.pause()
