"""Incremental update benchmark: single-file updates beside re-parse, a burst, random edit storms.

On a copy of each corpus (in a temporary folder) it prints, measured in the same run:
- single-file update p50 / p99 over a few hundred random files, beside the tree-sitter re-parse
  time of the same files (goal: p99 < 12 ms and <= 5x the re-parse). The edit is a body edit
  (lines shift, a statement changes): the file's interface stays, the common case when editing.
  Edits that change a file's interface (a definition added; one renamed) are timed too, on fewer
  files, beside their re-parse: with targeted re-resolution and/or with the whole language
  resolved again (``--interface-modes``; on the whole stdlib only the engine's default, each
  whole-language update there costs about a cold resolution);
- one update of a burst of 1,000 changed files (body edits; then interface edits: a definition
  added to each), beside the cold index of the same tree;
- with --memory: what the live resolvers keep (traced allocations);
- N random edit events (body edits, renamed / added definitions, added / removed imports,
  deleted / restored / renamed files, syntax errors) applied in random batches, then whether the
  graph equals a cold re-index (it must).

Usage: python benchmarks/incremental.py [--corpus NAME ...] [--files N] [--interface-files N]
       [--interface-modes both|default|targeted|full] [--burst N] [--events N] [--memory] [--json]
Corpora: stdlib (the whole standard library, tests included, site-packages left out), stdlib-core
(15 of its packages), asyncio, email, regex-syntax and tokio (Debian crate sources, skipped when
absent).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import sys
import sysconfig
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pt_tui.core.engine as engine_module
from pt_tui.core.digest import graph_digest
from pt_tui.core.engine import Engine
from pt_tui.core.lang import language_for, languages

CARGO_REGISTRY = Path("/usr/share/cargo/registry")
STDLIB = Path(sysconfig.get_paths()["stdlib"])
SKIP = ("site-packages", "dist-packages", "__pycache__")
#: Packages of the standard library copied side by side for the ``stdlib-core`` corpus (a few
#: hundred files: the whole ``stdlib`` corpus, its tests included and site-packages left out, is
#: about 1.8k files and 0.86M lines on CPython 3.11).
CORE_PACKAGES = (
    "asyncio", "collections", "concurrent", "email", "http", "importlib", "json", "logging",
    "multiprocessing", "unittest", "urllib", "xml", "xmlrpc", "sqlite3", "wsgiref",
)  # fmt: skip


def _crate(prefix: str) -> Path | None:
    found = sorted(p for p in CARGO_REGISTRY.glob(f"{prefix}-[0-9]*") if p.is_dir())
    return found[-1] if found else None


def corpora() -> dict[str, Path | None]:
    return {
        "stdlib": STDLIB,
        "stdlib-core": STDLIB,
        "asyncio": STDLIB / "asyncio",
        "email": STDLIB / "email",
        "regex-syntax": _crate("regex-syntax"),
        "tokio": _crate("tokio"),
    }


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def copy_sources(src: Path, dst: Path) -> None:
    """Copy the source files (and manifests) of a tree, nothing else."""

    def ignore(folder: str, names: list[str]) -> list[str]:
        out = []
        for name in names:
            full = Path(folder) / name
            if name in SKIP or (full.is_file() and not (language_for(name) or name == "Cargo.toml")):
                out.append(name)
        return out

    shutil.copytree(src, dst, ignore=ignore, symlinks=True)


# -- edits ------------------------------------------------------------------------------------------


def body_edit(text: str, rng: random.Random, rust: bool) -> str:
    """Shift every line down and change one line inside a body (a trailing comment): what typing
    in a function body does to the file's facts, without breaking its syntax. The comment marker
    follows the file's language (``//`` in Python is floor division: it changed the interface of
    the ~4% of Python files that mention ``fn `` and sent their updates down the full path)."""
    lines = text.splitlines(keepends=True)
    bodies = [i for i, line in enumerate(lines) if line.startswith("        ") and line.strip()]
    if bodies:
        i = rng.choice(bodies)
        plain = not any(q in lines[i] for q in ('"""', "'''", "\\", "#", "//", "/*"))
        if plain and lines[i].endswith("\n"):
            lines[i] = lines[i][:-1] + ("  // edited\n" if rust else "  # edited\n")
    return "\n" + "".join(lines)


