"""The budget tracker: every plugin call, violation and lifecycle event, thread-safe.

Per (plugin, query type) it keeps a log-bucketed latency histogram (16 buckets per doubling, so a
percentile is within ~4.5% of the true value; the max is exact), CPU time, sampled memory, violations
by kind and the last error. Lifecycle events (load, swap, quarantine, ...) go to a bounded deque of
recent events and to subscribers (the dashboard's budget monitor). Recording a call costs about a
microsecond: one dict lookup, one ``math.log2`` and a short critical section.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from enum import StrEnum

import msgspec

from pt_tui.sandbox.errors import ViolationKind

log = logging.getLogger(__name__)

_SUB_BUCKETS = 16  # buckets per doubling
_MIN_US = 0.01  # values below land in bucket 0
_BUCKETS = _SUB_BUCKETS * 40  # 0.01 us .. ~1.1e10 us
_RECENT_LATENCIES = 256


class Histogram:
    """Log-spaced latency histogram (not locked: its owner holds the lock)."""

    __slots__ = ("count", "counts", "max", "min", "total")

    def __init__(self) -> None:
        self.counts = [0] * _BUCKETS
        self.count = 0
        self.total = 0.0
        self.max = 0.0
        self.min = math.inf

    @staticmethod
    def bucket(value_us: float) -> int:
        if value_us <= _MIN_US:
            return 0
        return min(_BUCKETS - 1, int(math.log2(value_us / _MIN_US) * _SUB_BUCKETS) + 1)

    @staticmethod
    def upper(bucket: int) -> float:
        return float(_MIN_US * 2 ** (bucket / _SUB_BUCKETS)) if bucket else _MIN_US

    def add(self, value_us: float) -> None:
        self.counts[self.bucket(value_us)] += 1
        self.count += 1
        self.total += value_us
        if value_us > self.max:
            self.max = value_us
        if value_us < self.min:
            self.min = value_us

    def percentile(self, q: float) -> float:
        """The ``q``-th percentile (0-100), as its bucket's upper bound clamped to [min, max]."""
        if not self.count:
            return 0.0
        rank = max(1, math.ceil(self.count * q / 100))
        seen = 0
        for i, n in enumerate(self.counts):
            seen += n
            if seen >= rank:
                return min(self.max, max(self.min, self.upper(i)))
        return self.max


class EventKind(StrEnum):
    DISCOVERED = "discovered"
    LOADED = "loaded"
    LOAD_FAILED = "load-failed"
    UNLOADED = "unloaded"
    ENABLED = "enabled"
    DISABLED = "disabled"
    SWAPPED = "swapped"
    SWAP_FAILED = "swap-failed"
    ROLLED_BACK = "rolled-back"
    VIOLATION = "violation"
    QUARANTINED = "quarantined"
    RELEASED = "released"
    WORKER_RESTARTED = "worker-restarted"


class PluginEvent(msgspec.Struct, frozen=True, kw_only=True):
    time: float  # time.time()
    kind: EventKind
    plugin: str
    detail: str = ""
    version: str = ""


class QueryStats(msgspec.Struct, frozen=True, kw_only=True):
    """A snapshot of one (plugin, query type)."""

    plugin: str
    query: str
    tier: str
    count: int
    errors: int
    p50_us: float
    p95_us: float
    p99_us: float
    max_us: float
    mean_us: float
    cpu_us_mean: float
    memory_mb_max: float  # peak of the sampled calls (0 when none was sampled)
    memory_samples: int
    budget_us: int
    violations: dict[str, int]
    last_error: str
    recent_us: tuple[float, ...]  # the latest latencies, oldest first (for a plot)


class PluginStatus(msgspec.Struct, frozen=True, kw_only=True):
    plugin: str
    version: str = ""
    tier: str = ""
    state: str = ""
    reason: str = ""


class Snapshot(msgspec.Struct, frozen=True, kw_only=True):
    queries: tuple[QueryStats, ...]
    plugins: tuple[PluginStatus, ...]
    events: tuple[PluginEvent, ...]


class Series:
    """The statistics of one (plugin, query type). :meth:`add` is the hot path of every call."""

    __slots__ = (
        "budget_us",
        "cpu_count",
        "cpu_total",
        "errors",
        "hist",
        "last_error",
        "lock",
        "memory_max",
        "memory_samples",
        "recent",
        "tier",
        "violations",
    )

    def __init__(self, tier: str, budget_us: int) -> None:
        self.lock = threading.Lock()
        self.hist = Histogram()
        self.tier = tier
        self.budget_us = budget_us
        self.errors = 0
        self.cpu_total = 0.0
        self.cpu_count = 0
        self.memory_max = 0.0
        self.memory_samples = 0
        self.violations: dict[str, int] = {}
        self.last_error = ""
        self.recent: deque[float] = deque(maxlen=_RECENT_LATENCIES)

    def add(self, wall_us: float, cpu_us: float | None = None) -> None:
        """One call's wall time, and its CPU time when measured (the histogram update inlined: this
        runs on every query)."""
        bucket = int(_log2(wall_us * _INV_MIN) * _SUB_BUCKETS) + 1 if wall_us > _MIN_US else 0
        with self.lock:
            if cpu_us is not None:
                self.cpu_total += cpu_us
                self.cpu_count += 1
            h = self.hist
            h.counts[bucket if bucket < _BUCKETS else _BUCKETS - 1] += 1
            h.count += 1
            h.total += wall_us
            if wall_us > h.max:
                h.max = wall_us
            if wall_us < h.min:
                h.min = wall_us
            self.recent.append(wall_us)


