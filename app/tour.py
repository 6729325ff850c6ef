"""The onboarding tour (``pt-tui --demo --tour``): the story as data, and the actions that play it.

:data:`STEPS` is the script: each :class:`Step` has a title, what it shows and why it matters, the pane
it is about, and an action. An action is an async function of a :class:`TourContext` that drives the
dashboard the way the keys do - ``app.run_query`` for the query console, and for plugin actions the
same :func:`services.plan_action` / :func:`services.run_action` the plugins pane's workers call,
followed by the pane's own ``ActionDone`` message (its notification and refresh) - and returns an
:class:`Outcome`: one line for the tour panel, and figures the tests read. Blocking calls run in
threads (``asyncio.to_thread``); the panel runs each action in a worker.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pt_tui.app import fmt, services

if TYPE_CHECKING:
    from pt_tui.app.dashboard import DashboardApp
    from pt_tui.app.widgets.budget_pane import BudgetPane
    from pt_tui.app.widgets.plugins_pane import PluginsPane
    from pt_tui.app.widgets.query_console import QueryConsole
    from pt_tui.core.engine import Engine

#: How long the tour waits for one visible effect (a pane refresh, a logged event) before giving up.
WAIT_SECONDS = 30.0


@dataclass(frozen=True)
class Outcome:
    """What a step did: one line for the panel, ``ok`` False when it did not go as the story says."""

    line: str
    ok: bool = True
    figures: dict[str, float] = field(default_factory=dict)


@dataclass
class TourContext:
    """What an action drives: the app, and ``await show(pane)`` (switch to a pane, keep the tour's keys)."""

    app: DashboardApp
    show: Callable[[str], Awaitable[None]]


Action = Callable[[TourContext], Awaitable[Outcome]]


@dataclass(frozen=True)
class Step:
    title: str
    text: str
    pane: str  # the pane the step is about (the one shown at 80x24, where panes are tabs)
    action: Action | None = None


class TourError(Exception):
    """A step could not show what it should (the panel prints the message as the step's result)."""


# -- waiting on the dashboard ---------------------------------------------------------------------


async def until(condition: Callable[[], bool], what: str, timeout: float = WAIT_SECONDS) -> None:
    """Poll ``condition`` on the event loop until true; :class:`TourError` naming ``what`` on timeout."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TourError(f"gave up waiting for {what}")
        await asyncio.sleep(0.02)


async def ready(ctx: TourContext) -> tuple[services.PluginSession, Engine]:
    """The plugin session and the engine, once the ingest and the plugin host have started."""
    app = ctx.app
    await until(lambda: app.engine is not None and app.plugin_session is not None, "the plugin host", 120)
    assert app.plugin_session is not None and app.engine is not None
    return app.plugin_session, app.engine


def _console(app: DashboardApp) -> QueryConsole:
    from pt_tui.app.widgets.query_console import QueryConsole

    return app.dashboard.query_one(QueryConsole)


def _plugins_pane(app: DashboardApp) -> PluginsPane:
    from pt_tui.app.widgets.plugins_pane import PluginsPane

    return app.dashboard.query_one(PluginsPane)


def _budget(app: DashboardApp) -> BudgetPane:
    from pt_tui.app.widgets.budget_pane import BudgetPane

    return app.dashboard.query_one(BudgetPane)


@dataclass(frozen=True)
class ConsoleResult:
    rows: int
    error: str  # the console's inline error ("" when the query ran)


async def run_in_console(ctx: TourContext, text: str) -> ConsoleResult:
    """Run ``text`` in the query console as the palette's recent queries do, and wait for its result."""
    from textual.widgets import DataTable, Static
    from textual.worker import WorkerCancelled, WorkerFailed

    await ready(ctx)
    app = ctx.app
    console = _console(app)
    before = set(app.workers)
    app.run_query(text)  # shows the console and submits: the console's own worker runs it
    await ctx.show("query")
    for worker in [w for w in app.workers if w not in before and w.node is console]:
        try:
            await worker.wait()
        except (WorkerCancelled, WorkerFailed) as exc:
            raise TourError(f"{text}: {exc}") from exc
    await console.wait_for_refresh()  # its Executed / Failed message is handled
    error_box = console.query_one("#query-error", Static)
    error = str(error_box.render()).splitlines()[-1] if error_box.display else ""
    return ConsoleResult(console.query_one("#query-results", DataTable).row_count, error)


def _rows(count: int) -> str:
    return f"{count} row" + ("" if count == 1 else "s")


def _row(app: DashboardApp, name: str) -> services.PluginRow | None:
    return next((p for p in _plugins_pane(app).plugins if p.name == name), None)


async def plugin_action(
    ctx: TourContext, action: str, name: str, choice: str = "", settled: Callable[[], bool] | None = None
) -> tuple[services.ActionPlan, services.ActionResult]:
    """Plan and run a plugin action through the services the plugins pane uses, then hand the result
    to the pane (its notification and refresh, as after a key); wait until ``settled`` holds."""
    from pt_tui.app.widgets.plugins_pane import PluginsPane

    session, _engine = await ready(ctx)
    app = ctx.app
    pane = _plugins_pane(app)
    await ctx.show("plugins")
    pane.select(name)
    rows = await asyncio.to_thread(services.list_plugins, session)
    row = next((r for r in rows if r.name == name), None)
    if row is None:
        raise TourError(f"{name} is not in the demo registry")
    plan = await asyncio.to_thread(services.plan_action, session, action, row)
    if plan.refused:
        return plan, services.ActionResult(False, plan.refused)
    result = await asyncio.to_thread(services.run_action, session, plan, choice)
    pane.post_message(PluginsPane.ActionDone(action, name, result))
    if result.ok and settled is not None:
        await until(settled, f"the plugins pane to show {action} {name}")
    pane.select(name)
    return plan, result


async def install(ctx: TourContext, name: str, version: str = "") -> services.ActionResult:
    """Install ``name`` (the newest version, or ``version``) unless the session already has it."""
    await ready(ctx)
    row = _row(ctx.app, name)
    if row is not None and row.installed and (not version or row.version == version):
        return services.ActionResult(True, f"{name} {row.version} is installed")
    action = "hot-swap" if row is not None and row.installed else "install"  # another version is there
    _plan, result = await plugin_action(
        ctx,
        action,
        name,
        version,
        settled=lambda: (
            (r := _row(ctx.app, name)) is not None and r.installed and (not version or r.version == version)
        ),
    )
    if not result.ok:
        raise TourError(result.message)
    return result


def _logged(app: DashboardApp, plugin: str, kind: str) -> list[services.BudgetEvent]:
    return [e for e in _budget(app).logged if e.kind == kind and e.plugin.split(" ")[0] == plugin]


# -- the actions ----------------------------------------------------------------------------------


def query(text: str) -> Action:
    """Run ``text`` in the query console."""

    async def act(ctx: TourContext) -> Outcome:
        result = await run_in_console(ctx, text)
        if result.error:
            return Outcome(f"{text}: {result.error}", ok=False)
        return Outcome(f"{text}: {_rows(result.rows)}, timed in the console", figures={"rows": result.rows})

    return act


def install_and_use(name: str, version: str, text: str) -> Action:
    """Install one version of a plugin from the registry, then run its verb in the console."""

    async def act(ctx: TourContext) -> Outcome:
        installed = await install(ctx, name, version)
        result = await run_in_console(ctx, text)
        await ctx.show("plugins")
        row = _row(ctx.app, name)
        status = f"{row.version} {row.tier} {row.status}" if row else "not listed"
        if result.error:
            return Outcome(f"{installed.message}; {text}: {result.error}", ok=False)
        return Outcome(
            f"{installed.message}; {text}: {_rows(result.rows)}; now {name} {status}",
            figures={"rows": result.rows},
        )

    return act


class QueryLoop:
    """Runs one query over and over in a thread (through the same services the console uses), counting
    the answers and the failures."""

    def __init__(self, engine: Engine, text: str, pause: float = 0.002) -> None:
        self.engine = engine
        self.text = text
        self.pause = pause
        self.answered = 0
        self.failed = 0
        self.last_error = ""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="tour-queries", daemon=True)

    def _loop(self) -> None:
        from pt_tui.core.query import QueryError

        while not self._stop.is_set():
            try:
                services.run_query(self.engine, self.text)
            except QueryError as exc:
                self.failed += 1
                self.last_error = exc.message
            else:
                self.answered += 1
            self._stop.wait(self.pause)

    def start(self) -> None:
        self._thread.start()

    async def stop(self) -> None:
        self._stop.set()
        await asyncio.to_thread(self._thread.join)


