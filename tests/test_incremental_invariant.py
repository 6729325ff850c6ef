"""The incremental invariant: after any sequence of edits on a copy of a real package, the updated
graph equals a cold index of the same tree (compared by the canonical digest)."""

from __future__ import annotations

import re
import shutil
import sysconfig
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pt_tui.core.digest import graph_delta, graph_digest
from pt_tui.core.engine import Engine

STDLIB = Path(sysconfig.get_paths()["stdlib"])
SAMPLE = Path(__file__).resolve().parents[1] / "pt_tui" / "demo" / "sample" / "pricing-engine"
REGISTRY = Path("/usr/share/cargo/registry")

# An edit: (kind, file pick, position pick, name pick); interpreted against the tree's current state.
Edit = tuple[str, int, int, int]

PY_KINDS = (
    "shift",
    "comment_body",
    "rename_def",
    "move_method",
    "delete",
    "restore",
    "rename_file",
    "add_import",
    "remove_import",
    "change_base",
    "syntax_error",
    "add_def",
)
RS_KINDS = (
    "shift",
    "comment_body",
    "rename_def",
    "delete",
    "restore",
    "rename_file",
    "add_import",
    "remove_import",
    "change_impl",
    "syntax_error",
    "add_def",
)


def _edits(kinds: tuple[str, ...]) -> st.SearchStrategy[list[list[Edit]]]:
    edit = st.tuples(st.sampled_from(kinds), st.integers(0, 999), st.integers(0, 999), st.integers(0, 999))
    return st.lists(st.lists(edit, min_size=1, max_size=3), min_size=1, max_size=5)


class Tree:
    """A copy of a package and its pristine original, edited by :meth:`apply`."""

    def __init__(self, root: Path, original: Path, ext: str) -> None:
        self.root = root
        self.original = original
        self.ext = ext

    def files(self) -> list[Path]:
        return sorted(p for p in self.root.rglob(f"*{self.ext}") if p.is_file())

    def apply(self, edit: Edit) -> list[Path]:
        """Perform one edit on disk; returns the paths it touched."""
        kind, fpick, ppick, npick = edit
        files = self.files()
        if kind == "restore":
            missing = sorted(
                p
                for p in self.original.rglob(f"*{self.ext}")
                if not (self.root / p.relative_to(self.original)).exists()
            )
            if not missing:
                return []
            src = missing[fpick % len(missing)]
            dst = self.root / src.relative_to(self.original)
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
            return [dst]
        if not files:
            return []
        path = files[fpick % len(files)]
        if kind == "delete":
            path.unlink()
            return [path]
        if kind == "rename_file":
            new = path.with_name(f"{path.stem}_r{npick % 3}{self.ext}")
            if new.exists():
                return []
            path.rename(new)
            return [path, new]
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines(keepends=True)
        at = ppick % (len(lines) + 1)
        edited = EDITORS[self.ext](kind, text, lines, at, npick)
        if edited is None or edited == text:
            return []
        path.write_text(edited, encoding="utf-8")
        return [path]