def interface_edit(path: Path, text: str, rng: random.Random) -> str:
    n = rng.randrange(1000)
    if path.suffix == ".rs":
        return text + f"\npub fn bench_added_{n}() -> u32 {{ 1 }}\n"
    return text + f"\n\ndef bench_added_{n}(x):\n    return x\n"


def random_event(root: Path, original: Path, rng: random.Random) -> list[Path]:
    """One random edit on disk; returns the paths it touched."""
    files = sorted(p for p in root.rglob("*") if p.is_file() and language_for(p.name))
    kind = rng.choices(
        ["body", "rename_def", "add_def", "import", "unimport", "delete", "restore", "rename_file", "syntax"],
        weights=[40, 10, 10, 8, 8, 6, 8, 4, 6],
    )[0]
    if kind == "restore":
        missing = [
            p
            for p in original.rglob("*")
            if language_for(p.name) and not (root / p.relative_to(original)).exists()
        ]
        if not missing:
            return []
        src = rng.choice(sorted(missing))
        dst = root / src.relative_to(original)
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst)
        return [dst]
    if not files:
        return []
    path = rng.choice(files)
    if kind == "delete":
        path.unlink()
        return [path]
    if kind == "rename_file":
        new = path.with_name(f"{path.stem}_r{rng.randrange(3)}{path.suffix}")
        if new.exists():
            return []
        path.rename(new)
        return [path, new]
    text = path.read_text(encoding="utf-8", errors="replace")
    rs = path.suffix == ".rs"
    if kind == "body":
        text = body_edit(text, rng, rs)
    elif kind == "rename_def":
        defs = list(re.finditer(r"\bfn (\w+)" if rs else r"^\s*def (\w+)\(", text, re.M))
        if defs:
            m = rng.choice(defs)
            text = text[: m.start(1)] + m.group(1) + "_r" + text[m.end(1) :]
    elif kind == "add_def":
        text = interface_edit(path, text, rng)
    elif kind == "import":
        text = ("use crate::*;\n" if rs else "import os.path\nfrom . import *\n") + text
    elif kind == "unimport":
        lines = text.splitlines(keepends=True)
        found = [i for i, ln in enumerate(lines) if re.match(r"\s*use \S" if rs else r"(import|from) \S", ln)]
        if found:
            del lines[rng.choice(found)]
        text = "".join(lines)
    elif kind == "syntax":
        lines = text.splitlines(keepends=True)
        lines.insert(rng.randrange(len(lines) + 1), "fn broken( {\n" if rs else "def broken(:\n")
        text = "".join(lines)
    path.write_text(text, encoding="utf-8")
    return [path]


# -- measurements ---------------------------------------------------------------------------------


def single_file(engine: Engine, root: Path, n: int, rng: random.Random) -> dict[str, Any]:
    paths = sorted(engine.facts)
    picks = rng.sample(paths, min(n, len(paths)))
    update_ms: list[float] = []
    parse_ms: list[float] = []
    ratios: list[float] = []
    full = 0
    for rel in picks:
        path = root / rel
        original = path.read_bytes()
        language = language_for(path.name)
        assert language is not None
        edited = body_edit(original.decode("utf-8", "replace"), rng, path.suffix == ".rs")
        path.write_text(edited, encoding="utf-8")
        t = time.perf_counter()
        engine.update([path])
        u = (time.perf_counter() - t) * 1000
        full += engine.last_update.get("rebuilt", 0)
        source = path.read_bytes()
        t = time.perf_counter()
        language.parse_only(source)
        p = (time.perf_counter() - t) * 1000
        update_ms.append(u)
        parse_ms.append(p)
        ratios.append(u / max(p, 1e-3))
        path.write_bytes(original)
        engine.update([path])
    return {
        "files": len(picks),
        "update_p50_ms": pct(update_ms, 0.5),
        "update_p99_ms": pct(update_ms, 0.99),
        "reparse_p50_ms": pct(parse_ms, 0.5),
        "reparse_p99_ms": pct(parse_ms, 0.99),
        "ratio_p50": pct(ratios, 0.5),
        "ratio_p99": pct(ratios, 0.99),
        "ratio_of_p99s": pct(update_ms, 0.99) / max(pct(parse_ms, 0.99), 1e-3),
        "full_re_resolves": full,
    }


