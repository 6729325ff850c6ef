"""Call-graph accuracy floors on PyCG's micro-benchmark (benchmarks/pycg_micro.py).

The snippets are not in the repository: the first run downloads the pycg sdist from PyPI into the
pt-tui cache folder (the one in effect when this module is imported, not the per-test private one,
so later runs reuse it offline); the floor tests skip when that download fails.

Each floor is the precision / recall measured when it was set, minus a margin of about 0.05 (a
category measured at 1.00 may lose no edge of its few dozen); the measured values are in the
comments. Raise a floor when resolution gets better; a drop below one is a regression.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from pt_tui.core.userdirs import cache_dir

ROOT = Path(__file__).resolve().parent.parent


def _load_benchmark() -> ModuleType:
    path = ROOT / "benchmarks" / "pycg_micro.py"
    spec = importlib.util.spec_from_file_location("pycg_micro", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


bench = _load_benchmark()
CACHE = cache_dir()  # read at import: the autouse fixture gives each test a private one later

# category -> (precision floor, recall floor); measured values in the comments.
FLOORS: dict[str, tuple[float, float]] = {
    "args": (0.95, 0.95),  # 1.000 / 1.000
    "assignments": (0.95, 0.95),  # 1.000 / 1.000
    "builtins": (0.95, 0.75),  # 1.000 / 0.800: iterating map()'s result gives nothing
    "classes": (0.95, 0.95),  # 1.000 / 1.000
    "decorators": (0.90, 0.90),  # 0.955 / 0.955: `a = d1; a = d2; @a` links both (flow-insensitive)
    "dicts": (0.85, 0.89),  # 0.900 / 0.947: a key reassigned keeps its old value; nested literals
    "direct_calls": (0.95, 0.95),  # 1.000 / 1.000
    "dynamic": (0.95, 0.0),  # 1.000 / 0.000: eval() is not followed
    "exceptions": (0.95, 0.95),  # 1.000 / 1.000
    "external": (0.95, 0.95),  # 1.000 / 1.000 (the snippets' own edges only)
    "functions": (0.95, 0.95),  # 1.000 / 1.000
    "generators": (0.95, 0.36),  # 1.000 / 0.412: no yields, no implicit __iter__ / __next__ calls
    "imports": (0.95, 0.95),  # 1.000 / 1.000
    "kwargs": (0.95, 0.95),  # 1.000 / 1.000
    "lambdas": (0.95, 0.95),  # 1.000 / 1.000
    "lists": (0.79, 0.79),  # 0.846 / 0.846: slices, nested literals, non-literal indexes
    "mro": (0.95, 0.95),  # 1.000 / 1.000
    "returns": (0.95, 0.95),  # 1.000 / 1.000
}
OVERALL_FLOOR = (0.93, 0.88)  # 0.978 / 0.934


@pytest.fixture(scope="module")
def snippets() -> Path:
    try:
        return bench.fetch(CACHE)  # type: ignore[no-any-return]
    except (bench.FetchError, OSError) as exc:
        pytest.skip(f"PyCG's micro-benchmark is not cached and cannot be downloaded (offline?): {exc}")


@pytest.fixture(scope="module")
def results(snippets: Path) -> list[Any]:
    return [bench.measure(category, case) for category, case in bench.snippet_cases(snippets)]


def test_every_category_has_a_floor(snippets: Path) -> None:
    cases = bench.snippet_cases(snippets)
    assert len(cases) == 118
    assert {category for category, _ in cases} == set(FLOORS)


@pytest.mark.parametrize("category", sorted(FLOORS))
def test_category_meets_floor(category: str, results: list[Any]) -> None:
    precision, recall, _ = bench.by_category(results)[category]
    mine = [r for r in results if r.case.startswith(category + "/")]
    detail = [(r.case, r.missing, r.extra) for r in mine if r.missing or r.extra]
    assert precision >= FLOORS[category][0], detail
    assert recall >= FLOORS[category][1], detail


def test_overall_meets_floor(results: list[Any]) -> None:
    precision, recall = bench.accuracy.overall(results)
    assert precision >= OVERALL_FLOOR[0]
    assert recall >= OVERALL_FLOOR[1]


# -- scoring (no download needed) -----------------------------------------------------------------


def test_builtin_and_external_edges_are_left_out(tmp_path: Path) -> None:
    case = tmp_path / "external" / "mixed"
    (case / "pkg").mkdir(parents=True)
    (case / "pkg" / "__init__.py").write_text("")
    (case / "main.py").write_text("import ext\nfrom pkg import *\ndef f():\n    len([])\nf()\next.g()\n")
    expected = {
        "main": ["main.f", "ext.g", "<builtin>.len"],
        "main.f": ["<builtin>.len", "main.missing"],
        "ext.g": [],
    }
    (case / "callgraph.json").write_text(json.dumps(expected))
    assert bench.local_modules(case) == {"main", "pkg"}
    result = bench.measure("external", case)
    assert result.case == "external/mixed"
    # scored: main -> main.f (found), main.f -> main.missing (missed); builtin and ext ends dropped
    assert (result.expected, result.correct) == (2, 1)
    assert result.missing == [("main.f", "main.missing")]
    assert result.extra == []


def test_fetch_reuses_the_extracted_snippets_without_network(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    snippets = bench.snippets_dir(tmp_path)
    (snippets / "functions" / "call").mkdir(parents=True)

    def no_pip(*args: object, **kwargs: object) -> None:
        raise AssertionError("pip must not run when the snippets are cached")

    monkeypatch.setattr(bench.subprocess, "run", no_pip)
    assert bench.fetch(tmp_path) == snippets


def test_fetch_fails_cleanly_offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def offline(*args: object, **kwargs: object) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(args, 1, "", "ERROR: Could not find a version (offline)")

    monkeypatch.setattr(bench.subprocess, "run", offline)
    with pytest.raises(bench.FetchError, match="offline"):
        bench.fetch(tmp_path)
    assert not bench.snippets_dir(tmp_path).exists()