def swap_under_load(name: str, version: str, text: str) -> Action:
    """Hot-swap ``name`` to ``version`` while a background loop keeps running ``text``."""

    async def act(ctx: TourContext) -> Outcome:
        _session, engine = await ready(ctx)
        await install(ctx, name)
        row = _row(ctx.app, name)
        old = row.version if row else "?"
        loop = QueryLoop(engine, text)
        loop.start()
        try:
            await until(lambda: loop.answered + loop.failed >= 5, "the background queries")
            before = loop.answered
            _plan, result = await plugin_action(
                ctx,
                "hot-swap",
                name,
                version,
                settled=lambda: (r := _row(ctx.app, name)) is not None and r.version == version,
            )
            during = loop.answered - before
            settle_from = loop.answered
            await until(lambda: loop.answered + loop.failed >= settle_from + 20, "queries on the new version")
        finally:
            await loop.stop()
        if not result.ok:
            return Outcome(f"swap refused: {result.message}", ok=False)
        shown = await run_in_console(ctx, text)
        await ctx.show("budget")
        figures: dict[str, float] = {
            "answered": loop.answered,
            "during": during,
            "failed": loop.failed,
            "rows": shown.rows,
        }
        failed = f"{loop.failed} failed ({loop.last_error})" if loop.failed else "none failed"
        return Outcome(
            f"{name} {old} -> {version} while {loop.answered} queries ran ({during} answered during the "
            f"swap itself), {failed}",
            ok=not loop.failed and not shown.error,
            figures=figures,
        )

    return act