def _py_edit(kind: str, text: str, lines: list[str], at: int, pick: int) -> str | None:
    if kind == "shift":
        return "\n" * (1 + pick % 3) + text
    if kind == "comment_body":
        # a body line becomes something else: a comment, or a call without arguments
        bodies = [i for i, line in enumerate(lines) if line.startswith("        ") and line.strip()]
        if not bodies:
            return None
        i = bodies[pick % len(bodies)]
        indent = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
        lines[i] = indent + ("pass  # edited\n" if pick % 2 else "print()\n")
        return "".join(lines)
    if kind == "rename_def":
        defs = list(re.finditer(r"^(\s*)def (\w+)\(", text, re.M))
        if not defs:
            return None
        m = defs[pick % len(defs)]
        return text[: m.start(2)] + m.group(2) + "_renamed" + text[m.end(2) :]
    if kind == "move_method":
        return _move_method(lines, pick)
    if kind == "add_import":
        choices = (
            "import json.decoder\n",
            "from .decoder import JSONDecoder as _Alias\n",
            "from . import scanner\n",
            "from email.message import Message\n",
            "from .utils import *\n",
        )
        return choices[pick % len(choices)] + text
    if kind == "remove_import":
        imports = [i for i, line in enumerate(lines) if re.match(r"(import|from) \S", line)]
        if not imports:
            return None
        del lines[imports[pick % len(imports)]]
        return "".join(lines)
    if kind == "change_base":
        classes = list(re.finditer(r"^class (\w+)(\([^)]*\))?:", text, re.M))
        if not classes:
            return None
        m = classes[pick % len(classes)]
        names = [c.group(1) for c in classes if c.group(1) != m.group(1)]
        base = names[pick % len(names)] if names and pick % 3 else "ValueError" if pick % 2 else ""
        new = f"class {m.group(1)}({base}):" if base else f"class {m.group(1)}:"
        return text[: m.start()] + new + text[m.end() :]
    if kind == "syntax_error":
        lines.insert(at, "def broken(:\n")
        return "".join(lines)
    if kind == "add_def":
        return text + f"\n\ndef helper_{pick % 4}(x):\n    return x.strip()\n"
    raise AssertionError(kind)