def rename_edit(path: Path, text: str, rng: random.Random) -> str | None:
    """Rename one definition (what other files call by that name stop finding it)."""
    found = list(re.finditer(r"\bfn (\w+)" if path.suffix == ".rs" else r"^\s*def (\w+)\(", text, re.M))
    if not found:
        return None
    m = rng.choice(found)
    return text[: m.start(1)] + m.group(1) + "_r" + text[m.end(1) :]


def interface_modes(mode: str) -> tuple[bool, ...]:
    """The TARGETED settings an interface edit is timed with."""
    return {
        "both": (False, True),
        "targeted": (True,),
        "full": (False,),
        "default": (engine_module.TARGETED,),
    }[mode]


def interface_changes(
    engine: Engine, root: Path, n: int, rng: random.Random, modes: tuple[bool, ...] = (False, True)
) -> dict[str, Any]:
    """Interface edits (a definition added; one renamed), each timed on the same edit once per
    mode (True: targeted re-resolution, False: the whole language resolved again; all the edits
    of one mode in a row, as a process with that setting sees them), beside the re-parse of the
    edited file."""
    picks = rng.sample(sorted(engine.facts), min(n, len(engine.facts)))
    out: dict[str, Any] = {"files": len(picks), "modes": list(modes)}
    default = engine_module.TARGETED
    for kind in ("add", "rename"):
        times: dict[bool, list[float]] = {m: [] for m in modes}
        parse_ms: list[float] = []
        resolved: dict[bool, list[int]] = {m: [] for m in modes}
        edits: list[tuple[Path, bytes, str]] = []
        for rel in picks:
            path = root / rel
            original = path.read_bytes()
            text = original.decode("utf-8", "replace")
            edited = interface_edit(path, text, rng) if kind == "add" else rename_edit(path, text, rng)
            if edited is None:
                continue
            edits.append((path, original, edited))
            language = language_for(path.name)
            assert language is not None
            source = edited.encode("utf-8")
            t = time.perf_counter()
            language.parse_only(source)
            parse_ms.append((time.perf_counter() - t) * 1000)
        for targeted in modes:
            engine_module.TARGETED = targeted
            for path, original, edited in edits:
                path.write_text(edited, encoding="utf-8")
                t = time.perf_counter()
                engine.update([path])
                times[targeted].append((time.perf_counter() - t) * 1000)
                resolved[targeted].append(engine.last_update.get("resolved", 0))
                path.write_bytes(original)
                engine.update([path])
        engine_module.TARGETED = default
        row: dict[str, Any] = {
            "edits": len(parse_ms),
            "reparse_p50_ms": pct(parse_ms, 0.5),
            "reparse_p99_ms": pct(parse_ms, 0.99),
        }
        for targeted in modes:
            label = "targeted" if targeted else "full"
            row[f"{label}_p50_ms"] = pct(times[targeted], 0.5)
            row[f"{label}_p99_ms"] = pct(times[targeted], 0.99)
            row[f"{label}_resolved_p50"] = pct([float(r) for r in resolved[targeted]], 0.5)
            row[f"{label}_resolved_max"] = max(resolved[targeted], default=0)
        out[kind] = row
    return out


def resolver_memory(engine: Engine) -> dict[str, Any]:
    """What the live resolvers keep: traced allocations still held after building each language's
    resolver over the engine's facts and resolving every file (the memos stay)."""
    out: dict[str, Any] = {}
    for name, language in languages().items():
        mine = {p: f for p, f in sorted(engine.facts.items()) if f.language == name}
        if not mine:
            continue
        tracemalloc.start()
        resolver = language.resolver(mine)
        built = tracemalloc.get_traced_memory()[0]
        for _ in resolver.resolve_all():
            pass
        kept = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        del resolver
        payload = sum(len(f.payload) for f in mine.values())
        out[name] = {
            "built_mb": built / 2**20,
            "after_resolve_mb": kept / 2**20,
            "payload_mb": payload / 2**20,
        }
    return out


