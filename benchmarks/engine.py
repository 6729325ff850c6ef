"""Engine benchmark: ingest vs tree-sitter parse-only, graph size and memory, query latencies.

Each corpus runs in a fresh subprocess (so peak RSS belongs to that corpus alone) and prints:
- cold ingest time beside the parse-only time of the same files, measured in the same run, and
  their ratio (goal: ingest <= 2x parse-only), both single-process and with the default workers;
  the CPU seconds of each (children included: on a loaded machine CPU time is the steadier
  measure of work) and the wall time of each ingest phase (walk, extract, index = building the
  resolvers, resolve, assemble, settle = the final collection and freeze);
- node and edge counts, peak RSS and retained bytes per node;
- p50 / p99 of every query kind over up to 1,000 random entities (goal: p99 < 1 ms on a 50k-line
  repository, < 5 ms at standard-library scale), timed around ``run_query`` (parse + execute), in
  wall time and in this thread's CPU time (which a busy machine disturbs much less).

Usage: python benchmarks/engine.py [--corpus NAME ...] [--samples N] [--json]
       [--serial-resolve | --parallel-resolve-all]
Corpora: asyncio, stdlib (the running Python's standard library), regex-syntax, tokio (Debian
crate sources under /usr/share/cargo/registry; skipped with a note when absent), demo.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import random
import resource
import subprocess
import sys
import sysconfig
import time
from pathlib import Path
from typing import Any

CARGO_REGISTRY = Path("/usr/share/cargo/registry")


def corpora() -> dict[str, Path | None]:
    stdlib = Path(sysconfig.get_paths()["stdlib"])

    def crate(prefix: str) -> Path | None:
        found = sorted(p for p in CARGO_REGISTRY.glob(f"{prefix}-[0-9]*") if p.is_dir())
        return found[-1] if found else None

    from importlib import resources

    return {
        "demo": Path(str(resources.files("pt_tui") / "demo" / "sample")),
        "asyncio": stdlib / "asyncio",
        "regex-syntax": crate("regex-syntax"),
        "tokio": crate("tokio"),
        "stdlib": stdlib,
    }


def rss_bytes() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


#: The standard library without third-party packages installed into it.
EXCLUDES = {"stdlib": ("site-packages/", "dist-packages/")}


def cpu_seconds() -> float:
    """CPU time of this process and of its children that have exited (workers, forked resolvers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def parse_only(root: Path, exclude: tuple[str, ...]) -> tuple[float, float, int, int]:
    """Seconds (wall, CPU) to parse every indexable file once, in this process; files, lines."""
    from pt_tui.core.ingest.pipeline import MAX_FILE_BYTES, discover
    from pt_tui.core.lang import language_for

    files = discover(root, exclude=exclude)
    sources = []
    for f in files:
        data = f.path.read_bytes()
        if len(data) > MAX_FILE_BYTES or b"\x00" in data[:8192]:
            continue
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            continue
        sources.append((language_for(f.relpath), data))
    started = time.perf_counter()
    cpu = cpu_seconds()
    for language, data in sources:
        assert language is not None
        language.parse_only(data)
    elapsed = time.perf_counter() - started
    return elapsed, cpu_seconds() - cpu, len(sources), sum(d.count(b"\n") for _, d in sources)


PHASES = ("walk", "extract", "index", "resolve", "assemble", "settle")


def cpu_split() -> tuple[float, float]:
    """CPU seconds so far of this process, and of its children that have exited."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, kids.ru_utime + kids.ru_stime


def ingest(
    root: Path, workers: int | None, exclude: tuple[str, ...]
) -> tuple[float, float, dict[str, list[float]], Any]:
    """A cold ``Engine.index()``: wall and CPU seconds (children included), and per phase [wall s,
    this process's CPU s, children's CPU s] (timed by wrapping the engine's steps; resolve = the
    rest of the resolve phase, including the forked resolver), and the engine."""
    from pt_tui.core import engine as engine_module

    phases = {phase: [0.0, 0.0, 0.0] for phase in PHASES}

    def timed(phase: str, fn: Any) -> Any:
        def run(*args: Any, **kwargs: Any) -> Any:
            started, (own, kids) = time.perf_counter(), cpu_split()
            try:
                return fn(*args, **kwargs)
            finally:
                own2, kids2 = cpu_split()
                for i, v in enumerate((time.perf_counter() - started, own2 - own, kids2 - kids)):
                    phases[phase][i] += v

        return run

    steps = {
        "discover": "walk",
        "extract_all": "extract",
        "_resolvers": "index",
        "_assemble": "assemble",
        "settle_heap": "settle",
    }
    originals = {name: getattr(engine_module, name) for name in steps}
    for name, phase in steps.items():
        setattr(engine_module, name, timed(phase, originals[name]))
    try:
        engine = engine_module.Engine(root, workers=workers, exclude=exclude)
        started, (own, kids) = time.perf_counter(), cpu_split()
        engine.index()
        own2, kids2 = cpu_split()
        wall = time.perf_counter() - started
    finally:
        for name, fn in originals.items():
            setattr(engine_module, name, fn)
    rest = [wall, own2 - own, kids2 - kids]
    cpu = rest[1] + rest[2]
    for phase in PHASES:
        if phase != "resolve":
            rest = [a - b for a, b in zip(rest, phases[phase], strict=True)]
    phases["resolve"] = [max(0.0, v) for v in rest]  # what is left: resolution (and small glue)
    return wall, cpu, phases, engine


def query_latencies(engine: Any, samples: int, seed: int = 7) -> dict[str, dict[str, float]]:
    from pt_tui.core.model import TYPE_KINDS, NodeKind
    from pt_tui.core.query import QueryError, run_query

    isg = engine.isg
    rng = random.Random(seed)
    nodes = sorted(isg.nodes.values(), key=lambda n: n.id)
    if not nodes:
        return {}
    entities = [n for n in nodes if n.kind is not NodeKind.MODULE] or nodes
    types = [n for n in nodes if n.kind in TYPE_KINDS] or entities
    files = sorted(isg.files)

    def pick(pool: list[Any]) -> list[Any]:
        return [rng.choice(pool) for _ in range(samples)]

    def q(name: str) -> str:
        return "'" + name.replace("\\", "\\\\").replace("'", "\\'") + "'"

    plans: dict[str, list[str]] = {
        "callers": [f"callers {q(n.qualname)}" for n in pick(entities)],
        "callers --depth 3": [f"callers {q(n.qualname)} --depth 3" for n in pick(entities)],
        "callees": [f"callees {q(n.qualname)}" for n in pick(entities)],
        "blast-radius": [f"blast-radius {q(n.qualname)}" for n in pick(entities)],
        "what-implements": [f"what-implements {q(n.qualname)}" for n in pick(types)],
        "uses": [f"uses {q(n.qualname)}" for n in pick(types)],
        "path": [
            f"path {q(a.qualname)} {q(b.qualname)}"
            for a, b in zip(pick(entities), pick(entities), strict=True)
        ],
        "show": [f"show {q(n.qualname)}" for n in pick(entities)],
        "context": [f"context {q(n.qualname)}" for n in pick(entities)],
        "search": [f"search {q(n.name[:4] or n.name)} --limit 20" for n in pick(entities)],
        "file": [f"file {q(rng.choice(files))}" for _ in range(min(samples, 200))],
        "stats": ["stats"] * 50,
        "cycles calls": ["cycles calls"] * 20,
        "cycles imports": ["cycles imports"] * 20,
    }
    out: dict[str, dict[str, float]] = {}
    for kind, queries in plans.items():
        # the first run of a global query may build a per-generation cache: report it apart
        first_started = time.perf_counter_ns()
        with contextlib.suppress(QueryError):
            run_query(isg, queries[0], root=engine.root)
        first_us = (time.perf_counter_ns() - first_started) / 1000
        times: list[float] = []
        cpu: list[float] = []  # this thread's CPU time: steadier than wall time on a busy machine
        errors = 0
        gc.disable()
        for text in queries:
            started, cpu_started = time.perf_counter_ns(), time.thread_time_ns()
            try:
                run_query(isg, text, root=engine.root)
            except QueryError:
                errors += 1
            cpu.append((time.thread_time_ns() - cpu_started) / 1000)
            times.append((time.perf_counter_ns() - started) / 1000)
        gc.enable()
        out[kind] = {
            "n": len(times),
            "p50_us": pct(times, 0.50),
            "p99_us": pct(times, 0.99),
            "max_us": max(times),
            "first_us": first_us,
            "errors": errors,
            "p50_cpu_us": pct(cpu, 0.50),
            "p99_cpu_us": pct(cpu, 0.99),
        }
    return out


def run_corpus(name: str, root: Path, samples: int) -> dict[str, Any]:
    from pt_tui.core.digest import graph_digest
    from pt_tui.core.ingest.pipeline import preload_languages

    preload_languages()
    import pt_tui.core.query  # noqa: F401  (import cost is not graph memory)

    result: dict[str, Any] = {"corpus": name, "root": str(root)}
    exclude = EXCLUDES.get(name, ())
    parse_s, parse_cpu, files, lines = parse_only(root, exclude)
    result.update(files=files, lines=lines, parse_only_s=parse_s, parse_only_cpu_s=parse_cpu)
    # single process first (apples to apples with parse-only), then the default worker count
    single_s, single_cpu, _, single = ingest(root, 1, exclude)
    del single
    gc.collect()
    base_rss = rss_bytes()
    ingest_s, ingest_cpu, phases, engine = ingest(root, None, exclude)
    gc.collect()
    retained = rss_bytes() - base_rss
    isg = engine.isg
    result.update(
        ingest_1proc_s=single_s,
        ingest_1proc_cpu_s=single_cpu,
        ingest_s=ingest_s,
        ingest_cpu_s=ingest_cpu,
        phases=phases,
        workers=engine.report.workers,
        extract_s=engine.report.extract_seconds,
        resolve_s=engine.report.resolve_seconds,
        ratio_1proc=single_s / parse_s if parse_s else float("nan"),
        ratio=ingest_s / parse_s if parse_s else float("nan"),
        nodes=isg.node_count,
        edges=isg.edge_count,
        digest=graph_digest(isg),
        edge_kinds=isg.edge_kind_counts(),
        syntax_error_files=engine.report.files_with_syntax_errors,
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        retained_mb=retained / 2**20,
        bytes_per_node=retained / isg.node_count if isg.node_count else 0,
    )
    result["queries"] = query_latencies(engine, samples)
    return result


def print_result(r: dict[str, Any]) -> None:
    print(f"\n== {r['corpus']}: {r['files']:,} files, {r['lines']:,} lines ({r['root']})")
    print(
        f"  parse-only (1 process)    {r['parse_only_s']:8.2f} s   "
        f"{r['lines'] / r['parse_only_s'] / 1000 if r['parse_only_s'] else 0:,.0f}k lines/s"
    )
    print(
        f"  ingest, 1 process         {r['ingest_1proc_s']:8.2f} s   ratio {r['ratio_1proc']:.2f}x parse-only"
        f"   (CPU {r['ingest_1proc_cpu_s']:.2f} s vs parse-only CPU {r['parse_only_cpu_s']:.2f} s)"
    )
    print(
        f"  ingest, {r['workers']} process(es)      {r['ingest_s']:8.2f} s   "
        f"ratio {r['ratio']:.2f}x parse-only"
        f"   (extract {r['extract_s']:.2f} s, resolve {r['resolve_s']:.2f} s; CPU {r['ingest_cpu_s']:.2f} s)"
    )
    print("  phases, wall s (CPU s: this process + children):")
    split = (f"{k} {w:.2f} ({own:.2f}+{kids:.2f})" for k, (w, own, kids) in r["phases"].items())
    print("    " + ", ".join(split))
    kinds = ", ".join(f"{k} {v:,}" for k, v in r["edge_kinds"].items())
    print(f"  graph: {r['nodes']:,} nodes, {r['edges']:,} edges ({kinds}), digest {r['digest']}")
    print(
        f"  memory: peak RSS {r['peak_rss_mb']:.0f} MB, retained by the engine {r['retained_mb']:.1f} MB "
        f"= {r['bytes_per_node']:,.0f} bytes/node (graph + per-file facts)"
    )
    print(
        f"  {'query':18} {'n':>5} {'p50 µs':>9} {'p99 µs':>9} {'max µs':>9} {'first µs':>9}"
        f" {'CPU p50':>9} {'CPU p99':>9}"
    )
    for kind, s in r["queries"].items():
        flag = f" (errors: {s['errors']})" if s["errors"] else ""
        print(
            f"  {kind:18} {s['n']:5.0f} {s['p50_us']:9.1f} {s['p99_us']:9.1f} {s['max_us']:9.1f} "
            f"{s['first_us']:9.1f} {s['p50_cpu_us']:9.1f} {s['p99_cpu_us']:9.1f}{flag}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpus", action="append", help="Corpus to run (repeatable; default: all).")
    parser.add_argument("--samples", type=int, default=1000, help="Random entities per query kind.")
    parser.add_argument("--json", action="store_true", help="Print JSON instead of tables.")
    parser.add_argument(
        "--serial-resolve",
        action="store_true",
        help="Resolve in one process (no forked resolver) to compare with the default.",
    )
    parser.add_argument(
        "--parallel-resolve-all",
        action="store_true",
        help="Resolve every language in two processes, not only those known order-independent.",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    available = corpora()
    if args.child:
        root = available[args.child]
        assert root is not None
        from pt_tui.core.ingest import resolve_parallel

        if args.serial_resolve:
            resolve_parallel.PARALLEL_MIN_PAYLOAD = sys.maxsize
        if args.parallel_resolve_all:
            resolve_parallel.PARALLEL_LANGUAGES = None
        print(json.dumps(run_corpus(args.child, root, args.samples)))
        return 0
    names = args.corpus or ["asyncio", "regex-syntax", "tokio", "stdlib"]
    results = []
    for name in names:
        if name not in available:
            parser.error(f"unknown corpus {name!r}; choose from {', '.join(available)}")
        root = available[name]
        if root is None or not root.exists():
            print(
                f"\n== {name}: skipped (not installed; apt-get install librust-regex-dev librust-tokio-dev)"
            )
            continue
        proc = subprocess.run(
            [sys.executable, __file__, "--child", name, "--samples", str(args.samples)]
            + (["--serial-resolve"] if args.serial_resolve else [])
            + (["--parallel-resolve-all"] if args.parallel_resolve_all else []),
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            print(f"\n== {name}: failed\n{proc.stderr}", file=sys.stderr)
            return 1
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        results.append(result)
        if not args.json:
            print_result(result)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print(f"\n(cpus: {os.cpu_count()}; figures move 20-30% run to run on this machine)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
