"""Plugin benchmark: per tier, load time, query p50 / p99 beside the bare-call floor, memory per
plugin, and hot-swap under load, all measured in this run on a graph of tens of thousands of entities.

- core: the built-in verbs wrapped by the core tier; the floor is the same handler called directly
  with the same prepared ``Call``; ``run_query`` adds parsing and entity lookup on top.
- native: the example Python plugins (``plugins/python``) through ``PluginManager.call`` (measured,
  checked, tracked) beside ``execute_query`` called directly; load cold (first import) and warm.
- worker: the same plugin served by ``pt-tui worker`` over stdio (round trip beside the floor).
- wasm / shared library: rows from ``benchmarks/plugins_wasm.py``'s ``measure(engine)`` when it exists.
- memory: what loading a plugin and running its queries keeps allocated (tracemalloc), and RSS added.
- hot-swap: 100 swaps between two versions while 8 threads run queries; failed queries (goal 0),
  the longest query during the swaps (the longest pause a user could see) and the slowest swap.

Usage: python benchmarks/plugins.py [--corpus stdlib|asyncio|PATH] [--queries N] [--json]
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import os
import random
import shutil
import statistics
import sys
import sysconfig
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
PLUGINS = REPO / "plugins" / "python"
#: The standard library without its test suite: a graph of tens of thousands of entities.
STDLIB_EXCLUDE = ("site-packages/", "dist-packages/", "test/")


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))] if ordered else float("nan")


def timed_us(fn: Callable[[], Any], runs: int) -> list[float]:
    """Wall times minus the time the thread waited for a core (``budget.waited_ns``): the figures
    describe this code, not the other processes sharing the 2-core machine."""
    from pt_tui.sandbox.budget import waited_ns

    out = []
    clock = time.perf_counter_ns
    for _ in range(runs):
        waited = waited_ns() or 0
        started = clock()
        fn()
        elapsed = clock() - started
        out.append((elapsed - ((waited_ns() or 0) - waited)) / 1000)
    return out


def loop_us(fn: Callable[[], Any], n: int = 20_000, repeat: int = 5) -> float:
    """Mean thread CPU time of ``fn`` in a tight loop, best of ``repeat``: for differences of a
    microsecond, which wall time on a shared machine blurs."""
    best = float("inf")
    for _ in range(repeat):
        started = time.thread_time_ns()
        for _ in range(n):
            fn()
        best = min(best, (time.thread_time_ns() - started) / 1000 / n)
    return best


def row(
    tier: str, plugin: str, query: str, host: list[float], floor: list[float], **extra: Any
) -> dict[str, Any]:
    return {
        "tier": tier,
        "plugin": plugin,
        "query": query,
        "p50_us": round(pct(host, 0.5), 1),
        "p99_us": round(pct(host, 0.99), 1),
        "floor_p50_us": round(pct(floor, 0.5), 1),
        "floor_p99_us": round(pct(floor, 0.99), 1),
        "overhead_p50_us": round(pct(host, 0.5) - pct(floor, 0.5), 1),
        **extra,
    }


def bench_core(isg: Any, rng: random.Random, queries: int) -> list[dict[str, Any]]:
    from pt_tui.core.query.indexes import index_for
    from pt_tui.core.query.registry import VERBS, Call
    from pt_tui.core.query.run import run_query
    from pt_tui.sandbox.tiers import core
    from pt_tui.sandbox.tracker import Tracker

    tracker = Tracker()
    core.install(tracker)
    index = index_for(isg)
    nodes = [n for n in isg.nodes.values() if isg.in_edges(n.id) and n.kind.value in ("function", "method")]
    rows = []
    try:
        for verb in ("callers", "callees"):
            wrapped = VERBS[verb]
            plain = core.untimed(wrapped)
            calls = []
            for node in rng.sample(nodes, min(200, len(nodes))):
                values = {p.name: p.default for p in wrapped.params} | {
                    o.name: o.default for o in wrapped.options
                }
                calls.append(Call(isg, index, None, values, {"entity": [node]}, None))
            # interleave so both see the same machine state; many runs: the difference is microseconds
            floor: list[float] = []
            host: list[float] = []
            for i in range(queries * 5):
                call = calls[i % len(calls)]
                bare = lambda c=call, h=plain.handler: h(c)  # noqa: E731
                hosted = lambda c=call, h=wrapped.handler: h(c)  # noqa: E731
                for fn, out in ((bare, floor), (hosted, host)) if i % 2 else ((hosted, host), (bare, floor)):
                    out += timed_us(fn, 1)
            leaf = calls[0]
            overhead = loop_us(lambda c=leaf, h=wrapped.handler: h(c)) - loop_us(
                lambda c=leaf, h=plain.handler: h(c)
            )
            texts = [f"{verb} {c.entities['entity'][0].qualname}" for c in calls]
            full: list[float] = []
            for t in texts * max(1, queries // len(texts)):
                full += timed_us(lambda t=t: run_query(isg, t), 1)
            rows.append(
                row(
                    "core",
                    "core",
                    verb,
                    host,
                    floor,
                    run_query_p50_us=round(pct(full, 0.5), 1),
                    wrapper_overhead_us=round(overhead, 2),
                    run_query_p99_us=round(pct(full, 0.99), 1),
                )
            )
    finally:
        core.uninstall()
    return rows


def requests_for(verb: str, ids: list[str], rng: random.Random, n: int) -> list[Any]:
    from pt_tui.sandbox.api import QueryRequest

    if verb == "dead-code":  # as in `callers X | dead-code`: 50 entities in
        return [QueryRequest(verb=verb, inputs=tuple(rng.sample(ids, 50)), limit=100) for _ in range(n)]
    return [QueryRequest(verb=verb, args={"by": "total", "top": 20}, limit=100) for _ in range(n)]


def bench_native(
    isg: Any, rng: random.Random, queries: int, worker: bool
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    from pt_tui.sandbox.loader import LoadOptions, forget_calibrations, load_plugin
    from pt_tui.sandbox.manager import ManagerConfig, PluginManager
    from pt_tui.sandbox.tracker import Tracker
    from pt_tui.sandbox.trust import AllowAll

    ids = list(isg.nodes)
    rows: list[dict[str, Any]] = []
    loads: list[dict[str, Any]] = []
    for name, verb in (("dead-code", "dead-code"), ("hotspots", "hotspots")):
        folder = PLUGINS / name
        cold = load_plugin(
            folder, grants=None, trust=AllowAll(), dev=True, options=LoadOptions(calibrate=False)
        )
        warm = [
            load_plugin(
                folder, grants=None, trust=AllowAll(), dev=True, options=LoadOptions(calibrate=False)
            ).load_ms
            for _ in range(5)
        ]
        saved = os.environ.get("PT_TUI_CACHE_DIR")
        with tempfile.TemporaryDirectory(prefix="pt-tui-bench-") as cache:
            os.environ["PT_TUI_CACHE_DIR"] = cache  # no stored calibration: the first load measures
            try:
                forget_calibrations()
                started = time.perf_counter()
                calibrated = load_plugin(folder, grants=None, trust=AllowAll(), dev=True)
                calibration_ms = (time.perf_counter() - started) * 1000 - calibrated.load_ms
                forget_calibrations()  # as a restart does: the next load reads the stored calibration
                started = time.perf_counter()
                again = load_plugin(folder, grants=None, trust=AllowAll(), dev=True)
                cached_ms = (time.perf_counter() - started) * 1000 - again.load_ms
                again.close()
            finally:
                if saved is None:
                    os.environ.pop("PT_TUI_CACHE_DIR", None)
                else:
                    os.environ["PT_TUI_CACHE_DIR"] = saved
        loads.append(
            {
                "tier": "native",
                "plugin": name,
                "load_cold_ms": round(cold.load_ms, 2),
                "load_warm_ms": round(statistics.median(warm), 2),
                "calibration_ms": round(calibration_ms, 1),
                "calibration_cached_ms": round(cached_ms, 2),
                "calibration_p99_us": round(calibrated.calibration.worst_p99_us, 1)
                if calibrated.calibration
                else None,
            }
        )
        config = ManagerConfig(calibrate=False, quarantine_after=0)
        with PluginManager(isg, Tracker(), None, AllowAll(), config) as manager:
            manager.add(folder, dev=True)
            loaded = manager.load(name)
            instance = loaded.plugin.instance
            reqs = requests_for(verb, ids, rng, queries)
            manager.call(name, reqs[0], isg)  # fill per-generation caches
            floor: list[float] = []
            host: list[float] = []
            for i, req in enumerate(reqs):  # alternate who goes first: the second finds warm caches
                bare = lambda r=req, f=instance.execute_query: f(r, isg)  # noqa: E731
                hosted = lambda r=req, n=name: manager.call(n, r, isg)  # noqa: E731
                for fn, out in ((bare, floor), (hosted, host)) if i % 2 else ((hosted, host), (bare, floor)):
                    out += timed_us(fn, 1)
            stats = manager.tracker.stats(name, verb)
            violations = stats.violations if stats else {}
            rows.append(
                row(
                    "native",
                    name,
                    verb,
                    host,
                    floor,
                    budget_us=loaded.budget.max_query_time_us,
                    violations=violations,
                )
            )
            if worker:
                manager.remove(name)
                manager.config.run_in[name] = "worker"
                started = time.perf_counter()
                manager.add(folder, dev=True)
                wloaded = manager.load(name)
                manager.call(name, reqs[0], isg)  # graph sync (once per generation)
                first_ms = (time.perf_counter() - started) * 1000
                whost = timed_us(lambda: None, 0)
                for req in reqs:
                    whost += timed_us(lambda r=req, n=name: manager.call(n, r, isg), 1)
                rows.append(row("worker", name, verb, whost, floor))
                loads.append(
                    {
                        "tier": "worker",
                        "plugin": name,
                        "load_cold_ms": round(wloaded.load_ms, 1),
                        "load_warm_ms": None,
                        "first_call_with_graph_sync_ms": round(first_ms, 1),
                    }
                )
    return rows, loads


def bench_memory(isg: Any, rng: random.Random) -> list[dict[str, Any]]:
    """What each active plugin keeps: tracemalloc's retained bytes after load + 50 queries, and RSS."""
    from pt_tui.sandbox.manager import ManagerConfig, PluginManager
    from pt_tui.sandbox.tracker import Tracker
    from pt_tui.sandbox.trust import AllowAll

    ids = list(isg.nodes)
    out = []
    for name, verb in (("dead-code", "dead-code"), ("hotspots", "hotspots"), ("largest", "largest")):
        config = ManagerConfig(calibrate=False, quarantine_after=0, memory_sample_every=0)
        with PluginManager(isg, Tracker(), None, AllowAll(), config) as manager:
            gc.collect()
            rss_before = rss_mb()
            tracemalloc.start()
            manager.add(PLUGINS / name, dev=True)
            for req in requests_for(verb, ids, rng, 50):
                manager.call(name, req, isg)
            gc.collect()
            retained, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            out.append(
                {
                    "plugin": name,
                    "retained_mb": round(retained / 2**20, 2),
                    "peak_mb": round(peak / 2**20, 2),
                    "rss_added_mb": round(rss_mb() - rss_before, 2),
                }
            )
    return out


