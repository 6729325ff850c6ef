"""The budget tracker: percentiles, thread safety, events and snapshots."""

from __future__ import annotations

import random
import threading

import pytest

from pt_tui.sandbox.errors import ViolationKind
from pt_tui.sandbox.tracker import EventKind, Histogram, PluginEvent, Tracker


def _exact(values: list[float], q: float) -> float:
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_percentiles_are_within_bucket_precision(seed: int) -> None:
    rng = random.Random(seed)
    values = [rng.lognormvariate(4, 1.2) for _ in range(5000)]  # ~50 us median, long tail
    h = Histogram()
    for v in values:
        h.add(v)
    for q in (50, 95, 99):
        exact = _exact(values, q)
        assert exact <= h.percentile(q) <= exact * 1.05, q  # the bucket's upper bound: at most 4.4% above
    assert h.max == max(values) and h.percentile(100) == max(values)
    assert h.count == 5000


def test_percentile_edge_cases() -> None:
    h = Histogram()
    assert h.percentile(99) == 0.0
    h.add(0.0)
    h.add(123.0)
    assert h.percentile(50) <= 0.01  # the smallest bucket
    assert h.percentile(99) == 123.0  # clamped to the real max, not the bucket bound
    big = Histogram()
    big.add(1e12)
    assert big.percentile(50) == 1e12


def test_record_and_snapshot() -> None:
    t = Tracker()
    for us in (10.0, 20.0, 30.0, 40.0):
        t.record("p", "verb", us, tier="native", budget_us=500, cpu_us=us / 2, memory_mb=None)
    t.record("p", "verb", 50.0, memory_mb=1.5, error="boom")
    s = t.stats("p", "verb")
    assert s is not None
    assert s.count == 5 and s.errors == 1 and s.last_error == "boom"
    assert s.max_us == 50.0 and s.mean_us == 30.0 and s.cpu_us_mean == 12.5
    assert s.memory_mb_max == 1.5 and s.memory_samples == 1
    assert s.tier == "native" and s.budget_us == 500
    assert s.recent_us == (10.0, 20.0, 30.0, 40.0, 50.0)
    assert t.stats("p", "other") is None
    snap = t.snapshot()
    assert [q.query for q in snap.queries] == ["verb"]


def test_violations_counted_and_published() -> None:
    t = Tracker()
    seen: list[PluginEvent] = []
    unsubscribe = t.subscribe(seen.append)
    t.violation("p", "v", ViolationKind.TIMEOUT, "slow")
    t.violation("p", "v", ViolationKind.TIMEOUT, "slow again")
    t.violation("p", "v", ViolationKind.TRAP, "crash", event=False)
    s = t.stats("p", "v")
    assert s is not None and s.violations == {"timeout": 2, "trap": 1}
    assert [e.kind for e in seen] == [EventKind.VIOLATION, EventKind.VIOLATION]
    unsubscribe()
    t.event(EventKind.QUARANTINED, "p", "too slow")
    assert len(seen) == 2
    assert t.recent_events()[-1].kind == EventKind.QUARANTINED


def test_broken_subscriber_does_not_break_the_host() -> None:
    t = Tracker()

    def broken(event: PluginEvent) -> None:
        raise RuntimeError("subscriber bug")

    t.subscribe(broken)
    assert t.event(EventKind.LOADED, "p").kind == EventKind.LOADED


def test_recent_events_are_bounded() -> None:
    t = Tracker(max_events=10)
    for i in range(25):
        t.event(EventKind.LOADED, f"p{i}")
    events = t.recent_events()
    assert len(events) == 10 and events[0].plugin == "p15"
    assert [e.plugin for e in t.recent_events(2)] == ["p23", "p24"]


def test_thread_safety() -> None:
    t = Tracker()
    events: list[PluginEvent] = []
    t.subscribe(events.append)
    barrier = threading.Barrier(8)

    def work(n: int) -> None:
        barrier.wait()
        for i in range(2000):
            t.record(f"p{n % 2}", f"q{i % 3}", float(i % 97), cpu_us=1.0)
            if i % 100 == 0:
                t.violation(f"p{n % 2}", "q0", ViolationKind.TIMEOUT, "x")
            if i % 500 == 0:
                t.snapshot()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    snap = t.snapshot()
    assert sum(q.count for q in snap.queries) == 8 * 2000
    assert sum(q.violations.get("timeout", 0) for q in snap.queries) == 8 * 20
    assert len(events) == 8 * 20


def test_status() -> None:
    t = Tracker()
    t.set_status("p", version="1.0.0", tier="wasm", state="quarantined", reason="3 timeouts")
    status = t.status("p")
    assert status is not None and status.reason == "3 timeouts"
    assert t.snapshot().plugins[0].state == "quarantined"
