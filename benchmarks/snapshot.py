"""Warm start benchmark: cold index + snapshot write vs warm start from the snapshot.

For each corpus, on a copy of the tree (``copy2`` keeps mtimes, so no file is racy) and with a
private cache folder, each step in a fresh process (as a CLI run would be):
- cold: index everything and write the snapshot (index time, save time, snapshot size on disk);
- warm, nothing changed (best of --runs): load (read + verify + decode), restore (rebuild the
  graph), re-walk (walk + compare stamps), update, total; and the whole process's wall time;
- the first update after a warm start, resolvers built by it vs built ahead (warm_resolvers);
- warm after 10 files changed (a comment appended): the same, plus the update;
- the warm graphs' digests against cold indexes of the same trees (they must be equal).
Goal: warm start < 1 s on a 50k-line repository.

Usage: python benchmarks/snapshot.py [--corpus NAME ...] [--runs N] [--json]
Corpora: regex-syntax (~51k lines; Debian crate sources, skipped when absent), asyncio, stdlib.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from engine import EXCLUDES, corpora  # the corpora of the engine benchmark

CHANGED_FILES = 10


def child(mode: str, root: Path, exclude: tuple[str, ...]) -> dict[str, Any]:
    """One measurement in this (fresh) process."""
    import dataclasses

    from pt_tui.core.digest import graph_digest
    from pt_tui.core.engine import Engine
    from pt_tui.core.warm import warm_start

    if mode == "digest":
        engine = Engine(root, exclude=exclude)
        engine.index()
        return {"digest": graph_digest(engine.isg)}
    if mode == "first-update":
        return first_update(root, exclude)
    engine, report = warm_start(root, cold=mode == "cold", exclude=exclude)
    out = dataclasses.asdict(report)
    out.update(
        digest=graph_digest(engine.isg),
        files=engine.report.files_indexed,
        lines=engine.report.lines,
        nodes=engine.isg.node_count,
        edges=engine.isg.edge_count,
    )
    return out


def first_update(root: Path, exclude: tuple[str, ...]) -> dict[str, Any]:
    """The first update after a warm start (a body edit of one file), with the resolvers left to
    that update (built lazily: the old behaviour of one-shot commands) and with them built ahead
    by ``Engine.warm_resolvers`` (what watch and the dashboard do, in a background thread)."""
    from pt_tui.core.warm import warm_start

    out: dict[str, Any] = {}
    for ahead in (False, True):
        engine, _ = warm_start(root, exclude=exclude, write=False)
        rel = max(sorted(engine.facts), key=lambda p: engine.facts[p].lines)  # the biggest file
        path = root / rel
        original, st = path.read_bytes(), path.stat()
        build = 0.0
        if ahead:
            t = time.perf_counter()
            engine.warm_resolvers(background=False)
            build = time.perf_counter() - t
        path.write_bytes(b"\n" + original)
        t = time.perf_counter()
        engine.update([path])
        seconds = time.perf_counter() - t
        path.write_bytes(original)
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # the snapshot's stamp holds again
        key = "ahead" if ahead else "lazy"
        out[f"{key}_update_seconds"] = seconds
        out[f"{key}_build_seconds"] = build
        out["file"] = rel
    return out


def _run(mode: str, root: Path, exclude: tuple[str, ...], cache: Path) -> dict[str, Any]:
    env = {**os.environ, "PT_TUI_CACHE_DIR": str(cache)}
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(root), *exclude],
        capture_output=True,
        text=True,
        env=env,
    )
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"{mode} on {root} failed:\n{proc.stderr}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    result["process_seconds"] = wall
    return result


def _edit(root: Path, n: int, exclude: tuple[str, ...]) -> list[str]:
    """Append a comment to ``n`` indexed source files spread over the tree; returns their paths."""
    from pt_tui.core.ingest.pipeline import discover

    files = [f for f in discover(root, exclude=exclude) if "test" not in f.relpath]
    picked = files[:: max(1, len(files) // n)][:n]
    for f in picked:
        comment = b"\n# edited\n" if f.path.suffix == ".py" else b"\n// edited\n"
        f.path.write_bytes(f.path.read_bytes() + comment)
    return [f.relpath for f in picked]


def run_corpus(name: str, source: Path, runs: int) -> dict[str, Any]:
    exclude = EXCLUDES.get(name, ())
    with tempfile.TemporaryDirectory(prefix="pt-tui-bench-") as tmp:
        root = Path(tmp) / source.name
        shutil.copytree(source, root, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
        cache = Path(tmp) / "cache"
        cold = _run("cold", root, exclude, cache)
        warm = min(
            (_run("warm", root, exclude, cache) for _ in range(runs)), key=lambda r: r["total_seconds"]
        )
        first = _run("first-update", root, exclude, cache)
        _edit(root, CHANGED_FILES, exclude)
        changed = _run("warm", root, exclude, cache)
        after = _run("digest", root, exclude, cache)
        # a mismatch only means something if the cold index itself is stable: check it then
        stable = True
        if changed["digest"] != after["digest"]:
            stable = _run("digest", root, exclude, cache)["digest"] == after["digest"]
    return {
        "corpus": name,
        "root": str(source),
        "cold": cold,
        "warm": warm,
        "changed": changed,
        "first_update": first,
        "warm_equals_cold": warm["digest"] == cold["digest"],
        "changed_equals_cold": changed["digest"] == after["digest"],
        "cold_is_stable": stable,
    }


def print_result(r: dict[str, Any]) -> None:
    cold, warm, changed = r["cold"], r["warm"], r["changed"]
    print(f"\n== {r['corpus']}: {cold['files']:,} files, {cold['lines']:,} lines ({r['root']})")
    print(
        f"  graph: {cold['nodes']:,} nodes, {cold['edges']:,} edges; "
        f"snapshot {cold['snapshot_bytes'] / 1e6:.1f} MB on disk"
    )
    print(
        f"  cold index + save          {cold['total_seconds']:7.2f} s   (save {cold['save_seconds']:.2f} s; "
        f"process {cold['process_seconds']:.2f} s)"
    )
    for label, w in (("warm, nothing changed", warm), (f"warm, {CHANGED_FILES} files changed", changed)):
        reindexed = w["files_changed"] + w["files_added"] + w["files_deleted"]
        goal = ""
        if cold["lines"] <= 60_000:
            goal = "   goal < 1 s: " + ("met" if w["total_seconds"] < 1 else "MISSED")
        print(f"  {label:26} {w['total_seconds']:7.3f} s{goal}")
        print(
            f"    setup {w['setup_seconds']:.3f} s, load {w['load_seconds']:.3f} s, "
            f"restore {w['restore_seconds']:.3f} s, "
            f"re-walk {w['walk_seconds']:.3f} s, update {w['update_seconds']:.3f} s, "
            f"save {w['save_seconds']:.3f} s; {w['files_reused']:,} reused, {reindexed} re-indexed, "
            f"{w['files_hashed']} hashed; process {w['process_seconds']:.2f} s"
        )
    f = r["first_update"]
    print(
        f"  first update after a warm start ({f['file']}): {f['lazy_update_seconds'] * 1000:.0f} ms with "
        f"the resolvers built by it; {f['ahead_update_seconds'] * 1000:.1f} ms once warm_resolvers built "
        f"them ahead ({f['ahead_build_seconds']:.2f} s, in the background in watch / the dashboard)"
    )
    print(f"  warm == cold (digest): {r['warm_equals_cold']}; after the edits: {r['changed_equals_cold']}")
    if not r["cold_is_stable"]:
        print("  (two cold indexes of the edited tree differ too: resolution is not deterministic here)")
    print(f"  speed-up (cold / warm): {cold['total_seconds'] / max(warm['total_seconds'], 1e-9):.0f}x")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpus", action="append", help="Corpus to run (repeatable; default: all).")
    parser.add_argument("--runs", type=int, default=3, help="Warm starts to time (the best is shown).")
    parser.add_argument("--json", action="store_true", help="Print JSON instead of tables.")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args, rest = parser.parse_known_args()
    if args.child:
        print(json.dumps(child(args.child, Path(rest[0]), tuple(rest[1:]))))
        return 0
    available = corpora()
    results = []
    for name in args.corpus or ["regex-syntax", "asyncio", "stdlib"]:
        if name not in available:
            parser.error(f"unknown corpus {name!r}; choose from {', '.join(available)}")
        source = available[name]
        if source is None or not source.exists():
            print(f"\n== {name}: skipped (not installed; apt-get install librust-regex-dev)")
            continue
        result = run_corpus(name, source, args.runs)
        results.append(result)
        if not args.json:
            print_result(result)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print(f"\n(cpus: {os.cpu_count()}; figures move 20-30% run to run on this machine)")
    bad = [
        r["corpus"]
        for r in results
        if not r["warm_equals_cold"] or (r["cold_is_stable"] and not r["changed_equals_cold"])
    ]
    if bad:
        print(f"warm start differs from a cold index on: {', '.join(bad)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