def bench_swap(isg: Any, swaps: int, threads: int) -> dict[str, Any]:
    from pt_tui.core.query.run import run_query
    from pt_tui.sandbox.manager import ManagerConfig, PluginManager
    from pt_tui.sandbox.tracker import Tracker
    from pt_tui.sandbox.trust import AllowAll

    work = Path(tempfile.mkdtemp(prefix="pt-tui-swap-"))
    folders = []
    for version in ("1.0.0", "1.1.0"):
        folder = work / version
        shutil.copytree(PLUGINS / "hotspots", folder)
        toml = folder / "plugin.toml"
        toml.write_text(toml.read_text().replace('version = "1.0.0"', f'version = "{version}"', 1))
        folders.append(folder)
    config = ManagerConfig(quarantine_after=0)  # calibrated once per version (cached by sha256)
    failed: list[str] = []
    latencies: list[float] = []
    lock = threading.Lock()
    stop = threading.Event()
    with PluginManager(isg, Tracker(), None, AllowAll(), config) as manager:
        manager.add(folders[0], dev=True)
        run_query(isg, "hotspots --top 10")
        manager.swap("hotspots", folders[1])
        manager.swap("hotspots", folders[0])  # both versions calibrated before the clock starts

        def query() -> None:
            mine = []
            while not stop.is_set():
                started = time.perf_counter_ns()
                try:
                    if len(run_query(isg, "hotspots --top 10").rows) != 10:
                        raise AssertionError("short answer")
                except Exception as exc:
                    with lock:
                        failed.append(f"{type(exc).__name__}: {exc}")
                mine.append((time.perf_counter_ns() - started) / 1000)
            with lock:
                latencies.extend(mine)

        def run_threads(action: Callable[[], None]) -> float:
            stop.clear()
            pool = [threading.Thread(target=query) for _ in range(threads)]
            for t in pool:
                t.start()
            started = time.perf_counter()
            action()
            elapsed = time.perf_counter() - started
            stop.set()
            for t in pool:
                t.join()
            return elapsed

        swap_ms: list[float] = []

        def swapping() -> None:
            for i in range(swaps):
                t0 = time.perf_counter()
                manager.swap("hotspots", folders[(i + 1) % 2])
                swap_ms.append((time.perf_counter() - t0) * 1000)

        elapsed = run_threads(swapping)
        during = list(latencies)
        latencies.clear()
        run_threads(lambda: time.sleep(elapsed))  # the same load without swaps: what the GIL alone costs
        baseline = list(latencies)
        latencies[:] = during
    shutil.rmtree(work, ignore_errors=True)
    return {
        "swaps": swaps,
        "threads": threads,
        "queries": len(latencies),
        "failed": len(failed),
        "first_failure": failed[0] if failed else "",
        "seconds": round(elapsed, 2),
        "query_p50_us": round(pct(latencies, 0.5), 1),
        "query_p99_us": round(pct(latencies, 0.99), 1),
        "longest_query_ms": round(max(latencies) / 1000, 2) if latencies else None,
        "baseline_query_p99_us": round(pct(baseline, 0.99), 1),
        "baseline_longest_query_ms": round(max(baseline) / 1000, 2) if baseline else None,
        "swap_p50_ms": round(pct(swap_ms, 0.5), 2),
        "slowest_swap_ms": round(max(swap_ms), 2),
    }


