"""The file walker: .gitignore, default skips, symlinks and loops, stable order."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pt_tui.core.ingest.walk import WalkStats, walk_sources


def _files(root: Path, **kwargs: object) -> list[str]:
    return [f.relpath for f in walk_sources(root, lambda n: n.endswith((".py", ".rs")), **kwargs)]  # type: ignore[arg-type]


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)


def test_default_skips_and_gitignore(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "a.py": "",
            "pkg/b.py": "",
            "pkg/gen_x.py": "",
            "pkg/keep_gen.py": "",
            "pkg/.gitignore": "gen_*.py\n",
            "build/out.py": "",
            ".gitignore": "build/\n*.tmp.py\n",
            "x.tmp.py": "",
            "target/debug/m.rs": "",
            ".venv/lib/site.py": "",
            "node_modules/n.py": "",
            ".git/hooks/h.py": "",
            "env/pyvenv.cfg": "",
            "env/lib/e.py": "",
            "src/lib.rs": "",
            "notes.txt": "",
        },
    )
    stats = WalkStats()
    assert _files(tmp_path, stats=stats) == ["a.py", "pkg/b.py", "pkg/keep_gen.py", "src/lib.rs"]
    assert stats.ignored >= 7


def test_negation_in_nested_gitignore(tmp_path: Path) -> None:
    _write(
        tmp_path, {".gitignore": "*.py\n", "sub/.gitignore": "!keep.py\n", "sub/keep.py": "", "sub/x.py": ""}
    )
    assert _files(tmp_path) == ["sub/keep.py"]


def test_gitignore_can_be_disabled(tmp_path: Path) -> None:
    _write(tmp_path, {".gitignore": "*.py\n", "a.py": ""})
    assert _files(tmp_path, use_gitignore=False) == ["a.py"]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks on this platform")
def test_symlink_loop_is_safe(tmp_path: Path) -> None:
    _write(tmp_path, {"pkg/a.py": ""})
    os.symlink(tmp_path, tmp_path / "pkg" / "loop")
    os.symlink(tmp_path / "pkg", tmp_path / "again")
    stats = WalkStats()
    assert _files(tmp_path, stats=stats) == ["pkg/a.py"]
    assert stats.symlinks_skipped == 2
    followed = WalkStats()
    files = _files(tmp_path, follow_symlinks=True, stats=followed)
    # each real directory is entered once, whichever path reaches it first
    assert len(files) == 1
    assert followed.loops_avoided >= 1


def test_order_is_stable(tmp_path: Path) -> None:
    _write(tmp_path, {name: "" for name in ["z.py", "b/c.py", "a/d.py", "a/b/e.py", "m.rs"]})
    # a folder's files by name, then its subfolders by name, depth first
    assert _files(tmp_path) == ["m.rs", "z.py", "a/d.py", "a/b/e.py", "b/c.py"]


def test_exclude_patterns(tmp_path: Path) -> None:
    _write(tmp_path, {"a.py": "", "site-packages/x.py": "", "lib/site-packages/y.py": "", "lib/z.py": ""})
    assert _files(tmp_path, exclude=["site-packages/"]) == ["a.py", "lib/z.py"]
