"""WASM-tier and shared-library benchmark: load cold / warm, query p50 / p99, call floor, memory.

``measure(engine)`` returns one row per (tier, plugin) for the example plugins (WAT fan-in, C
hotspots, Rust dead-code; the native rows need ``make plugins``), plus a row for the shared graph
view, all measured on ``engine.isg`` in this process:

- ``load_cold_ms``: compile (empty compiled-artifact cache) + checks + instantiate; for a shared
  library, the first ``dlopen``. ``load_warm_ms``: the same with the cache filled (median of 5).
- ``query_p50_us`` / ``query_p99_us``: the whole ``execute_query`` (request encoding, the one call,
  result decoding, rows to nodes) for a typical request, wall clock; ``query_p99_cpu_us``: the same
  in thread CPU time (the call runs on the calling thread), which a busy machine does not inflate;
  ``floor_us``: the same path with an empty input (what the host adds to any query).
- ``memory_mb``: process RSS added by loading the plugin and running its queries, the shared view
  excluded (it is built before and counted once, in the ``view`` row); ``linear_mb``: the wasm
  instance's linear memory (which holds its own copy of the columns it asked for);
  ``view_copy_us``: what copying that view in adds to the first query of a new generation.
- per graph generation (the ``view`` row): ``generation_patch_ms``, what bringing the shared view to
  the next generation costs when it is patched from the diff (one file's nodes moved a line, a
  function added with three calls, then removed, then the lines moved back: what one-file edits
  produce), beside ``generation_rebuild_ms``, a whole rebuild of the same masks.

Usage: python benchmarks/plugins_wasm.py [--corpus stdlib|asyncio|PATH] [--queries N] [--json]
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import random
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = [
    ("wat/fan-in", "fan-in"),
    ("c/hotspots", "hotspots"),
    ("rust/dead-code", "dead-code"),
]


def rss_bytes() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))] if ordered else float("nan")


def _timed(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1e3


def measure(engine: Any, *, queries: int = 400, seed: int = 7) -> list[dict[str, Any]]:
    """Rows of figures for every example plugin and tier on ``engine.isg``."""
    from pt_tui.sandbox import wasm
    from pt_tui.sandbox.api import Capability, QueryRequest
    from pt_tui.sandbox.manifest import load_manifest
    from pt_tui.sandbox.tiers import shared_lib
    from pt_tui.sandbox.wasm import runtime
    from pt_tui.sandbox.wasm.view import graph_view

    isg = engine.isg
    granted = frozenset({Capability.GRAPH_READ})
    rng = random.Random(seed)
    ids = list(isg.nodes)
    runtime.engine()
    runtime.fuel_per_us()

    from pt_tui.sandbox.wasm import abi

    started = time.perf_counter()
    view = graph_view(isg)
    groups = {"order": (time.perf_counter() - started) * 1e3}
    for group, cid in [
        ("kind", abi.COL_KIND),
        ("visibility", abi.COL_VISIBILITY),
        ("language", abi.COL_LANGUAGE),
        ("name", abi.COL_NAME),
        ("qualname", abi.COL_QUALNAME),
        ("file", abi.COL_FILE),
        ("lines", abi.COL_LINES),
        ("parent", abi.COL_PARENT),
        *((f"edges {kind}", abi.edge_column(k, 0)) for k, kind in enumerate(abi.EDGE_KINDS)),
    ]:
        t = time.perf_counter()
        view.column(cid)
        groups[group] = round((time.perf_counter() - t) * 1e3, 1)
    full = view.blob()
    rows: list[dict[str, Any]] = [
        {
            "tier": "view",
            "plugin": f"graph view ({view.node_count} nodes, {isg.edge_count} edges)",
            "build_ms": round((time.perf_counter() - started) * 1e3, 1),
            "groups_ms": groups,
            "view_mb": round(len(full) / 2**20, 2),
            "view_bytes": len(full),
        }
    ]

    def requests(verb: str) -> tuple[Callable[[], QueryRequest], QueryRequest]:
        if verb == "fan-in":
            return (
                lambda: QueryRequest(verb=verb, inputs=tuple(rng.sample(ids, min(50, len(ids)))))
            ), QueryRequest(verb=verb, inputs=())
        return (lambda: QueryRequest(verb=verb, limit=20)), QueryRequest(verb=verb, inputs=())

    saved = os.environ.get("PT_TUI_CACHE_DIR")
    with tempfile.TemporaryDirectory(prefix="pt-tui-bench-") as cache:
        os.environ["PT_TUI_CACHE_DIR"] = cache
        try:
            for rel, verb in EXAMPLES:
                folder = REPO / "plugins" / rel
                manifest = load_manifest(folder)
                typical, empty = requests(verb)
                loaders: list[tuple[str, Callable[[], Any]]] = [
                    ("wasm", lambda m=manifest, f=folder: wasm.load(m, f, granted=granted))
                ]
                native = manifest.artifact.native
                if native and (folder / native).is_file():
                    loaders.append(
                        ("native", lambda m=manifest, f=folder: shared_lib.load(m, f, granted=granted))
                    )
                # the shared view for this plugin's mask exists before we count (an uncached, untimed load)
                probe = wasm.load(manifest, folder, granted=granted, use_cache=False)
                view.blob(probe._mask)
                probe.close()
                for tier, load in loaders:
                    before = rss_bytes()
                    plugin = load()
                    cold = plugin.load_ms
                    warm = sorted(load().load_ms for _ in range(5))[2]
                    plugin.execute_query(typical(), isg)  # copies the view in (once per generation)
                    times, cpu = [], []
                    for _ in range(queries):
                        req = typical()
                        c = time.thread_time_ns()
                        t = time.perf_counter()
                        plugin.execute_query(req, isg)
                        times.append((time.perf_counter() - t) * 1e6)
                        cpu.append((time.thread_time_ns() - c) / 1e3)
                    floor = []
                    for _ in range(queries):
                        t = time.perf_counter()
                        plugin.execute_query(empty, isg)
                        floor.append((time.perf_counter() - t) * 1e6)
                    added = (rss_bytes() - before) / 2**20
                    linear = copy_us = None
                    live = getattr(plugin.backend, "_live", None)
                    if live is not None:
                        linear = round(live.memory.data_len(live.store) / 2**20, 2)
                        recopy = []
                        for _ in range(
                            9
                        ):  # as after a new generation: free, pt_alloc, memmove, then the query
                            live.view = live.image = None
                            req = typical()
                            t = time.perf_counter()
                            plugin.execute_query(req, isg)
                            recopy.append((time.perf_counter() - t) * 1e6)
                        copy_us = round(max(0.0, pct(recopy, 0.5) - pct(times, 0.5)), 1)
                    rows.append(
                        {
                            "tier": tier,
                            "plugin": f"{rel} ({plugin.load_source})",
                            "view_mb": round(len(view.blob(plugin._mask)) / 2**20, 2),
                            "load_cold_ms": round(cold, 2),
                            "load_warm_ms": round(warm, 2),
                            "query_p50_us": round(pct(times, 0.5), 1),
                            "query_p99_us": round(pct(times, 0.99), 1),
                            "query_p99_cpu_us": round(pct(cpu, 0.99), 1),
                            "floor_us": round(pct(floor, 0.5), 1),
                            "memory_mb": round(added, 2),
                            "linear_mb": linear,
                            "view_copy_us": copy_us,
                        }
                    )
                    plugin.close()
                # the wasm cold load compiled into this temporary cache; the next plugin starts cold too
        finally:
            if saved is None:
                os.environ.pop("PT_TUI_CACHE_DIR", None)
            else:
                os.environ["PT_TUI_CACHE_DIR"] = saved
    rows[0].update(measure_generations(isg))
    return rows


def measure_generations(isg: Any, rebuilds: int = 2) -> dict[str, Any]:
    """Per-generation cost of the shared view: patched from synthetic one-file diffs vs rebuilt.

    The graph is changed in place the way the engine would (and left as it was, one generation on
    per diff); the masks the plugins asked for are brought along each time.
    """
    from pt_tui.core.diff import GraphDiff
    from pt_tui.core.model import Edge, EdgeKind, Node, NodeKind, node_id
    from pt_tui.sandbox.wasm.view import GraphView, graph_view, note_diff

    by_file: dict[str, list[Node]] = {}
    for node in isg.nodes.values():
        by_file.setdefault(node.file, []).append(node)
    path, nodes = max(by_file.items(), key=lambda item: (len(item[1]), item[0]))
    view = graph_view(isg)
    masks = view.masks() or [0x1F1FFF]

    def moved(by: int) -> GraphDiff:
        shifted = [
            n.__class__(**{**_fields(n), "line": n.line + by, "end_line": n.end_line + by}) for n in nodes
        ]
        for n in shifted:
            isg.put_node(n, path)
        nodes[:] = shifted
        isg.generation += 1
        return GraphDiff(generation=isg.generation, files=(path,), changed_nodes=tuple(shifted))

    qual = f"{nodes[0].qualname}.bench_added_fn"
    added = Node(
        id=node_id(nodes[0].language, NodeKind.FUNCTION, qual),
        kind=NodeKind.FUNCTION,
        name="bench_added_fn",
        qualname=qual,
        language=nodes[0].language,
        file=path,
        line=1,
        end_line=2,
        parent=nodes[0].id,
    )
    calls = [Edge(src=added.id, dst=n.id, kind=EdgeKind.CALLS, file=path, line=1) for n in nodes[1:4]]
    contains = Edge(src=nodes[0].id, dst=added.id, kind=EdgeKind.CONTAINS, file=path, line=1)

    def add() -> GraphDiff:
        isg.put_node(added, path)
        isg.add_edges([*calls, contains])
        isg.generation += 1
        return GraphDiff(generation=isg.generation, added_nodes=(added,), added_edges=(*calls, contains))

    def remove() -> GraphDiff:
        gone = isg.remove_nodes([added.id])
        isg.generation += 1
        return GraphDiff(generation=isg.generation, removed_nodes=(added.id,), removed_edges=tuple(gone))

    patch: list[float] = []
    patch_cpu: list[float] = []
    rebuild: list[float] = []
    write_kb: list[float] = []
    write_ms: list[float] = []
    patched = 0
    # one plugin memory per mask, holding the previous generation's view (as a wasm plugin's does)
    held = {mask: view.image(mask) for mask in masks}
    memory = {mask: ctypes.create_string_buffer(len(image) + (1 << 16)) for mask, image in held.items()}
    for mask, image in held.items():
        image.write(ctypes.addressof(memory[mask]))
    for step in (lambda: moved(1), add, remove, lambda: moved(-1)):
        note_diff(isg, step())
        started, cpu = time.perf_counter(), time.thread_time()
        current = graph_view(isg)
        for mask in masks:
            current.image(mask)
        patch.append(round((time.perf_counter() - started) * 1e3, 2))
        patch_cpu.append(round((time.thread_time() - cpu) * 1e3, 2))
        patched += current.patched_from is not None
        started, copied = time.perf_counter(), 0
        for mask in masks:  # what each plugin's next query copies in (a fresh allocation if it grew)
            image = current.image(mask)
            if len(image) + 8 > len(memory[mask]):
                memory[mask] = ctypes.create_string_buffer(len(image) + (1 << 16))
                copied += image.write(ctypes.addressof(memory[mask]))
            else:
                copied += image.write(ctypes.addressof(memory[mask]), held[mask])
            held[mask] = image
        write_ms.append(round((time.perf_counter() - started) * 1e3, 2))
        write_kb.append(round(copied / 1024))
        if len(rebuild) < rebuilds:
            started = time.perf_counter()
            fresh = GraphView(isg)
            for mask in masks:
                fresh.blob(mask)
            rebuild.append(round((time.perf_counter() - started) * 1e3, 1))
    return {
        "generation_patch_ms": patch,
        "generation_patch_cpu_ms": patch_cpu,
        "generation_rebuild_ms": rebuild,
        "generations_patched": patched,
        "generation_write_kb": write_kb,
        "generation_write_ms": write_ms,
        "view_kb": [round(len(view.image(mask)) / 1024) for mask in masks],
    }


def _fields(node: Any) -> dict[str, Any]:
    return {f: getattr(node, f) for f in node.__struct_fields__}


def _opt(value: float | None) -> str:
    return "" if value is None else f"{value}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpus", default="stdlib", help="stdlib, asyncio, or a folder")
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    from pt_tui.core.engine import Engine

    stdlib = Path(sysconfig.get_paths()["stdlib"])
    root = {"stdlib": stdlib, "asyncio": stdlib / "asyncio"}.get(args.corpus, Path(args.corpus))
    exclude = ("site-packages/", "dist-packages/") if args.corpus == "stdlib" else ()
    started = time.perf_counter()
    engine = Engine(root, exclude=exclude)
    engine.index()
    indexed = time.perf_counter() - started
    rows = measure(engine, queries=args.queries)
    if args.json:
        json.dump(rows, sys.stdout, indent=2)
        print()
        return
    isg = engine.isg
    print(f"corpus {root}: {isg.node_count} nodes, {isg.edge_count} edges (indexed in {indexed:.1f} s)")
    view = rows[0]
    print(f"shared graph view: {view['view_mb']} MB, built in {view['build_ms']} ms (first generation)")
    groups = ", ".join(f"{k} {v:.1f}" for k, v in view["groups_ms"].items() if v >= 0.05)
    print(f"  per column group (ms, each built on first use; all edge kinds in one pass): {groups}")
    print(
        f"  next generation after a one-file diff: patched {view['generation_patch_ms']} ms "
        f"(thread CPU {view['generation_patch_cpu_ms']} ms), rebuilt {view['generation_rebuild_ms']} ms"
    )
    print(
        f"  then copied into the plugins' memories (views of {view['view_kb']} KB): "
        f"{view['generation_write_kb']} KB in {view['generation_write_ms']} ms"
    )
    head = (
        f"{'tier':7} {'plugin':34} {'cold ms':>8} {'warm ms':>8} {'p50 us':>8} {'p99 us':>8} {'p99 cpu':>8}"
    )
    head += f" {'floor us':>9}"
    print(head + f" {'RSS+ MB':>8} {'view MB':>8} {'linear MB':>9} {'copy us':>8}")
    for r in rows[1:]:
        print(
            f"{r['tier']:7} {r['plugin']:34} {r['load_cold_ms']:8.2f} {r['load_warm_ms']:8.2f} "
            f"{r['query_p50_us']:8.1f} {r['query_p99_us']:8.1f} {r['query_p99_cpu_us']:8.1f} "
            f"{r['floor_us']:9.1f} {r['memory_mb']:8.2f} "
            f"{r['view_mb']:8.2f} "
            f"{_opt(r['linear_mb']):>9} {_opt(r['view_copy_us']):>8}"
        )
    print("goals: wasm load < 100 ms cold, < 10 ms warm; query p99 < 1000 us; < 5 MB per plugin")


if __name__ == "__main__":
    main()
