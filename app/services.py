"""The one place the dashboard meets the engine and the plugin host.

Panes call these functions and never reach into ``core`` or ``sandbox`` themselves. The plugin host is
one :class:`PluginSession` per dashboard: a ``PluginManager`` with the core tier installed (the
built-in verbs are timed as the ``core`` plugin), its ``Tracker``, the registries
(``RegistryService``) and an ``InstallWatcher``. Everything that blocks (disk, git, plugin loads) is
called from the dashboard's thread workers. Nothing here imports textual.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pt_tui.core.diff import GraphDiff
    from pt_tui.core.engine import Engine
    from pt_tui.core.model import Node
    from pt_tui.core.query import Output, QueryResult, Value
    from pt_tui.sandbox.api import PerformanceBudget
    from pt_tui.sandbox.capabilities import Grants
    from pt_tui.sandbox.manager import PluginManager
    from pt_tui.sandbox.registry.catalog import Offer
    from pt_tui.sandbox.registry.service import RegistryService
    from pt_tui.sandbox.registry.store import Current
    from pt_tui.sandbox.tracker import PluginEvent
    from pt_tui.sandbox.tracker import Tracker as SandboxTracker

ProgressCallback = Callable[[int, int], None]
DiffCallback = Callable[["GraphDiff"], None]

#: Plugin actions the plugins pane offers, in the order of its bindings.
PLUGIN_ACTIONS = ("install", "update", "promote", "hot-swap", "rollback", "toggle", "uninstall", "grant")


# -- the engine ---------------------------------------------------------------------------------


def open_engine(root: Path, progress: ProgressCallback | None = None) -> Engine:
    """Open ``root`` (in the caller's thread): a warm start from its snapshot when one is valid
    (``pt_tui.core.warm``), else a cold index; then build the query indexes.

    Raises ``pt_tui.core.engine.EngineError`` for a missing or unreadable root.
    """
    from pt_tui.core.query import prepare

    try:
        from pt_tui.core.warm import open_engine as warm_open
    except ImportError:  # an install without snapshots
        from pt_tui.core.engine import Engine

        engine = Engine(root)
        engine.index(progress=progress)
    else:
        engine = warm_open(root, progress=progress)
    prepare(engine.isg)
    return engine


def subscribe_diffs(engine: Engine, callback: DiffCallback) -> bool:
    """Call ``callback(diff)`` (from the engine's thread) after each applied change; False if the
    engine cannot report changes."""
    subscribe = getattr(engine, "subscribe", None)
    if subscribe is None:
        return False
    subscribe(callback)
    return True


def can_watch() -> bool:
    """Whether the file watcher (``core/watch.py``) is installed."""
    import importlib.util

    return importlib.util.find_spec("pt_tui.core.watch") is not None


def watch(engine: Engine, stop: threading.Event) -> None:
    """Apply file changes under the root until ``stop`` is set (blocks: run it in a thread worker).

    WAITING (partly): ``Engine.watch`` and ``core/watch.py`` (in progress); returns at once without them.
    """
    method = getattr(engine, "watch", None)
    if method is None or not can_watch():
        return
    method(stop)


@contextlib.contextmanager
def reading(engine: Engine) -> Iterator[None]:
    """Hold the graph still (one generation) while reading it, where the engine supports it.
    Never nest: a waiting writer blocks new readers."""
    read = getattr(engine, "read", None)
    if read is None:
        yield
        return
    with read():
        yield


def graph_summary(engine: Engine) -> str:
    isg = engine.isg  # counts only: no lock needed
    return f"{len(isg.files):,} files · {isg.node_count:,} entities · {isg.edge_count:,} edges"


# -- entities and their neighbourhood (computed by the query engine, never by the UI) -----------


def modules(engine: Engine) -> list[Node]:
    """The module entities of the graph, by qualified name."""

    with reading(engine):
        return _modules(engine)


def _modules(engine: Engine) -> list[Node]:
    from pt_tui.core.model import NodeKind

    isg = engine.isg
    found = [isg.nodes[info.module_id] for info in isg.files.values() if info.module_id in isg.nodes]
    found += [n for n in isg.nodes.values() if n.kind is NodeKind.MODULE and not n.file]
    return sorted({n.id: n for n in found if n.kind is NodeKind.MODULE}.values(), key=lambda n: n.qualname)


def children(engine: Engine, node_id: str) -> list[Node]:
    """The entities ``node_id`` contains, in source order."""
    with reading(engine):
        return sorted(engine.isg.children(node_id), key=lambda n: (n.file, n.line, n.qualname))


def node(engine: Engine, node_id: str) -> Node | None:
    with reading(engine):
        return engine.isg.node(node_id)


def ancestry(engine: Engine, node_id: str) -> list[Node]:
    """The chain from the outermost container down to ``node_id`` (itself included)."""
    chain: list[Node] = []
    with reading(engine):
        current = engine.isg.node(node_id)
        while current is not None and current.id not in {n.id for n in chain}:
            chain.append(current)
            current = engine.isg.node(current.parent) if current.parent else None
    return chain[::-1]


def search(engine: Engine, pattern: str, limit: int = 200) -> list[Node]:
    """Entities whose name matches ``pattern`` (the ``search`` verb's substring/glob/fuzzy rules)."""
    with reading(engine):
        output = _run_verb(engine, "search", {"pattern": pattern, "limit": limit, "kind": None}, {})
    return [row.node for row in output.rows]


@dataclass(frozen=True)
class Neighbourhood:
    """One entity's nearest neighbours, each list ordered as the verb returned it."""

    callers: list[Node] = field(default_factory=list)
    callees: list[Node] = field(default_factory=list)
    implementors: list[Node] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def neighbourhood(engine: Engine, node_id: str, limit: int = 12) -> Neighbourhood:
    """Callers, callees (depth 1) and direct implementors of one entity, from the built-in verbs."""

    with reading(engine):
        return _neighbourhood(engine, node_id, limit)


def _neighbourhood(engine: Engine, node_id: str, limit: int) -> Neighbourhood:
    from pt_tui.core.model import TYPE_KINDS

    target = engine.isg.node(node_id)
    if target is None:
        return Neighbourhood()
    hood = Neighbourhood()
    lists = {"callers": hood.callers, "callees": hood.callees}
    if target.kind in TYPE_KINDS:
        lists["what-implements"] = hood.implementors
    for verb, into in lists.items():
        output = _run_verb(engine, verb, {"depth": 1}, {"entity": [target]})
        nodes = [row.node for row in output.rows if row.node.id != node_id]
        into.extend(nodes[:limit])
        if len(nodes) > limit:
            hood.notes.append(f"{verb}: {len(nodes) - limit} more (run '{verb} {target.qualname}')")
    return hood


def _run_verb(
    engine: Engine, verb: str, values: Mapping[str, Value | None], entities: dict[str, list[Node]]
) -> Output:
    """Call a registered verb's handler directly with resolved entities (ids stay exact even where a
    qualified name is ambiguous)."""
    from pt_tui.core.query import VERBS, Call, index_for

    spec = VERBS[verb]
    merged: dict[str, Value | None] = {p.name: p.default for p in spec.params}
    merged.update((o.name, o.default) for o in spec.options)
    merged.update((k, v) for k, v in values.items() if k in merged)
    call = Call(engine.isg, index_for(engine.isg), engine.root, merged, entities, None)
    return spec.handler(call)


# -- queries --------------------------------------------------------------------------------------


def run_query(engine: Engine, text: str) -> QueryResult:
    """Run a query (raises ``QueryError`` with ``.column``). The verb table is the manager's: the
    session's plugins registered their verbs in it and the core tier times the built-in ones."""
    from pt_tui.core.query import run_query as core_run_query

    with reading(engine):
        return core_run_query(engine.isg, text, root=engine.root)


def complete(engine: Engine | None, text: str, limit: int = 20) -> list[str]:
    """Completion candidates for the token at the end of ``text`` (verbs, plugin verbs, entities)."""
    from pt_tui.core.query import complete as core_complete

    if engine is None:
        return core_complete(text, None, limit=limit)
    with reading(engine):
        return core_complete(text, engine.isg, limit=limit)


def stage_verbs(text: str) -> list[str]:
    """The verbs of a query's stages, or [] if it does not parse."""
    from pt_tui.core.query import QueryError, parse_query

    try:
        return [stage.verb for stage in parse_query(text).stages]
    except QueryError:
        return []


# -- plugins: one PluginManager + Tracker per dashboard session -----------------------------------

#: Plugin actions the plugins pane offers, in the order of its bindings.
PLUGIN_ACTIONS = ("install", "update", "promote", "hot-swap", "rollback", "toggle", "uninstall", "grant")
#: Tracker events the budget pane logs (calls are in its table, not its log).
LOGGED_EVENTS = frozenset(
    {
        "quarantined",
        "swapped",
        "swap-failed",
        "rolled-back",
        "violation",
        "load-failed",
        "released",
        "disabled",
    }
)
_STATUS = {"discovered": "lazy", "active": "active", "quarantined": "quarantined", "disabled": "disabled"}
CORE_PLUGIN = "core"

EventCallback = Callable[["PluginEvent"], None]


@dataclass(frozen=True)
class PluginRow:
    name: str
    version: str
    tier: str
    status: str  # active, lazy, quarantined, disabled, failed, available
    budget_us: int
    capabilities: tuple[str, ...]
    registry: str
    verbs: tuple[str, ...]
    help: str = ""
    reason: str = ""

    @property
    def installed(self) -> bool:
        return self.status != "available"


@dataclass(frozen=True)
class ActionResult:
    ok: bool
    message: str


@dataclass(frozen=True)
class ActionPlan:
    """What a plugin action will do, for the confirmation screen; ``refused`` when it cannot run."""

    action: str
    plugin: str
    title: str
    lines: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()  # versions to hot-swap to
    refused: str = ""
    confirm: str = "Confirm"


class _SyncedWatcher:
    """An :class:`InstallWatcher` whose syncs (its thread's and ours) never run at the same time."""

    def __init__(self, manager: PluginManager) -> None:
        from pt_tui.sandbox.registry.live import InstallWatcher

        self.lock = threading.Lock()
        self.inner = InstallWatcher(manager)
        unlocked = self.inner.sync

        def sync() -> list[str]:
            with self.lock:
                return unlocked()

        self.inner.sync = sync  # type: ignore[method-assign]  # the watcher thread calls self.sync

    def sync(self) -> list[str]:
        return self.inner.sync()


@dataclass
class PluginSession:
    """The dashboard's plugin host: the manager (with the core tier installed), its tracker, the
    registries, and a watcher keeping the manager in step with the installed plugins."""

    manager: PluginManager
    service: RegistryService
    watcher: _SyncedWatcher
    notes: list[str] = field(default_factory=list)
    watching: bool = False
    _unsubscribe: list[Callable[[], None]] = field(default_factory=list)

    @property
    def tracker(self) -> SandboxTracker:
        return self.manager.tracker

    def subscribe(self, callback: EventCallback) -> None:
        """Call ``callback(event)`` for each tracker event, from the thread that caused it."""
        self._unsubscribe.append(self.tracker.subscribe(callback))

    def close(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        if self.watching:
            self.watcher.inner.stop()
            self.watching = False
        self.manager.close()


def user_plugin_dirs() -> list[Path]:
    """The folders ``pt-tui plugin list`` discovers (``cli_plugin.default_plugin_dirs``):
    ``PT_TUI_PLUGIN_PATH`` (os.pathsep-separated), else the installed plugins folder."""
    import os

    from pt_tui.sandbox.registry.paths import plugins_dir

    value = os.environ.get("PT_TUI_PLUGIN_PATH")
    folders = [Path(p) for p in value.split(os.pathsep) if p] if value else [plugins_dir()]
    return [d for d in folders if d.is_dir()]


def open_plugins(
    engine: Engine | None,
    *,
    demo: bool = False,
    watch: bool = False,
    on_sync: Callable[[list[str]], None] | None = None,
    budgets: Mapping[str, PerformanceBudget] | None = None,
) -> PluginSession:
    """Start the plugin host for one dashboard (blocks on disk and git: call it from a worker).

    ``demo`` adds the bundled demo registry (a local git repository: offline). ``watch`` follows
    installs made by another process (the CLI) and hot-swaps them in, calling ``on_sync``.
    ``budgets`` are the user's overrides by plugin name (config ``budgets``): the manager loads each
    plugin with the tighter of its manifest's budget and the override, and enforces that.
    """
    from pt_tui.core.query.verbs import register_builtins
    from pt_tui.sandbox.capabilities import Grants
    from pt_tui.sandbox.errors import PluginError
    from pt_tui.sandbox.manager import ManagerConfig, PluginManager
    from pt_tui.sandbox.registry.service import RegistryService
    from pt_tui.sandbox.registry.trustpolicy import default_trust

    register_builtins()
    notes: list[str] = []
    if demo:
        from pt_tui.sandbox.registry.demo import setup_demo

        try:
            source, _trusted = setup_demo()
            notes.append(f"demo registry pinned at {source.commit[:12]}")
        except (PluginError, OSError) as exc:
            notes.append(f"demo registry unavailable: {exc}")
    # Given the engine, the manager reads the live graph, runs each plugin's prepare(isg) hook at
    # load and subscribes to the engine's GraphDiffs itself.
    config = ManagerConfig(budgets=dict(budgets or {}))
    manager = PluginManager(engine, grants=Grants(), trust=default_trust(), config=config)
    manager.install_core()
    watcher = _SyncedWatcher(manager)
    session = PluginSession(manager, RegistryService(), watcher, notes)
    watcher.sync()
    for folder in user_plugin_dirs():
        manager.discover(folder)
    if watch:
        try:
            watcher.inner.start(on_change=on_sync)
            session.watching = True
        except OSError as exc:
            notes.append(f"not following installs: {exc}")
    return session


def list_plugins(session: PluginSession | None) -> list[PluginRow]:
    """The core plugin, the plugins the manager knows, then what the registries offer besides."""
    from pt_tui.core.query import VERBS
    from pt_tui.sandbox.errors import PluginError

    builtins = tuple(sorted(n for n, spec in VERBS.items() if "[plugin " not in spec.help))
    rows = [
        PluginRow(
            CORE_PLUGIN,
            _version(),
            "core",
            "active",
            core_budget_us(),
            ("graph (direct)",),
            "built-in",
            builtins,
            "the built-in verbs",
        )
    ]
    if session is None:
        return rows
    from pt_tui.sandbox.budget import tighten

    service = session.service
    overrides = session.manager.config.budgets
    for record in session.manager.plugins():
        m = record.manifest
        # what the manager enforces: the loaded version's budget, else the manifest's tightened by
        # the user's override (as the next load will apply it)
        budget = (
            record.active.budget
            if record.active
            else tighten(m.performance_budget(), overrides.get(record.name))
        )
        try:
            state = service.store.current(record.name)
        except PluginError:
            state = None
        registry = state.current.registry if state else ("local (dev)" if record.dev else "local")
        rows.append(
            PluginRow(
                record.name,
                record.version,
                record.tier,
                _STATUS.get(record.state.value, record.state.value),
                budget.max_query_time_us,
                tuple(sorted(c.value for c in m.capabilities)),
                registry,
                record.verbs or m.verbs,
                m.description,
                record.reason,
            )
        )
    known = {row.name for row in rows}
    try:
        offers = service.catalog.search("")
    except PluginError as exc:
        session.notes.append(f"registries: {exc}")
        offers = []
    for offer in offers:
        e = offer.entry
        if e.name in known:
            continue
        rows.append(
            PluginRow(
                e.name,
                e.version,
                e.default_tier,
                "available",
                min(e.budget.max_query_time_us, _override_us(overrides.get(e.name))),
                tuple(sorted(c.value for c in e.capabilities)),
                offer.registry,
                e.query_types,
                e.description,
            )
        )
    return rows


def _override_us(override: PerformanceBudget | None) -> int:
    return sys.maxsize if override is None else override.max_query_time_us


def _offers(session: PluginSession, name: str) -> list[Offer]:
    from pt_tui.sandbox.errors import PluginError
    from pt_tui.sandbox.registry.index import version_key

    try:
        offers = session.service.catalog.offers(name)
    except PluginError:
        return []
    return sorted(offers, key=lambda o: version_key(o.entry.version))


def _installed(session: PluginSession, name: str) -> Current | None:
    from pt_tui.sandbox.errors import PluginError

    try:
        return session.service.store.current(name)
    except PluginError:
        return None


def _trust_lines(session: PluginSession, spec: str) -> list[str]:
    """The reviews of each artifact of a registry entry, as the confirmation shows them."""
    data = session.service.info(spec)
    lines = [f"from registry {data['registry']} at {data['commit'][:12]}"]
    for kind, trust in data["trust"].items():
        verdict = "approved" if trust["approved"] else "not approved"
        lines.append(f"reviews ({kind}): {trust['reviews']}/{trust['needed']} trusted, {verdict}")
    budget = data["budget"]
    lines.append(f"budget: {budget['max_query_time_us']} µs, {budget['max_memory_mb']} MB")
    return lines


def _caps_line(capabilities: Iterable[str]) -> str:
    caps = sorted(capabilities)
    return f"asks for: {', '.join(caps)} (granted on confirm)" if caps else "asks for no capability"


def plan_action(session: PluginSession | None, action: str, plugin: PluginRow) -> ActionPlan:
    """What ``action`` on ``plugin`` would do (reads registries and scans: call it from a worker)."""
    from pt_tui.sandbox.errors import PluginError

    title = f"{action} {plugin.name}"
    if action not in PLUGIN_ACTIONS:
        return ActionPlan(action, plugin.name, title, refused=f"unknown plugin action {action!r}")
    if plugin.name == CORE_PLUGIN:
        return ActionPlan(
            action, plugin.name, title, refused="the built-in verbs (core tier) cannot be changed"
        )
    if session is None:
        return ActionPlan(action, plugin.name, title, refused="the plugin host is still starting")
    try:
        return _plan(session, action, plugin, title)
    except PluginError as exc:
        return ActionPlan(action, plugin.name, title, refused=str(exc))


def _plan(session: PluginSession, action: str, plugin: PluginRow, title: str) -> ActionPlan:
    name = plugin.name
    state = _installed(session, name)
    if action == "install":
        if plugin.installed:
            return ActionPlan(action, name, title, refused=f"{name} {plugin.version} is already installed")
        lines = [
            plugin.help,
            _caps_line(plugin.capabilities),
            *_trust_lines(session, f"{name}@{plugin.version}"),
        ]
        versions = tuple(o.entry.version for o in _offers(session, name))
        return ActionPlan(action, name, f"Install {name}", tuple(lines), versions, confirm="Install")
    if not plugin.installed:
        return ActionPlan(action, name, title, refused=f"{name} is not installed (i installs it)")
    if action == "toggle":
        verb = "Enable" if plugin.status in ("disabled", "quarantined") else "Disable"
        lines = [f"status: {plugin.status}" + (f" ({plugin.reason})" if plugin.reason else "")]
        if verb == "Disable":
            lines.append(f"its verbs ({', '.join(plugin.verbs)}) stop answering until enabled")
        return ActionPlan(action, name, f"{verb} {name}", tuple(lines), confirm=verb)
    if action == "grant":
        lines = [_caps_line(plugin.capabilities), "for this exact artifact (by sha256)"]
        return ActionPlan(action, name, f"Grant {name}", tuple(lines), confirm="Grant")
    if action == "rollback":
        record = session.manager.records.get(name)
        if state is not None and state.previous is not None:
            target = f"{state.previous.version} ({state.previous.tier})"
        elif record is not None and record.previous is not None:
            target = record.previous.version
        else:
            return ActionPlan(action, name, title, refused=f"{name}: no previous version to roll back to")
        return ActionPlan(
            action, name, f"Roll {name} back", (f"{plugin.version} -> {target}",), confirm="Roll back"
        )
    if action == "uninstall":
        where = "from disk (registry install)" if state else "from this session (a local folder stays)"
        return ActionPlan(
            action,
            name,
            f"Uninstall {name}",
            (f"removes {name} {plugin.version} {where}",),
            confirm="Uninstall",
        )
    if state is None:
        return ActionPlan(action, name, title, refused=f"{name} was not installed from a registry")
    if action == "update":
        offers = _offers(session, name)
        newest = offers[-1].entry if offers else None
        if newest is None or newest.version == state.current.version:
            return ActionPlan(
                action, name, title, refused=f"{name} {state.current.version} is the newest version"
            )
        lines = [
            f"{state.current.version} -> {newest.version}",
            _caps_line(c.value for c in newest.capabilities),
        ]
        lines += _trust_lines(session, newest.spec)
        return ActionPlan(action, name, f"Update {name}", tuple(lines), confirm="Update")
    if action == "hot-swap":
        versions = tuple(
            o.entry.version for o in _offers(session, name) if o.entry.version != state.current.version
        )
        if not versions:
            return ActionPlan(action, name, title, refused=f"no other version of {name} in the registries")
        lines = [
            f"running {state.current.version}; queries in flight finish on it",
            _caps_line(plugin.capabilities),
        ]
        return ActionPlan(action, name, f"Hot-swap {name}", tuple(lines), versions, confirm="Swap")
    # promote: a dry run shows the scans and the reviews before anything changes
    promotion = session.service.promote(name, dry_run=True)
    lines = []
    for scan in promotion.scans:
        lines.append(
            f"scan {scan.kind}: {'clean' if scan.clean else 'FINDINGS'}"
            + (f" ({scan.error})" if scan.error else "")
        )
        lines += [f"  {f.severity} {f.where}: {f.message}" for f in scan.findings]
    d = promotion.decision
    lines.append(f"reviews for sha256 {promotion.sha256[:16]}…: {d.reviews}/{d.needed} - {d.reason}")
    if not d.approved:
        return ActionPlan(
            action, name, f"Promote {name}", tuple(lines), refused=f"not enough reviews: {d.reason}"
        )
    return ActionPlan(action, name, f"Promote {name} to native", tuple(lines), confirm="Promote")


def run_action(session: PluginSession | None, plan: ActionPlan, choice: str = "") -> ActionResult:
    """Carry out a confirmed plan (blocks: call it from a worker). Registry changes are written to
    disk, then swapped into the running manager; the manager records each swap in its tracker."""
    from pt_tui.sandbox.errors import PluginError

    if session is None or plan.refused:
        return ActionResult(False, plan.refused or "the plugin host is still starting")
    try:
        message = _run(session, plan, choice)
    except PluginError as exc:
        return ActionResult(False, str(exc))
    return ActionResult(True, message)


def _run(session: PluginSession, plan: ActionPlan, choice: str) -> str:
    service, manager, name = session.service, session.manager, plan.plugin
    state = _installed(session, name)
    if plan.action == "toggle":
        record = manager.get(name)
        if record.state.value in ("disabled", "quarantined"):
            manager.enable(name)
            return f"{name} enabled: it loads on next use"
        manager.disable(name)
        return f"{name} disabled"
    if plan.action == "grant":
        if state is not None:
            granted = service.grant(name, [])
        else:
            record = manager.get(name)
            granted = _grants().grant(
                record.manifest.sha256(record.folder), record.manifest.capabilities, plugin=name
            )
        return f"{name}: granted {', '.join(sorted(c.value for c in granted)) or 'nothing'}"
    if plan.action == "uninstall":
        if state is None:
            manager.remove(name)
            return f"{name} removed from this session"
        change = str(service.uninstall(name))
        return _synced(session, change)
    if plan.action == "rollback" and state is None:
        loaded = manager.rollback(name)
        return f"{name} rolled back to {loaded.version}"
    if plan.action == "promote":
        promotion = service.promote(name)
        if promotion.change is None:
            return f"{name}: not promoted: {promotion.decision.reason}"
        return _synced(session, str(promotion.change))
    if plan.action == "rollback":
        return _synced(session, str(service.rollback(name)))
    if plan.action == "update":
        changes = service.update(name)
        _grant_declared(session, name)
        return _synced(session, "; ".join(str(c) for c in changes))
    spec = f"{name}@{choice}" if choice else name
    installed = service.install(spec)
    _grant_declared(session, name)
    return _synced(session, str(installed))


def _grants() -> Grants:
    from pt_tui.sandbox.capabilities import Grants

    return Grants()


def _grant_declared(session: PluginSession, name: str) -> None:
    """The confirmation listed the declared capabilities: grant them to the new artifact."""
    session.service.grant(name, [])


def _synced(session: PluginSession, change: str) -> str:
    """Swap the change on disk into the running manager; say so when the running version stayed."""
    errors = len(session.watcher.inner.errors)
    session.watcher.sync()
    failed = session.watcher.inner.errors[errors:]
    return change + (f" - not swapped in: {failed[-1]}" if failed else "")


def core_budget_us() -> int:
    """The per-query budget of a core plugin: the core tier's ceiling."""
    from pt_tui.sandbox.ceilings import CEILINGS

    return CEILINGS["core"].max_query_time_us


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("pt-tui")
    except PackageNotFoundError:
        return "dev"


# -- budgets: read from the session's tracker -----------------------------------------------------


@dataclass(frozen=True)
class BudgetEvent:
    at: float  # time.time()
    kind: str  # quarantined, swapped, violation, ...
    plugin: str
    message: str


@dataclass(frozen=True)
class PluginStats:
    plugin: str
    query: str
    calls: int
    p50_us: float
    p99_us: float
    budget_us: int
    violations: int
    memory_mb: float
    recent_us: tuple[float, ...]
    cpu_us: float = 0.0  # mean CPU time per call (0: not measured)
    cpu_percent: float = 0.0  # mean CPU time / mean wall time, in percent, at most 100 (0: not measured)


def budget_stats(session: PluginSession | None) -> list[PluginStats]:
    """Per plugin and verb: calls, p50 / p99 against the plugin's budget, violations, recent latencies,
    mean CPU time per call and its share of the wall time."""
    if session is None:
        return []
    return [
        PluginStats(
            q.plugin,
            q.query,
            q.count,
            q.p50_us,
            q.p99_us,
            q.budget_us,
            sum(q.violations.values()),
            q.memory_mb_max,
            q.recent_us,
            q.cpu_us_mean,
            min(100.0, 100.0 * q.cpu_us_mean / q.mean_us) if q.cpu_us_mean and q.mean_us > 0 else 0.0,
        )
        for q in session.tracker.snapshot().queries
        if q.count
    ]


def budget_events(session: PluginSession | None, limit: int = 500) -> list[BudgetEvent]:
    """The tracker's quarantines, swaps, violations and failures, oldest first."""
    if session is None:
        return []
    return [as_budget_event(e) for e in session.tracker.recent_events() if e.kind.value in LOGGED_EVENTS][
        -limit:
    ]


def as_budget_event(event: PluginEvent) -> BudgetEvent:
    version = f" {event.version}" if event.version else ""
    return BudgetEvent(event.time, event.kind.value, f"{event.plugin}{version}", event.detail)