def _move_method(lines: list[str], pick: int) -> str | None:
    """Cut a method out of one top-level class and paste it at the end of another."""
    classes = [i for i, line in enumerate(lines) if re.match(r"class \w+", line)]

    def end_of(start: int, indent: int) -> int:
        j = start + 1
        while j < len(lines) and (not lines[j].strip() or len(lines[j]) - len(lines[j].lstrip()) > indent):
            j += 1
        return j

    if len(classes) < 2:
        return None
    src = classes[pick % len(classes)]
    dst = classes[(pick // 7 + 1 + pick) % len(classes)]
    if src == dst:
        dst = classes[(classes.index(src) + 1) % len(classes)]
    src_end = end_of(src, 0)
    methods = [i for i in range(src + 1, src_end) if re.match(r"    (async )?def \w+", lines[i])]
    if not methods:
        return None
    m = methods[pick % len(methods)]
    block = lines[m : end_of(m, 4)]
    rest = lines[:m] + lines[m + len(block) :]
    dst = dst if dst < m else dst - len(block)
    insert = end_of(dst, 0)
    out = [*rest[:insert], "\n", *block, *rest[insert:]]
    return "".join(out)


def _rs_edit(kind: str, text: str, lines: list[str], at: int, pick: int) -> str | None:
    if kind == "shift":
        return "\n" * (1 + pick % 3) + text
    if kind == "comment_body":
        bodies = [
            i for i, line in enumerate(lines) if line.startswith("        ") and line.strip().endswith(";")
        ]
        if not bodies:
            return None
        i = bodies[pick % len(bodies)]
        lines[i] = "        // edited\n" + lines[i]
        return "".join(lines)
    if kind == "rename_def":
        defs = list(re.finditer(r"\b(fn|struct|enum|trait) (\w+)", text))
        if not defs:
            return None
        m = defs[pick % len(defs)]
        return text[: m.start(2)] + m.group(2) + "Renamed" + text[m.end(2) :]
    if kind == "add_import":
        choices = ("use crate::*;\n", "use super::*;\n", "use std::fmt;\n", "use crate::money::Money;\n")
        return choices[pick % len(choices)] + text
    if kind == "remove_import":
        uses = [i for i, line in enumerate(lines) if re.match(r"\s*(pub )?use \S.*;\s*$", line)]
        if not uses:
            return None
        del lines[uses[pick % len(uses)]]
        return "".join(lines)
    if kind == "change_impl":
        impls = list(re.finditer(r"^impl(<[^>]*>)? (\w+) for (\w+)", text, re.M))
        if not impls:
            return None
        m = impls[pick % len(impls)]
        return text[: m.start(3)] + ("Other" if pick % 2 else m.group(3) + "X") + text[m.end(3) :]
    if kind == "syntax_error":
        lines.insert(at, "fn broken( {\n")
        return "".join(lines)
    if kind == "add_def":
        return text + f"\n\npub fn helper_{pick % 4}() -> u32 {{ 1 }}\n"
    raise AssertionError(kind)


EDITORS: dict[str, Callable[[str, str, list[str], int, int], str | None]] = {".py": _py_edit, ".rs": _rs_edit}


def _check(root: Path, original: Path, ext: str, batches: list[list[Edit]], tmp: Path) -> None:
    work = tmp / "work"
    if work.exists():
        shutil.rmtree(work)
    shutil.copytree(original, work)
    tree = Tree(work, original, ext)
    engine = Engine(work)
    engine.index()
    for batch in batches:
        touched: list[Path] = []
        for edit in batch:
            touched.extend(tree.apply(edit))
        engine.update(touched)
    cold = Engine(work)
    cold.index()
    if graph_digest(engine.isg) != graph_digest(cold.isg):
        only_live, only_cold = graph_delta(engine.isg, cold.isg)
        pytest.fail(
            f"live graph differs from a cold index:\nlive only {only_live[:8]}\ncold only {only_cold[:8]}"
        )


def _copy_subset(src: Path, dst: Path, names: list[str]) -> Path:
    dst.mkdir(parents=True)
    for name in names:
        shutil.copy2(src / name, dst / name)
    return dst


@pytest.fixture(scope="module")
def json_pkg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = STDLIB / "json"
    if not src.is_dir():
        pytest.skip("the standard library's json package is not available")
    base = tmp_path_factory.mktemp("orig")
    # json, and a few email modules beside it (imports across packages, class hierarchies)
    _copy_subset(src, base / "json", ["__init__.py", "decoder.py", "encoder.py", "scanner.py"])
    email = STDLIB / "email"
    _copy_subset(
        email, base / "email", ["__init__.py", "errors.py", "_policybase.py", "policy.py", "utils.py"]
    )
    return base


@pytest.fixture(scope="module")
def regex_syntax() -> Path:
    found = sorted(REGISTRY.glob("regex-syntax-*")) if REGISTRY.is_dir() else []
    if not found:
        pytest.skip("no regex-syntax crate under /usr/share/cargo/registry")
    return found[-1]


SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@SETTINGS
@given(batches=_edits(PY_KINDS))
def test_python_edits_match_cold_index(json_pkg: Path, tmp_path: Path, batches: list[list[Edit]]) -> None:
    _check(json_pkg, json_pkg, ".py", batches, tmp_path)


@SETTINGS
@given(batches=_edits(RS_KINDS))
def test_rust_sample_edits_match_cold_index(tmp_path: Path, batches: list[list[Edit]]) -> None:
    _check(SAMPLE, SAMPLE, ".rs", batches, tmp_path)


@settings(SETTINGS, max_examples=12)
@given(batches=_edits(RS_KINDS))
def test_rust_crate_edits_match_cold_index(
    regex_syntax: Path, tmp_path: Path, batches: list[list[Edit]]
) -> None:
    _check(regex_syntax, regex_syntax, ".rs", batches, tmp_path)


def test_body_edit_takes_the_fast_path(json_pkg: Path, tmp_path: Path) -> None:
    """A line shift re-resolves only the edited file, and still matches a cold index."""
    work = tmp_path / "w"
    shutil.copytree(json_pkg, work)
    engine = Engine(work)
    engine.index()
    target = work / "json" / "decoder.py"
    target.write_text("\n\n" + target.read_text())
    diff = engine.update([target])
    assert engine.last_update == {"files": 1, "resolved": 1, "full": 0, "rebuilt": 0}
    assert diff.changed_nodes and not diff.added_nodes and not diff.removed_nodes
    cold = Engine(work)
    cold.index()
    assert graph_digest(engine.isg) == graph_digest(cold.isg)