def contained(name: str, text: str, kind: str, runs: int = 3) -> Action:
    """Install a hostile plugin and run it ``runs`` times: each run is stopped (a ``violation`` in the
    budget monitor's log) and the third within a minute quarantines it."""

    async def act(ctx: TourContext) -> Outcome:
        await install(ctx, name)
        app = ctx.app
        errors = []
        for _ in range(runs):
            errors.append((await run_in_console(ctx, text)).error)
        await until(lambda: bool(_logged(app, name, "quarantined")), f"{name}'s quarantine in the log")
        await ctx.show("budget")
        violations = _logged(app, name, "violation")
        last = violations[-1].message.removeprefix(f"{name}: ") if violations else "no violation logged"
        row = _row(app, name)
        status = row.status if row else "?"
        return Outcome(
            f"{len(violations)} runs stopped ({last}); {name} {status}",
            ok=bool(violations) and status == "quarantined" and all(errors) and kind in last,
            figures={"violations": len(violations)},
        )

    return act


def refused(name: str, text: str) -> Action:
    """Install a plugin that imports a capability it did not declare: the load is refused."""

    async def act(ctx: TourContext) -> Outcome:
        await install(ctx, name)
        result = await run_in_console(ctx, text)
        app = ctx.app
        await until(lambda: bool(_logged(app, name, "load-failed")), f"{name}'s refusal in the log")
        await until(lambda: (r := _row(app, name)) is not None and r.status == "failed", f"{name} failed")
        row = _row(app, name)
        reason = row.reason.removeprefix(f"{name}: ") if row else ""
        return Outcome(f"refused: {reason}", ok=bool(result.error) and "refused" in reason)

    return act


async def _p50(session: services.PluginSession, engine: Engine, plugin: str, text: str, calls: int) -> float:
    """Run ``text`` ``calls`` times (through the console's service) and return the tracker's p50 of them."""

    def measure() -> float:
        import statistics

        from pt_tui.core.query import QueryError

        for _ in range(calls):
            try:
                services.run_query(engine, text)
            except QueryError as exc:
                raise TourError(f"{text}: {exc.message}") from exc
        verb = services.stage_verbs(text)[-1]
        stats = session.tracker.stats(plugin, verb)
        samples = stats.recent_us[-calls:] if stats else ()
        return statistics.median(samples) if samples else 0.0

    return await asyncio.to_thread(measure)