_log2 = math.log2
_INV_MIN = 1 / _MIN_US


Subscriber = Callable[[PluginEvent], None]


class Tracker:
    """Thread-safe store of call statistics and lifecycle events."""

    def __init__(self, *, max_events: int = 1000) -> None:
        self._stats: dict[tuple[str, str], Series] = {}
        self._status: dict[str, PluginStatus] = {}
        self._events: deque[PluginEvent] = deque(maxlen=max_events)
        self._subscribers: list[Subscriber] = []
        self._lock = threading.Lock()

    # -- calls --------------------------------------------------------------------------------

    def series(self, plugin: str, query: str, *, tier: str = "", budget_us: int = 0) -> Series:
        """The (created on first use) statistics of one plugin and query type; a caller on a hot path
        keeps it and calls :meth:`Series.add` directly."""
        stats = self._stats.get((plugin, query))
        if stats is None:
            with self._lock:
                stats = self._stats.setdefault((plugin, query), Series(tier, budget_us))
        return stats

    def record(
        self,
        plugin: str,
        query: str,
        wall_us: float,
        *,
        tier: str = "",
        budget_us: int = 0,
        cpu_us: float | None = None,
        memory_mb: float | None = None,
        error: str | None = None,
    ) -> None:
        """One call: its wall time, and when measured its CPU time and peak memory."""
        stats = self._stats.get((plugin, query)) or self.series(plugin, query, tier=tier, budget_us=budget_us)
        stats.add(wall_us)
        if cpu_us is None and memory_mb is None and error is None and (stats.tier or not tier):
            return
        with stats.lock:
            if tier and not stats.tier:
                stats.tier, stats.budget_us = tier, budget_us
            if cpu_us is not None:
                stats.cpu_total += cpu_us
                stats.cpu_count += 1
            if memory_mb is not None:
                stats.memory_samples += 1
                if memory_mb > stats.memory_max:
                    stats.memory_max = memory_mb
            if error is not None:
                stats.errors += 1
                stats.last_error = error

    def violation(
        self,
        plugin: str,
        query: str,
        kind: ViolationKind,
        detail: str,
        *,
        version: str = "",
        event: bool = True,
    ) -> None:
        """A broken contract: counted for the query type and (unless ``event=False``) published."""
        stats = self.series(plugin, query)
        with stats.lock:
            stats.violations[kind.value] = stats.violations.get(kind.value, 0) + 1
            stats.last_error = f"{kind.value}: {detail}"
        if event:
            self.event(EventKind.VIOLATION, plugin, f"{query}: {kind.value}: {detail}", version=version)

    # -- status and events --------------------------------------------------------------------

    def set_status(
        self, plugin: str, *, version: str = "", tier: str = "", state: str, reason: str = ""
    ) -> None:
        with self._lock:
            self._status[plugin] = PluginStatus(
                plugin=plugin, version=version, tier=tier, state=state, reason=reason
            )

    def status(self, plugin: str) -> PluginStatus | None:
        return self._status.get(plugin)

    def event(self, kind: EventKind, plugin: str, detail: str = "", *, version: str = "") -> PluginEvent:
        ev = PluginEvent(time=time.time(), kind=kind, plugin=plugin, detail=detail, version=version)
        with self._lock:
            self._events.append(ev)
            subscribers = list(self._subscribers)
        for callback in subscribers:
            try:
                callback(ev)
            except Exception:  # a broken subscriber must not break the host
                log.exception("tracker subscriber failed on %s", ev.kind)
        return ev

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call ``callback`` for every later event (from the thread that caused it); returns unsubscribe."""
        with self._lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    def recent_events(self, limit: int | None = None) -> list[PluginEvent]:
        with self._lock:
            events = list(self._events)
        return events if limit is None else events[-limit:]

    # -- reading ------------------------------------------------------------------------------

    def stats(self, plugin: str, query: str) -> QueryStats | None:
        stats = self._stats.get((plugin, query))
        return None if stats is None else _snapshot(plugin, query, stats)

    def snapshot(self) -> Snapshot:
        with self._lock:
            keys = sorted(self._stats.items())
            plugins = tuple(sorted(self._status.values(), key=lambda s: s.plugin))
            events = tuple(self._events)
        return Snapshot(
            queries=tuple(_snapshot(p, q, s) for (p, q), s in keys), plugins=plugins, events=events
        )

    def reset(self) -> None:
        with self._lock:
            self._stats.clear()
            self._events.clear()


def _snapshot(plugin: str, query: str, s: Series) -> QueryStats:
    with s.lock:
        h = s.hist
        return QueryStats(
            plugin=plugin,
            query=query,
            tier=s.tier,
            count=h.count,
            errors=s.errors,
            p50_us=h.percentile(50),
            p95_us=h.percentile(95),
            p99_us=h.percentile(99),
            max_us=h.max,
            mean_us=h.total / h.count if h.count else 0.0,
            cpu_us_mean=s.cpu_total / s.cpu_count if s.cpu_count else 0.0,
            memory_mb_max=s.memory_max,
            memory_samples=s.memory_samples,
            budget_us=s.budget_us,
            violations=dict(s.violations),
            last_error=s.last_error,
            recent_us=tuple(s.recent),
        )
