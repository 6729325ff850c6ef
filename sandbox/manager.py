"""The plugin manager: discovery, lazy loading, measured calls, quarantine, hot-swap and rollback.

At discovery a plugin's verbs (from its manifest) are registered in the query registry and its
context formats added to ``context``; the artifact loads when one is first used. Every call goes
through :meth:`PluginManager.call`, which measures wall time, thread CPU time and (on one call in
``memory_sample_every``) peak memory with tracemalloc, checks the output, and records all of it in the
tracker. A violation fails that query cleanly (:class:`PluginViolation`); ``quarantine_after``
violations within ``quarantine_window_s`` quarantine the plugin (its verbs then answer with the
reason until it is released or swapped).

Hot-swap loads and validates the new version beside the old one, hands state over if both sides
have the hooks, then switches one reference: a query already running keeps its reference to the old
version and finishes there. The old version is kept for :meth:`PluginManager.rollback`.

Time is judged on wall time minus the time the thread waited for a core (another process had it,
from Linux's schedstat), or on the thread's CPU time when another plugin call ran at the same time
(the GIL was handed over): waiting is then not the plugin's doing. A plugin that blocks (sleeps)
while other plugin calls run is therefore only caught when it runs alone.

Memory is sampled, not traced on every call: tracemalloc slows every allocation of the process while
it runs and sees other threads' allocations too. So one call in ``memory_sample_every`` is traced,
only if it starts alone (no other plugin call running) and nothing else uses tracemalloc; the peak
is an upper bound of the plugin's, judged only when no other call ran meanwhile, and a traced call is
judged on memory, not time (tracing slows it down).
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
import tracemalloc
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from pt_tui.core.isg import ISG
from pt_tui.core.query.registry import VERBS, Call, Option, Param, VerbSpec, register_verb, unregister_verb
from pt_tui.core.query.result import Output, ResultRow
from pt_tui.core.query.syntax import Value
from pt_tui.core.query.types import Entity, Integer, Kinds, Text, ValueType
from pt_tui.core.query.verbs.context import EXTRA_FORMATS, add_context_format, remove_context_format
from pt_tui.sandbox.api import Capability, Context, PerformanceBudget, QueryRequest, QueryType
from pt_tui.sandbox.budget import RUNS, waited_ns
from pt_tui.sandbox.capabilities import Grants
from pt_tui.sandbox.errors import (
    CapabilityRefused,
    ManifestError,
    PluginError,
    PluginViolation,
    Quarantined,
    ViolationKind,
)
from pt_tui.sandbox.loader import LoadedPlugin, LoadOptions, load_plugin
from pt_tui.sandbox.manifest import MANIFEST_FILE, Manifest, load_manifest
from pt_tui.sandbox.tiers import core as core_tier
from pt_tui.sandbox.tracker import EventKind, Tracker
from pt_tui.sandbox.trust import TrustPolicy

if TYPE_CHECKING:
    from pt_tui.core.diff import GraphDiff
    from pt_tui.core.model import Node

MAX_TEXT = 1 << 20  # characters of text a plugin may return before it is cut


class GraphSource(Protocol):
    """What the manager needs of an engine: the current graph (``Engine`` fits)."""

    @property
    def isg(self) -> ISG: ...


class State(StrEnum):
    DISCOVERED = "discovered"  # verbs registered, artifact not loaded yet
    ACTIVE = "active"
    DISABLED = "disabled"
    QUARANTINED = "quarantined"
    FAILED = "failed"


@dataclass
class ManagerConfig:
    quarantine_after: int = 3
    quarantine_window_s: float = 60.0
    memory_sample_every: int = 32  # tracemalloc on one call in N (0: never)
    overrun_factor: float = 1.0  # a call over budget x factor is a timeout violation
    update_budget_ms: float = 12.0
    result_limit: int = 1000
    calibrate: bool = True
    calibration_runs: int = RUNS
    reject_factor: float = 3.0
    budgets: dict[str, PerformanceBudget] = field(default_factory=dict)  # user overrides, by plugin
    run_in: dict[str, str] = field(default_factory=dict)  # "process" | "worker", by plugin
    worker_argv: tuple[str, ...] | None = None
    worker_slack_ms: float = 200.0


@dataclass
class PluginRecord:
    """One plugin the manager knows, with its active and previous loaded versions."""

    name: str
    folder: Path
    manifest: Manifest
    dev: bool = False
    state: State = State.DISCOVERED
    reason: str = ""
    active: LoadedPlugin | None = None
    previous: LoadedPlugin | None = None
    violations: deque[float] = field(default_factory=deque)
    verbs: tuple[str, ...] = ()
    formats: tuple[str, ...] = ()
    lock: threading.RLock = field(default_factory=threading.RLock)

    @property
    def version(self) -> str:
        return self.active.version if self.active else self.manifest.version

    @property
    def tier(self) -> str:
        return self.active.tier if self.active else self.manifest.tier


class PluginManager:
    def __init__(
        self,
        engine: GraphSource | Callable[[], ISG] | ISG | None = None,
        tracker: Tracker | None = None,
        grants: Grants | None = None,
        trust: TrustPolicy | None = None,
        config: ManagerConfig | None = None,
        *,
        root: Path | None = None,
    ) -> None:
        self.tracker = tracker or Tracker()
        self.grants = grants
        self.trust = trust
        self.config = config or ManagerConfig()
        self.records: dict[str, PluginRecord] = {}
        self._engine = engine
        self.root = root if root is not None else getattr(engine, "root", None)
        self._lock = threading.RLock()
        self._memory_lock = threading.Lock()
        self._inflight_lock = threading.Lock()
        self._inflight = 0  # plugin calls running now
        self._contended_since = 0  # bumped by every call that started while another was running
        self._verb_owner: dict[str, str] = {}
        self._unsubscribe: Callable[[], None] | None = None
        self._core_installed = False
        self.view_refresh_ms = 0.0  # what the last patch of the shared graph view took
        subscribe = getattr(engine, "subscribe", None)
        if callable(subscribe):
            self._unsubscribe = subscribe(self.on_graph_update)

    # -- the graph ----------------------------------------------------------------------------

    def graph(self) -> ISG:
        engine = self._engine
        if isinstance(engine, ISG):
            return engine
        if engine is None:
            return ISG()
        if callable(engine):
            return engine()
        return engine.isg

    # -- discovery ----------------------------------------------------------------------------

    def install_core(self) -> core_tier.CorePlugin:
        """Time the built-in verbs into this manager's tracker (the core tier) until :meth:`close`."""
        self._core_installed = True
        return core_tier.install(self.tracker)

    def discover(self, *folders: str | Path, dev: bool = False) -> list[PluginRecord]:
        """Add every plugin folder (one holding ``plugin.toml``) found at most 3 levels below each
        folder. Invalid ones are recorded as failed with the reason; the others are registered."""
        found: list[PluginRecord] = []
        for top in folders:
            base = Path(top)
            candidates = (
                [base]
                if (base / MANIFEST_FILE).is_file()
                else sorted(
                    p.parent
                    for pattern in ("*/", "*/*/", "*/*/*/")
                    for p in base.glob(pattern + MANIFEST_FILE)
                )
            )
            for folder in candidates:
                try:
                    found.append(self.add(folder, dev=dev))
                except PluginError:
                    continue  # recorded as failed (or a duplicate): visible in list()
        return found

    def add(self, folder: str | Path, *, dev: bool = False) -> PluginRecord:
        """Register one plugin folder lazily: its verbs and formats are usable, the artifact unloaded."""
        path = Path(folder).resolve()
        try:
            manifest = load_manifest(path)
        except ManifestError as exc:
            name = f"?{path.name}"
            self.tracker.set_status(name, state=State.FAILED.value, reason=str(exc))
            self.tracker.event(EventKind.LOAD_FAILED, name, str(exc))
            raise
        with self._lock:
            existing = self.records.get(manifest.name)
            if existing is not None and existing.folder != path:
                raise PluginError(f"{manifest.name}: already added from {existing.folder}")
            if existing is not None:
                return existing
            record = PluginRecord(manifest.name, path, manifest, dev=dev)
            try:
                self._register(record, manifest)
            except PluginError as exc:
                record.state, record.reason = State.FAILED, str(exc)
                self.records[manifest.name] = record
                self._status(record)
                self.tracker.event(EventKind.LOAD_FAILED, record.name, str(exc), version=manifest.version)
                raise
            self.records[manifest.name] = record
        self._status(record)
        self.tracker.event(EventKind.DISCOVERED, record.name, str(path), version=manifest.version)
        return record

    def get(self, name: str) -> PluginRecord:
        record = self.records.get(name)
        if record is None:
            raise PluginError(f"no plugin named {name!r}")
        return record

    # -- registration -------------------------------------------------------------------------

    def _register(self, record: PluginRecord, manifest: Manifest) -> None:
        """(Re-)register the verbs and formats of ``manifest`` for ``record``, all or nothing."""
        with self._lock:
            for verb in manifest.verbs:
                owner = self._verb_owner.get(verb)
                if (owner is None and verb in VERBS) or (owner is not None and owner != record.name):
                    raise PluginError(
                        f"{record.name}: verb {verb!r} is already registered by {owner or 'core'}"
                    )
            for fmt in manifest.context_formats:
                if fmt in EXTRA_FORMATS and fmt not in record.formats:
                    raise PluginError(f"{record.name}: context format {fmt!r} is already added")
            specs = [self._spec(record, qt) for qt in manifest.query_types]
            self._unregister(record)
            for spec in specs:
                register_verb(spec, replace=True)
                self._verb_owner[spec.name] = record.name
            for fmt in manifest.context_formats:
                add_context_format(fmt, self._renderer(record, fmt))
            record.verbs = manifest.verbs
            record.formats = manifest.context_formats

    def _unregister(self, record: PluginRecord) -> None:
        with self._lock:
            for verb in record.verbs:
                if self._verb_owner.get(verb) == record.name:
                    unregister_verb(verb)
                    del self._verb_owner[verb]
            for fmt in record.formats:
                remove_context_format(fmt)
            record.verbs, record.formats = (), ()

    def _spec(self, record: PluginRecord, qt: QueryType) -> VerbSpec:
        params = tuple(
            Param(p.name, _value_type(p.type), p.help, p.required, _default(p.type, p.default))
            for p in qt.params
        )
        options = tuple(
            Option(o.name, _value_type(o.type), _default(o.type, o.default), o.help) for o in qt.options
        )
        entity_names = frozenset(p.name for p in (*qt.params, *qt.options) if p.type == "entity")
        verb, name, limit = qt.name, record.name, self.config.result_limit

        def handler(call: Call) -> Output:
            request = QueryRequest(
                verb=verb,
                args={k: v for k, v in call.values.items() if k not in entity_names},
                entities={k: tuple(n.id for n in nodes) for k, nodes in call.entities.items()},
                inputs=None if call.inputs is None else tuple(n.id for n in call.inputs),
                limit=limit,
            )
            return self.call(name, request, call.isg)

        help_text = f"{qt.help} [plugin {name}]" if qt.help else f"[plugin {name}]"
        return VerbSpec(verb, handler, params, options, help_text, qt.feeds, qt.takes_input)

    def _renderer(
        self, record: PluginRecord, fmt: str
    ) -> Callable[[ISG, Node, Path | None, int], tuple[str, dict[str, Any]]]:
        name = record.name

        def render(isg: ISG, node: Node, root: Path | None, max_tokens: int) -> tuple[str, dict[str, Any]]:
            ctx = self.context(name, node, isg, fmt=fmt)
            text = ctx.text if len(ctx.text) <= max_tokens * 4 else ctx.text[: max_tokens * 4]
            return text, dict(ctx.data)

        return render

    # -- loading ------------------------------------------------------------------------------

    def _options(self, name: str) -> LoadOptions:
        c = self.config
        return LoadOptions(
            budget_override=c.budgets.get(name),
            run_in=c.run_in.get(name),
            calibrate=c.calibrate,
            calibration_runs=c.calibration_runs,
            reject_factor=c.reject_factor,
            root=lambda: self.root,
            worker_argv=c.worker_argv,
            worker_slack_ms=c.worker_slack_ms,
        )

    def load(self, name: str) -> LoadedPlugin:
        """Load (if needed) and return the active version; raises the load error, recording it."""
        record = self.get(name)
        loaded = record.active
        if loaded is not None:
            return loaded
        with record.lock:
            if record.active is not None:
                return record.active
            if record.state is State.QUARANTINED:
                raise Quarantined(f"{name} is quarantined: {record.reason}")
            if record.state is State.DISABLED:
                raise PluginError(f"{name} is disabled")
            try:
                loaded = load_plugin(
                    record.folder,
                    grants=self.grants,
                    trust=self.trust,
                    dev=record.dev,
                    options=self._options(name),
                )
                if loaded.name != name:
                    loaded.close()
                    raise PluginError(
                        f"{record.folder}: the manifest now names {loaded.name!r}, not {name!r}"
                    )
                if loaded.manifest.verbs != record.verbs or loaded.manifest.context_formats != record.formats:
                    self._register(record, loaded.manifest)
                self._prepare(record, loaded)
            except PluginError as exc:
                record.state, record.reason = State.FAILED, str(exc)
                self._status(record)
                self.tracker.event(EventKind.LOAD_FAILED, name, str(exc), version=record.manifest.version)
                raise
            self._hook_restarts(loaded)
            record.active, record.manifest = loaded, loaded.manifest
            record.state, record.reason = State.ACTIVE, ("dev: untrusted local plugin" if record.dev else "")
            self._status(record)
            self.tracker.event(
                EventKind.LOADED, name, f"{loaded.tier} in {loaded.load_ms:.1f} ms", version=loaded.version
            )
            return loaded

    def _prepare(self, record: PluginRecord, loaded: LoadedPlugin) -> None:
        """Run the optional ``prepare(isg)`` hook (per-graph caches) before the version serves queries.

        It is timed into the tracker as ``prepare`` but judged against no budget: it is part of the load.
        A failing hook fails the load.
        """
        prepare = getattr(loaded.plugin, "prepare", None)
        if not callable(prepare) or self._engine is None:
            return
        started = time.perf_counter_ns()
        try:
            prepare(self.graph())
        except Exception as exc:
            loaded.close()
            raise PluginError(f"{record.name}: prepare failed: {type(exc).__name__}: {exc}") from exc
        self.tracker.record(
            record.name, "prepare", (time.perf_counter_ns() - started) / 1000, tier=loaded.tier
        )

    def _hook_restarts(self, loaded: LoadedPlugin) -> None:
        if hasattr(loaded.plugin, "on_restart"):
            name, version = loaded.name, loaded.version

            def restarted(detail: str) -> None:
                self.tracker.event(EventKind.WORKER_RESTARTED, name, detail, version=version)

            loaded.plugin.on_restart = restarted

    def unload(self, name: str) -> None:
        """Free the loaded versions; the verbs stay registered and load again on use."""
        record = self.get(name)
        with record.lock:
            for loaded in (record.active, record.previous):
                if loaded is not None:
                    loaded.close()
            record.active = record.previous = None
            if record.state is State.ACTIVE or record.state is State.FAILED:
                record.state, record.reason = State.DISCOVERED, ""
            self._status(record)
        self.tracker.event(EventKind.UNLOADED, name)

    def disable(self, name: str, reason: str = "disabled by the user") -> None:
        record = self.get(name)
        with record.lock:
            self.unload(name)
            self._unregister(record)
            record.state, record.reason = State.DISABLED, reason
            self._status(record)
        self.tracker.event(EventKind.DISABLED, name, reason)

    def enable(self, name: str) -> None:
        """Register a disabled plugin's verbs again, or lift a quarantine; it loads on next use."""
        record = self.get(name)
        with record.lock:
            was = record.state
            if was is State.DISABLED:
                self._register(record, record.manifest)
            record.violations.clear()
            record.state, record.reason = State.DISCOVERED, ""
            self._status(record)
        self.tracker.event(EventKind.RELEASED if was is State.QUARANTINED else EventKind.ENABLED, name)

    release = enable

    def remove(self, name: str) -> None:
        """Forget a plugin entirely (unload, unregister)."""
        record = self.get(name)
        with record.lock:
            self.unload(name)
            self._unregister(record)
        with self._lock:
            self.records.pop(name, None)

    # -- hot-swap and rollback ----------------------------------------------------------------

    def swap(self, name: str, folder: str | Path, *, dev: bool | None = None) -> LoadedPlugin:
        """Replace ``name`` by the version in ``folder``; on any failure the old one keeps running."""
        record = self.get(name)
        with record.lock:
            if record.active is None and record.state in (State.DISCOVERED, State.FAILED):
                # the running version is the one to hand state over from and to roll back to
                with contextlib.suppress(PluginError):
                    self.load(name)
            use_dev = record.dev if dev is None else dev
            try:
                new = load_plugin(
                    folder, grants=self.grants, trust=self.trust, dev=use_dev, options=self._options(name)
                )
            except PluginError as exc:
                self.tracker.event(EventKind.SWAP_FAILED, name, str(exc))
                raise
            try:
                if new.name != name:
                    raise PluginError(f"{folder}: holds plugin {new.name!r}, not {name!r}")
                old = record.active
                if old is not None:
                    accept = getattr(new.plugin, "accept_state", None)
                    handover = getattr(old.plugin, "handover_state", None)
                    if callable(accept) and callable(handover):
                        accept(handover())
                self._prepare(record, new)  # after the hand-over: cheap when the state came with caches
                self._register(record, new.manifest)
            except Exception as exc:
                new.close()
                self.tracker.event(EventKind.SWAP_FAILED, name, f"{type(exc).__name__}: {exc}")
                if isinstance(exc, PluginError):
                    raise
                raise PluginError(f"{name}: state hand-over failed: {type(exc).__name__}: {exc}") from exc
            self._hook_restarts(new)
            if record.previous is not None and record.previous is not old:
                record.previous.close()
            record.previous = old
            record.active, record.manifest, record.folder, record.dev = new, new.manifest, new.folder, use_dev
            record.state, record.reason = State.ACTIVE, ("dev: untrusted local plugin" if use_dev else "")
            record.violations.clear()
            self._status(record)
        before = old.version if old else "unloaded"
        self.tracker.event(EventKind.SWAPPED, name, f"{before} -> {new.version}", version=new.version)
        return new

    def rollback(self, name: str) -> LoadedPlugin:
        """Make the previous version active again (the current one becomes the previous)."""
        record = self.get(name)
        with record.lock:
            previous = record.previous
            if previous is None:
                raise PluginError(f"{name}: no previous version to roll back to")
            self._register(record, previous.manifest)
            record.previous, record.active = record.active, previous
            record.manifest, record.folder, record.dev = previous.manifest, previous.folder, previous.dev
            record.state, record.reason = State.ACTIVE, ""
            record.violations.clear()
            self._status(record)
        self.tracker.event(EventKind.ROLLED_BACK, name, f"to {previous.version}", version=previous.version)
        return previous

    # -- calls --------------------------------------------------------------------------------

    def _ready(self, name: str) -> tuple[PluginRecord, LoadedPlugin]:
        record = self.records.get(name)
        if record is None:
            raise PluginError(f"no plugin named {name!r}")
        if record.state is State.QUARANTINED:
            raise Quarantined(f"{name} is quarantined: {record.reason}")
        loaded = record.active
        return record, loaded if loaded is not None else self.load(name)

    def call(self, name: str, request: QueryRequest, isg: ISG | None = None) -> Output:
        """Run one query on the plugin's active version, measured and checked."""
        record, loaded = self._ready(name)
        graph = isg if isg is not None else self.graph()
        view = graph if Capability.GRAPH_READ in loaded.granted else _EMPTY
        m = self._measured(loaded, lambda: loaded.plugin.execute_query(request, view))
        if m.error is None:
            try:
                checked = _check_output(name, m.out, graph, request.limit)
            except PluginViolation as exc:
                m.error = exc
        self._account(record, loaded, request.verb, m)
        if m.error is not None:
            raise m.error
        return checked

    def context(self, name: str, node: Node, isg: ISG | None = None, *, fmt: str = "") -> Context:
        """One entity's context from a context plugin, measured like a query."""
        record, loaded = self._ready(name)
        graph = isg if isg is not None else self.graph()
        view = graph if Capability.GRAPH_READ in loaded.granted else _EMPTY
        m = self._measured(loaded, lambda: loaded.plugin.generate_context(node, view))
        if m.error is None and not isinstance(m.out, Context):
            detail = f"generate_context returned {type(m.out).__name__}"
            m.error = PluginViolation(name, ViolationKind.MALFORMED, detail)
        self._account(record, loaded, f"context:{fmt}" if fmt else "context", m)
        if m.error is not None:
            raise m.error
        assert isinstance(m.out, Context)
        return m.out

    def _measured(self, loaded: LoadedPlugin, run: Callable[[], Any]) -> _Measure:
        with self._inflight_lock:
            self._inflight += 1
            contended = self._inflight > 1
            self._contended_since += 1 if contended else 0
            mark = self._contended_since
        every = self.config.memory_sample_every
        # tracemalloc slows every thread while it runs: only a call running alone is sampled
        sampled = bool(every) and next(loaded.calls) % every == every - 1 and not contended
        traced = sampled and self._start_tracing()
        waited = waited_ns()
        cpu0 = time.thread_time_ns()
        t0 = time.perf_counter_ns()
        m = _Measure()
        try:
            m.out = run()
        except PluginViolation as exc:
            m.error = exc
        except CapabilityRefused as exc:
            m.error = _violation(loaded.name, ViolationKind.CAPABILITY, str(exc), exc)
        except MemoryError as exc:
            m.error = _violation(loaded.name, ViolationKind.MEMORY, f"MemoryError: {exc}", exc)
        except Exception as exc:  # RecursionError included: the stack unwound, the host is fine
            m.error = _violation(loaded.name, ViolationKind.TRAP, f"{type(exc).__name__}: {exc}", exc)
        except BaseException:  # KeyboardInterrupt, SystemExit from a plugin...: not counted as running
            with self._inflight_lock:
                self._inflight -= 1
            raise
        m.wall = (time.perf_counter_ns() - t0) / 1000
        m.cpu = (time.thread_time_ns() - cpu0) / 1000
        after = waited_ns()
        m.waited = 0.0 if waited is None or after is None else (after - waited) / 1000
        with self._inflight_lock:
            self._inflight -= 1
            m.contended = contended or self._contended_since != mark
        if traced:
            m.memory, m.traced = self._stop_tracing(), True
        usage = getattr(loaded.plugin, "last_usage", None)  # a worker reports its own figures
        if callable(usage):
            remote = usage()
            if remote is not None:
                m.wall, m.cpu, m.memory = remote
                m.traced = m.contended = False
                m.waited = 0.0
        return m

    def _start_tracing(self) -> bool:
        if tracemalloc.is_tracing() or not self._memory_lock.acquire(blocking=False):
            return False
        tracemalloc.start()
        return True

    def _stop_tracing(self) -> float:
        try:
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        finally:
            self._memory_lock.release()
        return peak / (1024 * 1024)

    def _account(self, record: PluginRecord, loaded: LoadedPlugin, query: str, m: _Measure) -> None:
        """Record the call; count its violation, or an overrun of time (untraced calls only) or memory."""
        budget = loaded.budget
        self.tracker.record(
            record.name,
            query,
            m.wall,
            tier=loaded.tier,
            budget_us=budget.max_query_time_us,
            cpu_us=m.cpu,
            memory_mb=m.memory,
            error=None if m.error is None else str(m.error),
        )
        if m.error is not None:
            self._count(record, loaded, query, m.error)
            return
        spent = m.cpu if m.contended else m.wall - m.waited  # others' time on the core is not the plugin's
        if not m.traced and spent > budget.max_query_time_us * self.config.overrun_factor:
            detail = f"took {spent:.0f} us, budget {budget.max_query_time_us} us"
            self._count(record, loaded, query, PluginViolation(record.name, ViolationKind.TIMEOUT, detail))
        if m.memory is not None and not m.contended and m.memory > budget.max_memory_mb:
            detail = f"peak {m.memory:.1f} MB, budget {budget.max_memory_mb:g} MB"
            self._count(record, loaded, query, PluginViolation(record.name, ViolationKind.MEMORY, detail))

    def _count(self, record: PluginRecord, loaded: LoadedPlugin, query: str, error: PluginViolation) -> None:
        self.tracker.violation(record.name, query, error.kind, error.detail, version=loaded.version)
        now = time.monotonic()
        window, limit = self.config.quarantine_window_s, self.config.quarantine_after
        with record.lock:
            if record.active is not loaded:  # a violation of a version already swapped out
                return
            record.violations.append(now)
            while record.violations and now - record.violations[0] > window:
                record.violations.popleft()
            if limit and len(record.violations) >= limit and record.state is not State.QUARANTINED:
                count = len(record.violations)
                reason = f"{count} violations in {window:g} s, last: {error.kind.value}: {error.detail}"
                self.quarantine(record.name, reason)

    def quarantine(self, name: str, reason: str) -> None:
        """Disable a plugin visibly: its verbs stay and answer with ``reason`` until released."""
        record = self.get(name)
        with record.lock:
            record.state, record.reason = State.QUARANTINED, reason
            loaded, record.active = record.active, None
            self._status(record)
        if loaded is not None and loaded is not record.previous:
            loaded.close()
        self.tracker.event(EventKind.QUARANTINED, name, reason, version=record.manifest.version)

    # -- graph updates ------------------------------------------------------------------------

    def on_graph_update(self, diff: GraphDiff) -> None:
        """Forward a graph change to every active plugin with the hook, each within the update budget."""
        self._refresh_view(diff)
        budget_us = self.config.update_budget_ms * 1000
        for record in list(self.records.values()):
            loaded = record.active
            hook = getattr(loaded.plugin, "on_graph_update", None) if loaded is not None else None
            if loaded is None or not callable(hook) or not getattr(loaded.plugin, "has_update_hook", True):
                continue
            started = time.perf_counter_ns()
            try:
                hook(diff)
            except Exception as exc:
                error = PluginViolation(
                    record.name, ViolationKind.TRAP, f"on_graph_update: {type(exc).__name__}: {exc}"
                )
                self._count(record, loaded, "on_graph_update", error)
                continue
            elapsed = (time.perf_counter_ns() - started) / 1000
            self.tracker.record(
                record.name, "on_graph_update", elapsed, tier=loaded.tier, budget_us=int(budget_us)
            )
            if elapsed > budget_us:
                limit_ms = self.config.update_budget_ms
                detail = f"on_graph_update took {elapsed / 1000:.1f} ms, budget {limit_ms:g} ms"
                self._count(
                    record,
                    loaded,
                    "on_graph_update",
                    PluginViolation(record.name, ViolationKind.TIMEOUT, detail),
                )

    def _refresh_view(self, diff: GraphDiff) -> None:
        """Patch the shared graph view of ABI plugins to the new generation from ``diff``, here on the
        updating thread rather than in the next query (only once such a plugin made a view)."""
        view = sys.modules.get("pt_tui.sandbox.wasm.view")
        if view is None:
            return
        view.note_diff(self.graph(), diff)
        read = getattr(self._engine, "read", None)
        if not callable(read):
            return
        started = time.perf_counter_ns()
        with read() as isg:
            if isg.generation != diff.generation:
                return  # a newer change is applied already: its own callback refreshes
            if view.refresh(isg) is None:
                return
        self.view_refresh_ms = (time.perf_counter_ns() - started) / 1e6

    # -- reading ------------------------------------------------------------------------------

    def _status(self, record: PluginRecord) -> None:
        tier = record.tier + (" (dev)" if record.dev else "")
        self.tracker.set_status(
            record.name, version=record.version, tier=tier, state=record.state.value, reason=record.reason
        )

    def plugins(self) -> list[PluginRecord]:
        return sorted(self.records.values(), key=lambda r: r.name)

    def close(self) -> None:
        """Unload and unregister everything, and stop following the engine."""
        for name in list(self.records):
            self.remove(name)
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._core_installed:
            core_tier.uninstall()
            self._core_installed = False

    def __enter__(self) -> PluginManager:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_EMPTY = ISG()