def burst(engine: Engine, root: Path, n: int, rng: random.Random, interface: bool = False) -> dict[str, Any]:
    """One update of ``n`` changed files (a ``git checkout``): body edits, or with ``interface`` a
    definition added to each; then one more update that puts them back (timed too)."""
    picks = rng.sample(sorted(engine.facts), min(n, len(engine.facts)))
    originals = {rel: (root / rel).read_bytes() for rel in picks}
    for rel, data in originals.items():
        text = data.decode("utf-8", "replace")
        if interface:
            edited = interface_edit(root / rel, text, rng)
        else:
            edited = body_edit(text, rng, rel.endswith(".rs"))
        (root / rel).write_text(edited, encoding="utf-8")
    t = time.perf_counter()
    diff = engine.update([root / rel for rel in picks])
    ms = (time.perf_counter() - t) * 1000
    what = dict(engine.last_update)
    for rel, data in originals.items():
        (root / rel).write_bytes(data)
    t = time.perf_counter()
    engine.update([root / rel for rel in picks])
    back_ms = (time.perf_counter() - t) * 1000
    return {
        "files": len(picks),
        "ms": ms,
        "back_ms": back_ms,
        "changed_nodes": len(diff.changed_nodes),
        "added_nodes": len(diff.added_nodes),
        "update": what,
    }


def storm(engine: Engine, root: Path, original: Path, events: int, rng: random.Random) -> dict[str, Any]:
    done = 0
    updates = 0
    t = time.perf_counter()
    while done < events:
        batch = rng.choice([1, 1, 1, 5, 20, 100])
        touched: list[Path] = []
        for _ in range(min(batch, events - done)):
            touched.extend(random_event(root, original, rng))
            done += 1
        engine.update(touched)
        updates += 1
    seconds = time.perf_counter() - t
    cold = Engine(root)
    cold.index()
    equal = graph_digest(engine.isg) == graph_digest(cold.isg)
    return {"events": done, "updates": updates, "seconds": seconds, "equal_to_cold": equal}


def run_corpus(name: str, src: Path, args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="pt-tui-bench-") as tmp:
        # a package is copied as a folder of the root, so that its absolute imports resolve
        sub = src.name if (src / "__init__.py").is_file() else ""
        root = Path(tmp) / "tree"
        pristine = Path(tmp) / "pristine"
        for base in (root, pristine):
            if name == "stdlib-core":
                for package in CORE_PACKAGES:
                    copy_sources(src / package, base / package)
            else:
                copy_sources(src, base / sub)
        engine = Engine(root)
        t = time.perf_counter()
        report = engine.index()
        out: dict[str, Any] = {
            "corpus": name,
            "files": report.files_indexed,
            "lines": report.lines,
            "cold_index_s": time.perf_counter() - t,
        }
        out["single"] = single_file(engine, root, args.files, rng)
        out["interface"] = interface_changes(
            engine, root, args.interface_files, rng, interface_modes(args.interface_modes)
        )
        out["burst"] = burst(engine, root, args.burst, rng)
        out["burst_interface"] = burst(engine, root, args.burst, rng, interface=True)
        if args.memory:
            out["memory"] = resolver_memory(engine)
        if args.events:
            out["storm"] = storm(engine, root, pristine, args.events, rng)
    return out


