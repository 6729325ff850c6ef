"""Call-graph accuracy: precision and recall of CALLS edges against hand-written expected graphs.

PyCG-style micro-benchmark kept in the repository. Each case is a small program in its own folder
with a ``callgraph.json`` of the expected edges in PyCG's format, ``{"caller": ["callee", ...]}``,
names being our qualified names (``main.func``, ``main.Class.method``, ``main.<lambda1>``,
``app::Type::method``, ``app::<Type as Trait>::method``; a module's own code is the module):

- ``tests/fixtures/callgraph/<case>/`` - Python (the expected graphs were checked against the calls
  a profiler sees when the program runs);
- ``tests/fixtures/callgraph_rust/<case>/`` - Rust crates named ``app`` (calls written in a
  ``macro_rules!`` body are the macro's, as module-level code is the module's; a closure's body is
  part of the fn around it; a ``#[path]`` module is named after its file, as every module is).

The expected edges are the calls that really happen (what a sound and precise call graph holds),
not what pt-tui outputs. Conventions, as in PyCG's benchmark: calls of builtins and of the
standard library are left out (the graph has no such entities), calling a class counts as a call
of its ``__init__`` (a CALLS edge to the class node itself is not scored; the ``__init__`` edge is),
and class bodies run no calls in the fixtures.

Usage: python benchmarks/callgraph_accuracy.py [--json] [CASE_DIR ...]
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from pt_tui.core.engine import Engine
from pt_tui.core.model import EdgeKind, NodeKind

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
SUITES = {"python": FIXTURES / "callgraph", "rust": FIXTURES / "callgraph_rust"}
#: Callee kinds that are scored (a call of a class is scored through its ``__init__``).
SCORED_CALLEES = frozenset({NodeKind.FUNCTION, NodeKind.METHOD, NodeKind.LAMBDA})

Pair = tuple[str, str]


@dataclass
class CaseResult:
    case: str
    language: str
    expected: int
    found: int
    correct: int
    missing: list[Pair]
    extra: list[Pair]

    @property
    def precision(self) -> float:
        return self.correct / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        return self.correct / self.expected if self.expected else 1.0


def expected_edges(case: Path) -> set[Pair]:
    data = json.loads((case / "callgraph.json").read_text(encoding="utf-8"))
    return {(src, dst) for src, dsts in data.items() for dst in dsts}


def found_edges(case: Path) -> set[Pair]:
    """The CALLS edges pt-tui finds in the case, as (caller, callee) qualified names."""
    engine = Engine(case, workers=1)
    engine.index()
    isg = engine.isg
    out: set[Pair] = set()
    for edge in isg.edges():
        if edge.kind is not EdgeKind.CALLS:
            continue
        src, dst = isg.node(edge.src), isg.node(edge.dst)
        if src is not None and dst is not None and dst.kind in SCORED_CALLEES:
            out.add((src.qualname, dst.qualname))
    return out


def measure(case: Path, language: str) -> CaseResult:
    return score(case.name, language, expected_edges(case), found_edges(case))


def score(name: str, language: str, expected: set[Pair], found: set[Pair]) -> CaseResult:
    """Compare the edges pt-tui ``found`` with the ``expected`` ones."""
    return CaseResult(
        case=name,
        language=language,
        expected=len(expected),
        found=len(found),
        correct=len(expected & found),
        missing=sorted(expected - found),
        extra=sorted(found - expected),
    )


def cases() -> list[tuple[Path, str]]:
    return [
        (case, language)
        for language, suite in SUITES.items()
        for case in sorted(suite.iterdir())
        if (case / "callgraph.json").is_file()
    ]


def overall(results: list[CaseResult]) -> tuple[float, float]:
    """Precision and recall over every edge of ``results`` (micro-averaged)."""
    expected = sum(r.expected for r in results)
    found = sum(r.found for r in results)
    correct = sum(r.correct for r in results)
    return (correct / found if found else 1.0, correct / expected if expected else 1.0)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("cases", nargs="*", type=Path, help="Case folders (default: every fixture case).")
    parser.add_argument("--json", action="store_true", help="Print JSON instead of a table.")
    parser.add_argument("--verbose", "-v", action="store_true", help="List missing and extra edges.")
    args = parser.parse_args()
    todo = (
        [(c, "rust" if (c / "Cargo.toml").exists() else "python") for c in args.cases]
        if args.cases
        else cases()
    )
    results = [measure(case, language) for case, language in todo]
    if args.json:
        print(
            json.dumps(
                [{**asdict(r), "precision": r.precision, "recall": r.recall} for r in results], indent=2
            )
        )
        return 0
    header = ("case", "lang", "expected", "found", "correct", "precision", "recall")
    print("{:28} {:6} {:>8} {:>6} {:>7} {:>9} {:>7}".format(*header))
    for r in results:
        print(
            f"{r.case:28} {r.language:6} {r.expected:8} {r.found:6} {r.correct:7} "
            f"{r.precision:9.2f} {r.recall:7.2f}"
        )
        if args.verbose:
            for src, dst in r.missing:
                print(f"    missing {src} -> {dst}")
            for src, dst in r.extra:
                print(f"    extra   {src} -> {dst}")
    for language in SUITES:
        mine = [r for r in results if r.language == language]
        if mine:
            p, r_ = overall(mine)
            print(f"overall {language:20} precision {p:.3f} recall {r_:.3f} ({len(mine)} cases)")
    p, r_ = overall(results)
    print(f"overall {'all':20} precision {p:.3f} recall {r_:.3f} ({len(results)} cases)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
