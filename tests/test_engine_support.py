"""Shared helpers for the engine tests that edit a tree and compare with a cold index (imported by
tests/test_incremental_*.py and the view-patch tests)."""

from __future__ import annotations

import shutil
import sysconfig
from pathlib import Path

import pytest

from pt_tui.core.digest import graph_delta, graph_digest
from pt_tui.core.engine import Engine

STDLIB = Path(sysconfig.get_paths()["stdlib"])


def write_file(root: Path, rel: str, text: str) -> Path:
    """Write ``text`` to ``root / rel`` (folders made as needed); the path written."""
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def assert_same_as_cold(engine: Engine) -> None:
    """Fail, with the differences, unless ``engine``'s graph equals a cold index of its tree."""
    cold = Engine(engine.root)
    cold.index()
    if graph_digest(engine.isg) != graph_digest(cold.isg):
        pytest.fail(f"differs from a cold index: {graph_delta(engine.isg, cold.isg)}")


def indexed_email_copy(tmp_path: Path) -> Engine:
    """An engine indexed (in this process) on a copy of the standard library's email package;
    skips when the package is absent."""
    src = STDLIB / "email"
    if not src.is_dir():
        pytest.skip("the standard library's email package is not available")
    root = tmp_path / "email"
    shutil.copytree(src, root, ignore=shutil.ignore_patterns("__pycache__"))
    eng = Engine(root, workers=1)
    eng.index()
    return eng
