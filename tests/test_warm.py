"""Warm start: restore from the snapshot, re-index only what changed, equal to a cold index."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import time
from pathlib import Path

import msgspec
import pytest
from click.testing import CliRunner

from pt_tui.app.cli import main
from pt_tui.core import warm
from pt_tui.core.digest import graph_delta, graph_digest
from pt_tui.core.engine import Engine
from pt_tui.core.snapshot import read_snapshot, snapshot_path, write_snapshot
from pt_tui.core.stamps import RACY_NS
from pt_tui.core.warm import save, warm_start

FILES = {
    "pkg/__init__.py": '"""A package."""\nfrom .core import run\n',
    "pkg/core.py": (
        "class Base:\n    def hello(self) -> str:\n        return 'hi'\n\n\n"
        "class Child(Base):\n    def greet(self) -> str:\n        return self.hello()\n\n\n"
        "def run() -> str:\n    return Child().greet()\n"
    ),
    "pkg/util.py": "from pkg.core import run\n\n\ndef twice() -> str:\n    return run() + run()\n",
    "main.py": (
        "from pkg import run\nfrom pkg.util import twice\n\n\ndef main() -> None:\n    run()\n    twice()\n"
    ),
    "crate/Cargo.toml": '[package]\nname = "demo-crate"\nversion = "0.1.0"\n',
    "crate/src/lib.rs": (
        "pub mod shapes;\n"
        "pub fn total(s: &[shapes::Square]) -> f64 { s.iter().map(|x| shapes::area(x)).sum() }\n"
    ),
    "crate/src/shapes.rs": (
        "pub struct Square { pub side: f64 }\npub fn area(s: &Square) -> f64 { s.side * s.side }\n"
    ),
}

_CLOCK = itertools.count()


def _age(path: Path) -> None:
    """Give a file a distinct mtime well in the past (files written just now are racy)."""
    past = time.time_ns() - 10 * RACY_NS - 1_000_000_000 * 3600 + next(_CLOCK) * 1_000_000
    os.utime(path, ns=(past, past))


def _write(root: Path, rel: str, data: str | bytes, *, age: bool = True) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data)
    else:
        path.write_bytes(data)
    if age:
        _age(path)
    return path


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    for rel, text in FILES.items():
        _write(root, rel, text)
    return root


def _cold_digest(root: Path) -> str:
    engine = Engine(root)
    engine.index()
    return graph_digest(engine.isg)


def _assert_same_as_cold(engine: Engine) -> None:
    cold = Engine(engine.root, exclude=engine.exclude, follow_symlinks=engine.follow_symlinks)
    cold.index()
    if graph_digest(engine.isg) != graph_digest(cold.isg):
        only_warm, only_cold = graph_delta(engine.isg, cold.isg)
        pytest.fail(f"warm != cold\nonly warm: {only_warm[:5]}\nonly cold: {only_cold[:5]}")


def test_cold_then_warm(project: Path) -> None:
    engine, report = warm_start(project)
    assert (report.mode, report.reason, report.warning, report.saved) == ("cold", "no snapshot yet", "", True)
    assert Path(report.snapshot) == snapshot_path(project) and Path(report.snapshot).is_file()
    assert report.snapshot_bytes == Path(report.snapshot).stat().st_size
    first = graph_digest(engine.isg)

    engine, report = warm_start(project)
    assert report.mode == "warm" and not report.warning and not report.saved
    assert report.files_reused == len([p for p in FILES if not p.endswith(".toml")])
    assert report.files_reindexed == 0
    assert graph_digest(engine.isg) == first == _cold_digest(project)
    assert engine.report.files_indexed == report.files_reused
    assert engine.report.by_language == {"python": 4, "rust": 2}


def test_changes_are_reindexed_and_the_graph_equals_a_cold_index(project: Path) -> None:
    warm_start(project)
    _write(project, "pkg/util.py", "def twice() -> str:\n    return 'x'\n")  # changed (size)
    core = (project / "pkg/core.py").read_text()
    _write(project, "pkg/core.py", core.replace("'hi'", "'ho'"))  # changed, same size
    _write(project, "main.py", (project / "main.py").read_text())  # touched: same content, new mtime
    _write(project, "pkg/extra.py", "from pkg.core import Base\n\n\nclass More(Base):\n    pass\n")
    (project / "crate/src/shapes.rs").rename(project / "crate/src/geometry.rs")  # renamed
    lib = (project / "crate/src/lib.rs").read_text().replace("shapes", "geometry")
    _write(project, "crate/src/lib.rs", lib)
    (project / "pkg/__init__.py").unlink()  # deleted

    engine, report = warm_start(project)
    assert report.mode == "warm"
    assert (report.files_changed, report.files_added, report.files_deleted) == (3, 2, 2)
    assert report.files_hashed == 2  # core.py (same size) and main.py (touched) were hashed
    assert report.files_reused == 1  # main.py
    assert report.saved
    _assert_same_as_cold(engine)

    engine, report = warm_start(project)  # nothing left to do
    assert report.mode == "warm" and report.files_reindexed == 0 and not report.saved
    _assert_same_as_cold(engine)


def test_files_written_just_before_indexing_are_checked_again(tmp_path: Path) -> None:
    """A file modified within the racy window gets no content digest, so the next start re-reads it
    even though its size and mtime match (an edit in the same clock tick would keep both)."""
    root = tmp_path / "fresh"
    for rel, text in FILES.items():
        _write(root, rel, text, age=False)
    warm_start(root)
    snap = read_snapshot(snapshot_path(root))
    assert all(s.digest == b"" for s in snap.body.stamps.values())
    engine, report = warm_start(root)
    assert report.mode == "warm" and (report.files_changed, report.files_reused) == (6, 0)
    _assert_same_as_cold(engine)


def _damage(root: Path, how: str) -> None:
    path = snapshot_path(root)
    data = bytearray(path.read_bytes())
    if how == "flip":
        data[len(data) // 2] ^= 0x40
    elif how == "truncate":
        del data[len(data) // 3 :]
    elif how == "garbage":
        data[:] = b"not a snapshot\n" * 10
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    ("how", "expected"), [("flip", "checksum"), ("truncate", "truncated"), ("garbage", "not a pt-tui")]
)
def test_a_damaged_snapshot_means_one_warning_and_a_cold_index(
    project: Path, how: str, expected: str
) -> None:
    warm_start(project)
    _write(project, "pkg/new.py", "def fresh() -> None:\n    pass\n")
    _damage(project, how)
    engine, report = warm_start(project)
    assert report.mode == "cold"
    assert expected in report.warning and report.warning.endswith("indexing cold")
    assert "\n" not in report.warning
    assert report.saved  # replaced by a good one
    _assert_same_as_cold(engine)
    engine, report = warm_start(project)
    assert report.mode == "warm" and not report.warning


def test_other_version_snapshot(project: Path) -> None:
    warm_start(project)
    path = snapshot_path(project)
    snap = read_snapshot(path)
    write_snapshot(path, msgspec.structs.replace(snap.header, pt_tui="0.0.1"), snap.body)
    engine, report = warm_start(project)
    assert report.mode == "cold" and "pt-tui 0.0.1" in report.warning
    _assert_same_as_cold(engine)


def test_other_options_index_cold_without_a_warning(project: Path) -> None:
    warm_start(project)
    engine, report = warm_start(project, exclude=("crate/",))
    assert report.mode == "cold" and "options" in report.reason and not report.warning
    assert set(engine.report.by_language) == {"python"}
    engine, report = warm_start(project, exclude=("crate/",))
    assert report.mode == "warm"
    _assert_same_as_cold(engine)


def test_cold_flag_and_no_write(project: Path) -> None:
    _, report = warm_start(project, write=False)
    assert not report.saved and not snapshot_path(project).exists()
    warm_start(project)
    before = read_snapshot(snapshot_path(project)).header.written_ns
    _, report = warm_start(project, cold=True)
    assert (report.mode, report.reason, report.saved) == ("cold", "--cold", True)
    assert read_snapshot(snapshot_path(project)).header.written_ns > before


def test_skipped_files_are_stamped_and_counted(project: Path) -> None:
    _write(project, "pkg/blob.py", b"\x00\x01binary")
    _write(project, "pkg/latin.py", "s = 'caf\xe9'\n".encode("latin-1"))
    cold, _ = warm_start(project)
    engine, report = warm_start(project)
    assert report.mode == "warm" and report.files_reindexed == 0
    assert report.files_reused == 8  # the two skipped files are known, not retried
    assert (engine.report.skipped_binary, engine.report.skipped_non_utf8) == (1, 1)
    assert (cold.report.skipped_binary, cold.report.skipped_non_utf8) == (1, 1)
    _write(project, "pkg/latin.py", "s = 'cafe'\n")  # now readable: indexed
    engine, report = warm_start(project)
    assert report.files_changed == 1 and engine.report.skipped_non_utf8 == 0
    _assert_same_as_cold(engine)


def test_a_snapshot_that_does_not_restore_is_not_fatal(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warm_start(project)

    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("boom")

    monkeypatch.setattr(Engine, "restore", broken)
    engine, report = warm_start(project)
    assert report.mode == "cold" and "does not restore" in report.warning
    _assert_same_as_cold(engine)


def test_many_changes_index_cold(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(warm, "COLD_MIN_FILES", 2)
    warm_start(project)
    for rel in ("pkg/core.py", "pkg/util.py", "main.py"):
        _write(project, rel, (project / rel).read_text() + "\n# edited\n")
    engine, report = warm_start(project)
    assert report.mode == "cold" and "3 files changed" in report.reason and not report.warning
    _assert_same_as_cold(engine)


def test_a_long_lived_engine_can_save(project: Path) -> None:
    engine = Engine(project)
    engine.index()
    _write(project, "pkg/late.py", "def late() -> None:\n    pass\n")
    engine.update(["pkg/late.py"])
    size = save(engine)
    assert size == snapshot_path(project).stat().st_size
    restored, report = warm_start(project)
    assert report.mode == "warm" and report.files_reindexed == 0
    assert graph_digest(restored.isg) == graph_digest(engine.isg)


def test_unwritable_cache_is_reported_not_fatal(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = project.parent / "cache-is-a-file"
    blocker.write_text("")
    monkeypatch.setenv("PT_TUI_CACHE_DIR", str(blocker))
    engine, report = warm_start(project)
    assert report.mode == "cold" and not report.saved and "cannot write the snapshot" in report.save_error
    assert engine.isg.node_count > 0


_FRESH_PROCESS = textwrap.dedent(
    """
    import json, sys
    from pt_tui.core.digest import graph_digest
    from pt_tui.core.engine import Engine
    from pt_tui.core.warm import warm_start
    root = sys.argv[1]
    if sys.argv[2] == "cold":
        e = Engine(root); e.index(); print(json.dumps({"digest": graph_digest(e.isg)}))
    else:
        e, r = warm_start(root)
        print(json.dumps({"digest": graph_digest(e.isg), "mode": r.mode, "changed": r.files_changed}))
    """
)


def _fresh(root: Path, mode: str) -> dict[str, object]:
    """Run in a new process: extraction caches per-root facts (the crate of a folder) per process."""
    out = subprocess.run(
        [sys.executable, "-c", _FRESH_PROCESS, str(root), mode], capture_output=True, text=True, check=True
    )
    result: dict[str, object] = json.loads(out.stdout)
    return result


def test_a_changed_cargo_manifest_reindexes_its_crate(project: Path) -> None:
    _fresh(project, "warm")
    _write(project, "crate/Cargo.toml", '[package]\nname = "renamed-crate"\nversion = "0.1.0"\n')
    result = _fresh(project, "warm")
    assert result["mode"] == "warm" and result["changed"] == 2  # both .rs files of the crate
    assert result["digest"] == _fresh(project, "cold")["digest"]


STDLIB = Path(sysconfig.get_paths()["stdlib"])


@pytest.mark.slow
def test_real_code_edits_then_warm_equals_cold(tmp_path: Path) -> None:
    root = tmp_path / "lib"
    for name in ("json", "email"):
        if not (STDLIB / name).is_dir():
            pytest.skip(f"no stdlib package {name} at {STDLIB}")
        shutil.copytree(STDLIB / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    for path in root.rglob("*.py"):
        _age(path)
    warm_start(root)
    decoder = root / "json" / "decoder.py"
    _write(root, "json/decoder.py", decoder.read_text().replace("def py_scanstring", "def py_scan_string"))
    (root / "email" / "quoprimime.py").unlink()
    _write(root, "email/utils.py", "import json.decoder\n" + (root / "email" / "utils.py").read_text())
    (root / "json" / "tool.py").rename(root / "json" / "cli_tool.py")
    engine, report = warm_start(root)
    assert report.mode == "warm" and report.files_reindexed == 5
    _assert_same_as_cold(engine)


def test_cli_index_starts_warm(project: Path, _private_cache_dir: Path) -> None:
    runner = CliRunner()
    first = runner.invoke(main, ["index", str(project)])
    assert first.exit_code == 0 and "cold index (no snapshot yet); snapshot saved" in first.stdout
    second = runner.invoke(main, ["index", str(project)])
    assert second.exit_code == 0 and "warm start: 6 files reused, 0 re-indexed" in second.stdout
    assert "snapshot up to date" in second.stdout
    cold = runner.invoke(main, ["index", str(project), "--cold", "--json"])
    start = json.loads(cold.stdout)["start"]
    assert (start["mode"], start["reason"], start["saved"]) == ("cold", "--cold", True)
    stats = runner.invoke(main, ["stats", str(project), "--json"])
    assert stats.exit_code == 0 and stats.stderr == ""


def test_cli_no_cache_writes_nothing(project: Path, _private_cache_dir: Path) -> None:
    result = CliRunner().invoke(main, ["index", str(project), "--no-cache"])
    assert result.exit_code == 0
    assert not any(p.is_file() for p in _private_cache_dir.rglob("*"))


def test_cli_damaged_snapshot_is_one_warning_line(project: Path) -> None:
    runner = CliRunner()
    runner.invoke(main, ["index", str(project)])
    _damage(project, "flip")
    result = runner.invoke(main, ["query", str(project), "callers run"])
    assert result.exit_code == 0
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("pt-tui: warning: snapshot checksum mismatch; indexing cold")
    assert "main.main" in result.stdout


def test_random_edit_rounds_stay_equal_to_a_cold_index(project: Path) -> None:
    """Rounds of random edits (modify, same-size rewrite, touch, add, delete, rename), each followed
    by a warm start that must equal a cold index and then have nothing left to do."""
    import random

    rng = random.Random(11)
    warm_start(project)
    extra = itertools.count()
    for _ in range(12):
        sources = sorted(p for p in project.rglob("*") if p.suffix in (".py", ".rs"))
        for _ in range(rng.randint(1, 3)):
            target = rng.choice(sources)
            action = rng.choice(["append", "same-size", "touch", "add", "delete", "rename"])
            if not target.exists():
                continue
            rel = str(target.relative_to(project))
            text = target.read_text()
            if action == "append":
                line = f"\ndef f{next(extra)}():\n    return 1\n" if target.suffix == ".py" else "\n// more\n"
                _write(project, rel, text + line)
            elif action == "same-size" and text:
                _write(project, rel, text[:-1] + ("\n" if text[-1] != "\n" else " "))
            elif action == "touch":
                _age(target)
            elif action == "add":
                n = next(extra)
                _write(project, f"pkg/added{n}.py", f"from pkg.core import run\n\n\ndef g{n}():\n    run()\n")
            elif action == "delete":
                target.unlink()
            elif action == "rename":
                target.rename(target.with_name(f"r{next(extra)}{target.suffix}"))
        engine, report = warm_start(project)
        assert report.mode == "warm"
        _assert_same_as_cold(engine)
        _, again = warm_start(project)
        assert again.files_reindexed == 0


def test_open_engine_logs_the_one_warning(project: Path, caplog: pytest.LogCaptureFixture) -> None:
    from pt_tui.core.warm import open_engine

    warm_start(project)
    _damage(project, "truncate")
    with caplog.at_level("WARNING", logger="pt_tui.core.warm"):
        engine = open_engine(project)
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1 and "truncated" in warnings[0]
    _assert_same_as_cold(engine)


def test_an_update_that_fails_falls_back_to_cold(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    warm_start(project)
    _write(project, "pkg/util.py", "def twice() -> str:\n    return 'x'\n")

    def broken(self: Engine, paths: object) -> None:
        raise RuntimeError("engine bug")

    monkeypatch.setattr(Engine, "update", broken)
    engine, report = warm_start(project)
    assert report.mode == "cold" and "updating the snapshot failed" in report.warning
    assert report.files_changed == 0  # the counts describe a warm start only
    _assert_same_as_cold(engine)  # a cold index: Engine.update is not needed
