"""The lean worker start: the worker imports neither tree-sitter nor the query verbs, while the
built-in verbs are still registered however the verb registry is reached (each case in a fresh
interpreter: what a module imports first is the point)."""

from __future__ import annotations

import subprocess
import sys

import pytest

import pt_tui.core.query as query


def run(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_the_worker_imports_neither_tree_sitter_nor_the_verbs() -> None:
    out = run(
        "import sys, pt_tui.sandbox.worker\n"
        "heavy = ('tree_sitter', 'pt_tui.core.lang', 'pt_tui.core.query.registry',"
        " 'pt_tui.core.query.verbs')\n"
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    assert out == "[]"


BUILTINS = (
    "from pt_tui.core.query.verbs import BUILTIN\nprint(all(s.name in VERBS for s in BUILTIN), len(BUILTIN))"
)


@pytest.mark.parametrize(
    "first",
    [
        "from pt_tui.core.query.registry import VERBS",
        "from pt_tui.core.query.run import run_query\nfrom pt_tui.core.query.registry import VERBS",
        "from pt_tui.core.query.verbs import register_builtins\nfrom pt_tui.core.query.registry import VERBS",
        "from pt_tui.core.impact import impact\nfrom pt_tui.core.query.registry import VERBS",
        "from pt_tui.core.query import VERBS",
        "import pt_tui.core.query.result\nfrom pt_tui.core.query import VERBS",
    ],
)
def test_builtin_verbs_are_registered_however_the_registry_is_reached(first: str) -> None:
    registered, count = run(f"{first}\n{BUILTINS}").split()
    assert registered == "True" and int(count) >= 10


def test_every_public_name_is_importable() -> None:
    for name in query.__all__:
        assert getattr(query, name) is not None, name
    assert set(query.__all__) <= set(dir(query))
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        query.nope  # noqa: B018
    out = run(f"from pt_tui.core.query import {', '.join(query.__all__)}\nprint('ok')")
    assert out == "ok"
