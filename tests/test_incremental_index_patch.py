"""The Python resolver index patched in place (``Index.remove_file`` / ``add_file``) equals an
index built from scratch over the same files, field by field, after any sequence of file changes:
what lets an interface edit skip decoding every file again (see ``affected.patch_resolver``)."""

from __future__ import annotations

import sysconfig
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pt_tui.core.ingest.pipeline import SkippedFile, extract_file
from pt_tui.core.lang import FileFacts
from pt_tui.core.lang.python.facts import ENCODER
from pt_tui.core.lang.python.index import Index

STDLIB = Path(sysconfig.get_paths()["stdlib"])
Pool = dict[str, list[FileFacts | None]]

A1 = """
class A:
    x = 1

    def run(self):
        self.seen = self.helper()
        return self.seen

    def helper(self):
        return 1

    def helper(self):
        return 2


def free(fn):
    return fn()
"""
A2 = """
class A:
    class Inner:
        def run(self):
            return 3

    def run(self):
        self.other = 2


class A2(A):
    pass
"""
B1 = """
from pkg.a import A, free


class B(A):
    def __init__(self):
        self.y = free(lambda: 1)

    def run(self):
        return super().run()
"""
MOD = "def f():\n    pass\n\n\nclass C:\n    def m(self):\n        return f()\n"
MOD2 = "class C:\n    def m(self):\n        pass\n\n    def n(self):\n        pass\n"

#: path -> its versions (None: the file is absent)
VERSIONS: dict[str, list[str | None]] = {
    "__init__.py": [None, "", "from . import pkg\n"],
    "pkg/__init__.py": [None, "from .a import *\n", "__all__ = ['A']\nfrom pkg.a import A\n"],
    "pkg/a.py": [None, A1, A2, A1 + "\ndef broken(:\n"],
    "pkg/b.py": [None, B1, B1.replace("B(A)", "B")],
    "pkg/mod.py": [None, MOD, MOD2],  # same module (and node ids) as the package below
    "pkg/mod/__init__.py": [None, MOD, MOD2],
    "pkg/zz.py": [None, "import pkg.mod\n\n\ndef z():\n    pkg.mod.f()\n"],
    "unreadable.py": [None, "BAD"],
}
STDLIB_FILES = ("decoder.py", "encoder.py", "scanner.py")


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[FileFacts | None]]:
    """Every version of every file, extracted once."""
    root = tmp_path_factory.mktemp("versions")
    versions = dict(VERSIONS)
    if (STDLIB / "json").is_dir():
        for name in STDLIB_FILES:
            text = (STDLIB / "json" / name).read_text(encoding="utf-8")
            versions[f"json/{name}"] = [None, text, "\n\n" + text + "\n\ndef extra():\n    pass\n"]
    out: dict[str, list[FileFacts | None]] = {}
    for rel, texts in versions.items():
        facts: list[FileFacts | None] = []
        for i, text in enumerate(texts):
            if text is None:
                facts.append(None)
                continue
            path = root / str(i) / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text if text != "BAD" else "x = 1\n", encoding="utf-8")
            found = extract_file(str(root / str(i)), str(path), rel)
            assert not isinstance(found, SkippedFile)
            if text == "BAD":  # a payload of another version: the index counts it unreadable
                found.payload = b"\xc1not msgpack"
            facts.append(found)
        out[rel] = facts
    return out


def state(ix: Index) -> dict[str, Any]:
    """Everything an index holds that resolution reads, comparable (scopes by their encoding)."""
    return {
        "scopes": [ENCODER.encode(s) for s in ix.scopes],
        "base": ix.base,
        "caller": ix.caller,
        "file_scopes": list(ix.file_scopes.items()),
        "imports": {p: ENCODER.encode(i) for p, i in ix.imports.items()},
        "module_node": ix.module_node,
        "modules": ix.modules,
        "scope_of": ix.scope_of,
        "kind": ix.kind,
        "globals_by_name": ix.globals_by_name,
        "methods_by_name": ix.methods_by_name,
        "root_package": ix.root_package,
        "unreadable": ix.unreadable,
        "by_last": ix._by_last,
        "found": {m: ix.find_module(m) for m in [*ix.modules, "pkg.mod", "mod", "a", "json.decoder", ""]},
    }


def _check(
    pool: dict[str, list[FileFacts | None]], steps: list[list[tuple[int, int]]], copy: bool = False
) -> None:
    """Apply the steps to one index, in place or (``copy``) each batch to a copy of the index of
    the batch before, which must stay as it was."""
    paths = sorted(pool)
    current: dict[str, FileFacts] = {p: v for p in paths if (v := pool[p][1]) is not None}
    patched = Index(dict(sorted(current.items())))
    for batch in steps:
        if copy:
            original, before = patched, state(patched)
            patched = patched.copy()
        for path_pick, version_pick in batch:
            path = paths[path_pick % len(paths)]
            new = pool[path][version_pick % len(pool[path])]
            old = current.pop(path, None)
            if old is not None and new is not None and version_pick % 2:
                patched.replace_file(path, old, new)
            else:
                if old is not None:
                    patched.remove_file(path, old)
                if new is not None:
                    patched.add_file(path, new)
            if new is not None:
                current[path] = new
        fresh = Index(dict(sorted(current.items())))
        assert state(patched) == state(fresh)
        if copy:
            assert state(original) == before


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    steps=st.lists(
        st.lists(st.tuples(st.integers(0, 99), st.integers(0, 9)), min_size=1, max_size=4),
        min_size=1,
        max_size=6,
    )
)
def test_a_patched_index_equals_a_fresh_one(pool: dict[str, list[FileFacts | None]], steps: Any) -> None:
    _check(pool, steps)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    steps=st.lists(
        st.lists(st.tuples(st.integers(0, 99), st.integers(0, 9)), min_size=1, max_size=4),
        min_size=1,
        max_size=4,
    )
)
def test_a_patched_copy_leaves_the_original_alone(
    pool: dict[str, list[FileFacts | None]], steps: Any
) -> None:
    """``Index.copy()`` patched equals a fresh index, and the index copied is unchanged (targeted
    re-resolution reads the state before beside the state after)."""
    _check(pool, steps, copy=True)


def test_duplicate_modules_hand_over_to_the_next_file(pool: dict[str, list[FileFacts | None]]) -> None:
    """``pkg/mod.py`` and ``pkg/mod/__init__.py`` are one module with the same node ids: taking the
    first out gives the second its module and ids, putting it back takes them again."""
    mod, package = "pkg/mod.py", "pkg/mod/__init__.py"
    assert mod < package
    _check(pool, [[(sorted(pool).index(mod), 0)], [(sorted(pool).index(mod), 1)]])
    _check(pool, [[(sorted(pool).index(package), 2)], [(sorted(pool).index(mod), 0)]])