def print_result(r: dict[str, Any]) -> None:
    s, i = r["single"], r["interface"]
    print(f"== {r['corpus']}: {r['files']} files, {r['lines']} lines (cold index {r['cold_index_s']:.2f} s)")
    print(
        f"  single-file update (body edit, {s['files']} files): p50 {s['update_p50_ms']:.2f} ms, "
        f"p99 {s['update_p99_ms']:.2f} ms | re-parse p50 {s['reparse_p50_ms']:.2f} ms, "
        f"p99 {s['reparse_p99_ms']:.2f} ms | update/re-parse per file: p50 {s['ratio_p50']:.1f}x, "
        f"p99 {s['ratio_p99']:.1f}x; p99/p99 {s['ratio_of_p99s']:.1f}x "
        f"(goal p99 < 12 ms, <= 5x) [{s['full_re_resolves']} full re-resolves]"
    )
    for kind, label in (("add", "a definition added"), ("rename", "a definition renamed")):
        k = i[kind]
        parts = []
        for mode, title in (("targeted", "targeted"), ("full", "whole language")):
            if f"{mode}_p50_ms" in k:
                parts.append(
                    f"{title} p50 {k[f'{mode}_p50_ms']:.1f} ms, p99 {k[f'{mode}_p99_ms']:.1f} ms "
                    f"(files re-resolved p50 {k[f'{mode}_resolved_p50']:.0f}, "
                    f"max {k[f'{mode}_resolved_max']})"
                )
        print(
            f"  interface change ({label}, {k['edits']} files): {' | '.join(parts)} | re-parse "
            f"p50 {k['reparse_p50_ms']:.2f} ms, p99 {k['reparse_p99_ms']:.2f} ms"
        )
    cold_ms = r["cold_index_s"] * 1000
    for key, label in (("burst", "body edits"), ("burst_interface", "a definition added to each")):
        b = r[key]
        print(
            f"  burst of {b['files']} changed files ({label}): one update {b['ms']:.0f} ms "
            f"({100 * b['ms'] / cold_ms:.0f}% of the cold index, {cold_ms:.0f} ms), "
            f"put back {b['back_ms']:.0f} ms "
            f"[{b['update'].get('resolved', 0)} files resolved, {b['update'].get('full', 0)} whole-language]"
        )
    for language, m in r.get("memory", {}).items():
        print(
            f"  {language} resolver memory: {m['built_mb']:.0f} MB built, {m['after_resolve_mb']:.0f} MB "
            f"after resolving every file (payloads {m['payload_mb']:.0f} MB)"
        )
    if "storm" in r:
        st = r["storm"]
        verdict = "EQUAL" if st["equal_to_cold"] else "DIFFERENT (bug)"
        print(
            f"  {st['events']} random edit events in {st['updates']} updates: {st['seconds']:.1f} s; "
            f"graph vs cold re-index: {verdict}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", action="append", choices=sorted(corpora()))
    parser.add_argument("--files", type=int, default=300, help="files for single-file updates")
    parser.add_argument(
        "--interface-files", type=int, default=None, help="files for interface changes (10; 3 on stdlib)"
    )
    parser.add_argument(
        "--interface-modes",
        choices=("both", "default", "targeted", "full"),
        default=None,
        help="interface edits: targeted and/or whole-language re-resolution (both; stdlib: default)",
    )
    parser.add_argument("--burst", type=int, default=1000)
    parser.add_argument("--events", type=int, default=10_000, help="random edit events (0: skip)")
    parser.add_argument("--storm-corpus", action="append", help="corpora that run the edit storm")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--memory", action="store_true", help="measure what the resolvers keep")
    parser.add_argument(
        "--targeted", action="store_true", help="targeted re-resolution on for the burst and the storm"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    engine_module.TARGETED = engine_module.TARGETED or args.targeted
    names = args.corpus or ["stdlib", "regex-syntax", "email"]
    storm_on = set(args.storm_corpus or ["email", "regex-syntax"])
    results = []
    for name in names:
        src = corpora()[name]
        if src is None or not src.is_dir():
            print(f"== {name}: not available here, skipped")
            continue
        events, interface, modes = args.events, args.interface_files, args.interface_modes
        args.events = events if name in storm_on else 0
        if interface is None:
            args.interface_files = 3 if name == "stdlib" else 10
        if modes is None:
            args.interface_modes = "default" if name == "stdlib" else "both"
        result = run_corpus(name, src, args)
        args.events, args.interface_files, args.interface_modes = events, interface, modes
        results.append(result)
        if not args.json:
            print_result(result)
            sys.stdout.flush()
    if args.json:
        print(json.dumps(results, indent=2))
    return 0 if all(r.get("storm", {}).get("equal_to_cold", True) for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