def wasm_rows(engine: Any, queries: int) -> tuple[list[dict[str, Any]], str]:
    path = Path(__file__).with_name("plugins_wasm.py")
    if not path.is_file():
        return [], "benchmarks/plugins_wasm.py not present"
    try:
        spec = importlib.util.spec_from_file_location("plugins_wasm", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return list(module.measure(engine, queries=queries)), ""
    except Exception as exc:  # the wasm tier's own figures; their absence must not hide ours
        return [], f"{type(exc).__name__}: {exc}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpus", default="stdlib", help="stdlib, asyncio, or a folder")
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--swaps", type=int, default=100)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--no-worker", action="store_true", help="skip the worker-process rows")
    parser.add_argument("--no-wasm", action="store_true", help="skip the wasm rows")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    from pt_tui.core.engine import Engine
    from pt_tui.core.query.verbs import register_builtins

    register_builtins()
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    root = {"stdlib": stdlib, "asyncio": stdlib / "asyncio"}.get(args.corpus, Path(args.corpus))
    exclude = STDLIB_EXCLUDE if args.corpus == "stdlib" else ()
    started = time.perf_counter()
    engine = Engine(root, exclude=exclude)
    engine.index()
    isg = engine.isg
    indexed = time.perf_counter() - started
    rng = random.Random(11)

    core_rows = bench_core(isg, rng, args.queries)
    native_rows, loads = bench_native(isg, rng, args.queries, worker=not args.no_worker)
    memory = bench_memory(isg, rng)
    swap = bench_swap(isg, args.swaps, args.threads)
    wasm, wasm_note = ([], "skipped") if args.no_wasm else wasm_rows(engine, args.queries)
    report = {
        "corpus": str(root),
        "nodes": isg.node_count,
        "edges": isg.edge_count,
        "index_s": round(indexed, 1),
        "queries": core_rows + native_rows,
        "loads": loads,
        "memory": memory,
        "hot_swap": swap,
        "wasm": wasm,
        "wasm_note": wasm_note,
    }
    if args.json:
        json.dump(report, sys.stdout, indent=2)
        print()
        return
    print(f"corpus {root}: {isg.node_count} entities, {isg.edge_count} edges (indexed in {indexed:.1f} s)")
    print("(times are wall times minus the waits for a core, from Linux schedstat: not other processes')")
    print()
    print(
        f"{'tier':7} {'plugin':10} {'query':10} {'p50 us':>8} {'p99 us':>8} {'floor p50':>10} "
        f"{'floor p99':>10} {'overhead':>9}  notes"
    )
    for r in report["queries"]:
        notes = ""
        if "run_query_p50_us" in r:
            notes = (
                f"wrapper +{r['wrapper_overhead_us']} us (CPU, tight loop); run_query (parse + lookup too): "
            )
            notes += f"p50 {r['run_query_p50_us']} us, p99 {r['run_query_p99_us']} us"
        elif r.get("violations"):
            notes = f"violations {r['violations']}"
        print(
            f"{r['tier']:7} {r['plugin']:10} {r['query']:10} {r['p50_us']:8.1f} {r['p99_us']:8.1f} "
            f"{r['floor_p50_us']:10.1f} {r['floor_p99_us']:10.1f} {r['overhead_p50_us']:9.1f}  {notes}"
        )
    print()
    print(f"{'tier':7} {'plugin':10} {'load cold ms':>12} {'load warm ms':>12}  notes")
    for r in loads:
        warm = "" if r["load_warm_ms"] is None else f"{r['load_warm_ms']:.2f}"
        if "calibration_ms" in r:
            notes = "calibration (100 runs x verbs on 21k entities): "
            notes += f"{r['calibration_ms']} ms, stored (after a restart) {r['calibration_cached_ms']} ms, "
            notes += f"p99 {r['calibration_p99_us']} us"
        else:
            notes = (
                f"process start + load; first call with graph sync {r['first_call_with_graph_sync_ms']} ms"
            )
        print(f"{r['tier']:7} {r['plugin']:10} {r['load_cold_ms']:12.2f} {warm:>12}  {notes}")
    print()
    print("memory per active plugin (load + 50 queries):")
    for m in memory:
        print(
            f"  {m['plugin']:10} retained {m['retained_mb']:.2f} MB (peak {m['peak_mb']:.2f} MB), "
            f"RSS +{m['rss_added_mb']:.2f} MB"
        )
    print()
    s = swap
    print(
        f"hot-swap: {s['swaps']} swaps in {s['seconds']} s under {s['threads']} query threads: "
        f"{s['queries']} queries, {s['failed']} failed {s['first_failure']}"
    )
    print(
        f"  queries during swaps: p50 {s['query_p50_us']} us, p99 {s['query_p99_us']} us, longest "
        f"{s['longest_query_ms']} ms (GIL shared by {s['threads']} threads on {os.cpu_count()} cores); "
        f"swap p50 {s['swap_p50_ms']} ms, slowest {s['slowest_swap_ms']} ms"
    )
    print(
        f"  the same threads without swaps: p99 {s['baseline_query_p99_us']} us, "
        f"longest {s['baseline_longest_query_ms']} ms"
    )
    print()
    if wasm:
        print("wasm / shared-library tier (benchmarks/plugins_wasm.py):")
        for r in wasm:
            if r.get("tier") == "view":
                print(f"  shared graph view: {r['view_mb']} MB, built in {r['build_ms']} ms")
                continue
            print(
                f"  {r['tier']:7} {r['plugin']:34} load cold {r['load_cold_ms']} ms, "
                f"warm {r['load_warm_ms']} ms; "
                f"p50 {r['query_p50_us']} us, p99 {r['query_p99_us']} us, floor {r['floor_us']} us; "
                f"RSS +{r['memory_mb']} MB"
            )
    else:
        print(f"wasm rows: none ({wasm_note})")
    print(
        "goals: native load < 10 ms; query p99 < 1000 us including overhead; < 5 MB per plugin; "
        "0 failed swaps"
    )


if __name__ == "__main__":
    main()