def promote_and_compare(name: str, text: str, calls: int = 12) -> Action:
    """Install ``name`` (WASM), time its verb, promote it to native (scans + reviews), time it again."""

    async def act(ctx: TourContext) -> Outcome:
        session, engine = await ready(ctx)
        app = ctx.app
        await install(ctx, name)
        first = await run_in_console(ctx, text)  # loads it (WASM): the load is not timed below
        if first.error:
            raise TourError(first.error)
        wasm = await _p50(session, engine, name, text, calls)
        plan, result = await plugin_action(
            ctx, "promote", name, settled=lambda: (r := _row(app, name)) is not None and r.tier == "native"
        )
        if not result.ok:
            return Outcome(f"not promoted: {result.message}", ok=False)
        reviews = next((line.split(": ", 1)[1] for line in plan.lines if line.startswith("reviews")), "")
        await run_in_console(ctx, text)  # the first native call
        native = await _p50(session, engine, name, text, calls)
        _budget(app).refresh_stats()
        await ctx.show("budget")
        return Outcome(
            f"promoted ({reviews}); p50 over {calls} calls: WASM {fmt.latency(wasm)} -> "
            f"native {fmt.latency(native)}",
            figures={"wasm_p50_us": wasm, "native_p50_us": native},
        )

    return act


# -- the script -----------------------------------------------------------------------------------

STEPS: tuple[Step, ...] = (
    Step(
        "Welcome",
        "This tour plays the pt-tui story on the bundled sample and demo registry, one step at a time, "
        "with the same actions as the keys. Nothing here touches your own config or plugins.",
        "graph",
    ),
    Step(
        "Ask the graph",
        "A query in the console: who calls Entity.describe, across files. Every answer shows its "
        "measured latency; queries on the graph take well under a millisecond.",
        "query",
        query("callers Entity.describe"),
    ),
    Step(
        "Install a plugin",
        "fan-in 1.0.0 comes from the demo registry (a pinned git repository), checked by sha256, and "
        "runs sandboxed in WASM. Its verb joins the query language.",
        "plugins",
        install_and_use("fan-in", "1.0.0", "fan-in pricing_engine"),
    ),
    Step(
        "Hot-swap under load",
        "Swap fan-in to 2.0.0 while a loop keeps querying it: queries in flight finish on the old "
        "version, new ones run on the new one, and none fails. The swap is in the budget monitor's log.",
        "budget",
        swap_under_load("fan-in", "2.0.0", "fan-in pricing_engine"),
    ),
    Step(
        "A runaway plugin",
        "hostile-loop never returns. Its deadline (fuel and an epoch timer) stops each call; after three "
        "violations in a minute it is quarantined. The UI never freezes.",
        "budget",
        contained("hostile-loop", "search PricingEngine | hostile-loop", "timeout"),
    ),
    Step(
        "A memory hog",
        "hostile-memory grows its memory until the cap refuses it: the call fails, the host does not, "
        "and the plugin is quarantined like the runaway.",
        "budget",
        contained("hostile-memory", "search PricingEngine | hostile-memory", "memory"),
    ),
    Step(
        "A capability violator",
        "hostile-capability reads source files without declaring source.read: the sandbox refuses to "
        "load it and says why, in the console, the plugin list (failed) and the log.",
        "query",
        refused("hostile-capability", "search PricingEngine | hostile-capability"),
    ),
    Step(
        "Promote to native",
        "hotspots ships a WASM build and a native one with two signed reviews. Promotion scans the native "
        "build and checks the reviews, then swaps it in: compare the p50 before and after.",
        "budget",
        promote_and_compare("hotspots", "hotspots"),
    ),
    Step(
        "That's the tour",
        "Keep exploring: ? lists every key, ctrl+p opens the palette, 3 the plugins. Quit (q) and "
        "everything the tour installed is gone: it lived in a throw-away folder.",
        "plugins",
    ),
)
