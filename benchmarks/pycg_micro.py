"""Call-graph accuracy against PyCG's micro-benchmark: precision and recall of Python CALLS edges.

PyCG (Salis et al., ICSE 2021) ships 118 small programs with hand-written call graphs
(``snippets/<category>/<case>/{main.py, ..., callgraph.json}``) inside its sdist on PyPI. They are
not part of this repository (Apache-2.0, kept apart on purpose): the first run downloads the sdist
with pip into the pt-tui cache folder (``PT_TUI_CACHE_DIR``) and extracts only ``micro-benchmark/``;
later runs reuse it offline.

Scoring reuses ``benchmarks/callgraph_accuracy.py``: PyCG's names are ours (dotted ``module.func``,
``main.Class.method``, ``main.<lambda1>``, a module's own code is the module, a call of a class is a
call of its ``__init__``). Edges with a builtin end (``<builtin>.len``, ``<**PyStr**>.split``) or an
external one (a module the snippet does not contain, e.g. ``ext.function``) are left out on both
sides: the graph has no such entities. The ``external`` category then scores only the snippets' own
functions.

Usage: python benchmarks/pycg_micro.py [--json] [--verbose] [CATEGORY ...]
Exit status 2 when the sdist cannot be fetched (offline on the first run).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any

from pt_tui.core.userdirs import cache_dir

PYCG_VERSION = "0.0.8"
#: Snippet categories in the order the resolver work favours (real code needs the first ones most).
CATEGORIES = (
    "classes",
    "mro",
    "imports",
    "decorators",
    "returns",
    "args",
    "kwargs",
    "assignments",
    "lambdas",
    "dicts",
    "lists",
    "functions",
    "direct_calls",
    "builtins",
    "dynamic",
    "exceptions",
    "generators",
    "external",
)


def _load_accuracy() -> ModuleType:
    """``benchmarks/callgraph_accuracy.py`` (benchmarks/ is not a package)."""
    name = "callgraph_accuracy"
    if name in sys.modules:
        return sys.modules[name]
    path = Path(__file__).resolve().parent / "callgraph_accuracy.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


accuracy = _load_accuracy()
Pair = tuple[str, str]


class FetchError(Exception):
    """The sdist is not cached and could not be downloaded."""


def snippets_dir(cache: Path | None = None) -> Path:
    """Where the extracted ``snippets/`` folder lives (it may not exist yet)."""
    base = cache if cache is not None else cache_dir()
    return base / "pycg" / f"pycg-{PYCG_VERSION}" / "micro-benchmark" / "snippets"


def fetch(cache: Path | None = None) -> Path:
    """The snippets folder, downloading and extracting the sdist the first time. Raises FetchError."""
    target = snippets_dir(cache)
    if target.is_dir():
        return target
    root = target.parent.parent.parent  # <cache>/pycg
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=root) as tmp:
        command = [sys.executable, "-m", "pip", "download", f"pycg=={PYCG_VERSION}"]
        command += ["--no-deps", "--no-binary", ":all:", "--disable-pip-version-check", "-q", "-d", tmp]
        done = subprocess.run(command, capture_output=True, text=True, timeout=600)
        sdists = list(Path(tmp).glob("pycg-*.tar.gz"))
        if done.returncode != 0 or not sdists:
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise FetchError(f"cannot download pycg=={PYCG_VERSION} with pip: {last}")
        prefix = f"pycg-{PYCG_VERSION}/micro-benchmark/"
        with tarfile.open(sdists[0]) as tar:
            members = [m for m in tar.getmembers() if m.name.startswith(prefix)]
            tar.extractall(tmp, members=members, filter="data")
        staged = Path(tmp) / f"pycg-{PYCG_VERSION}"
        if not (staged / "micro-benchmark" / "snippets").is_dir():
            raise FetchError(f"pycg-{PYCG_VERSION}.tar.gz has no micro-benchmark/snippets")
        final = target.parent.parent
        if not final.exists():  # another run may have won the race
            staged.rename(final)
    return target


def snippet_cases(snippets: Path, categories: list[str] | None = None) -> list[tuple[str, Path]]:
    """(category, case folder) of every snippet with a callgraph.json."""
    wanted = categories or [c.name for c in sorted(snippets.iterdir()) if c.is_dir()]
    return [
        (category, case)
        for category in wanted
        for case in sorted((snippets / category).iterdir())
        if (case / "callgraph.json").is_file()
    ]


def local_modules(case: Path) -> set[str]:
    """Top-level module and package names the snippet defines (anything else is external)."""
    return {p.stem for p in case.glob("*.py")} | {p.name for p in case.iterdir() if p.is_dir()}


def in_scope(pair: Pair, modules: set[str]) -> bool:
    """Both ends are the snippet's own code (no builtin, no external module)."""
    return all(not name.startswith("<") and name.split(".")[0] in modules for name in pair)


def measure(category: str, case: Path) -> Any:
    """A ``callgraph_accuracy.CaseResult`` named ``category/case``."""
    modules = local_modules(case)
    expected = {pair for pair in accuracy.expected_edges(case) if in_scope(pair, modules)}
    found = {pair for pair in accuracy.found_edges(case) if in_scope(pair, modules)}
    return accuracy.score(f"{category}/{case.name}", "python", expected, found)


def by_category(results: list[Any]) -> dict[str, tuple[float, float, int]]:
    """category -> (precision, recall, number of cases), micro-averaged over the category's edges."""
    groups: dict[str, list[Any]] = {}
    for result in results:
        groups.setdefault(result.case.split("/")[0], []).append(result)
    return {cat: (*accuracy.overall(group), len(group)) for cat, group in groups.items()}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("categories", nargs="*", help="Snippet categories (default: all).")
    parser.add_argument("--json", action="store_true", help="Print JSON instead of a table.")
    parser.add_argument("--verbose", "-v", action="store_true", help="List missed and spurious edges.")
    args = parser.parse_args()
    try:
        snippets = fetch()
    except (FetchError, OSError, subprocess.SubprocessError) as exc:
        print(f"pycg_micro: {exc}", file=sys.stderr)
        return 2
    results = [measure(category, case) for category, case in snippet_cases(snippets, args.categories)]
    categories = by_category(results)
    precision, recall = accuracy.overall(results)
    if args.json:
        print(
            json.dumps(
                {
                    "categories": {
                        c: {"precision": p, "recall": r, "cases": n} for c, (p, r, n) in categories.items()
                    },
                    "overall": {"precision": precision, "recall": recall, "cases": len(results)},
                    "cases": [
                        {
                            "case": r.case,
                            "precision": r.precision,
                            "recall": r.recall,
                            "missing": r.missing,
                            "extra": r.extra,
                        }
                        for r in results
                    ],
                },
                indent=2,
            )
        )
        return 0
    print(f"PyCG {PYCG_VERSION} micro-benchmark ({snippets}); builtin and external edges left out")
    print("{:14} {:>5} {:>9} {:>7}".format("category", "cases", "precision", "recall"))
    order = [c for c in CATEGORIES if c in categories] + sorted(set(categories) - set(CATEGORIES))
    for category in order:
        p, r, n = categories[category]
        print(f"{category:14} {n:5} {p:9.3f} {r:7.3f}")
    print(f"{'overall':14} {len(results):5} {precision:9.3f} {recall:7.3f}")
    if args.verbose:
        for result in results:
            for src, dst in result.missing:
                print(f"  missed   {result.case}: {src} -> {dst}")
            for src, dst in result.extra:
                print(f"  spurious {result.case}: {src} -> {dst}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