@dataclass(slots=True)
class _Measure:
    """One call: its result or violation, wall and CPU time (us), peak memory (MB) when sampled."""

    out: Any = None
    error: PluginViolation | None = None
    wall: float = 0.0
    cpu: float = 0.0
    memory: float | None = None
    traced: bool = False  # slowed by tracemalloc: judged on memory only
    waited: float = 0.0  # us the thread waited for a core (another process had it): not the plugin's
    contended: bool = False  # another plugin call ran meanwhile (GIL hand-offs): judged on CPU time


def _violation(plugin: str, kind: ViolationKind, detail: str, cause: BaseException) -> PluginViolation:
    error = PluginViolation(plugin, kind, detail)
    error.__cause__ = cause
    return error


def _value_type(kind: str) -> ValueType:
    if kind == "entity":
        return Entity()
    if kind == "int":
        return Integer()
    if kind == "kind":
        return Kinds()
    return Text()


def _default(kind: str, value: str | int | None) -> Value | None:
    if value is None or kind != "kind":
        return value
    return Kinds().convert(str(value))


def _check_output(plugin: str, out: object, isg: ISG, limit: int) -> Output:
    """The plugin's output with its rows bound to the graph's own nodes, or a ``malformed`` violation."""
    if not isinstance(out, Output):
        raise PluginViolation(plugin, ViolationKind.MALFORMED, f"returned {type(out).__name__}, not Output")
    if not isinstance(out.rows, list) or not isinstance(out.notes, list) or not isinstance(out.data, dict):
        raise PluginViolation(plugin, ViolationKind.MALFORMED, "rows and notes must be lists, data a dict")
    if not isinstance(out.text, str) or not all(isinstance(n, str) for n in out.notes):
        raise PluginViolation(plugin, ViolationKind.MALFORMED, "text and notes must be strings")
    nodes = isg.nodes
    rows: list[ResultRow] = []
    changed = len(out.rows) > limit
    for i, row in enumerate(out.rows[:limit]):
        node = getattr(row, "node", None) if isinstance(row, ResultRow) else None
        own = nodes.get(node.id) if node is not None and isinstance(getattr(node, "id", None), str) else None
        if own is None:
            what = "not a ResultRow" if not isinstance(row, ResultRow) else "an entity not in the graph"
            raise PluginViolation(plugin, ViolationKind.MALFORMED, f"row {i}: {what}")
        if row.node is not own:
            changed = True
            row = ResultRow(node=own, distance=row.distance, via=row.via, detail=row.detail, group=row.group)
        rows.append(row)
    notes = list(out.notes)
    if len(out.rows) > limit:
        notes.append(f"{plugin}: {len(out.rows)} rows cut to {limit}")
    text = out.text
    if len(text) > MAX_TEXT:
        text = text[:MAX_TEXT]
        notes.append(f"{plugin}: text cut to {MAX_TEXT} characters")
    if not changed and text is out.text:
        return out
    return Output(rows=rows, text=text, data=out.data, notes=notes)
