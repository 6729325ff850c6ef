"""The watcher, for real: a temporary tree, real file events, debounced batches, a stop event."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import watchfiles

from pt_tui.core.diff import GraphDiff
from pt_tui.core.digest import graph_digest
from pt_tui.core.engine import Engine
from pt_tui.core.watch import Watcher, is_editor_temp

WAIT = 20.0  # generous upper bound for an event to arrive (never reached when things work)


class Running:
    """A watcher on its own thread; batches arrive on a queue."""

    def __init__(self, engine: Engine, debounce_ms: int = 400, step_ms: int = 60) -> None:
        self.engine = engine
        self.diffs: queue.Queue[GraphDiff] = queue.Queue()
        self.stop = threading.Event()
        self.watcher = Watcher(engine, debounce_ms=debounce_ms, step_ms=step_ms)
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        self.watcher.run(self.stop, self.diffs.put)

    def start(self) -> None:
        self.thread.start()
        # watchfiles starts watching when the generator is first advanced; give a probe file events
        # until one comes back, so that the test's own writes are never missed
        probe = self.engine.root / "probe_ready.py"
        n = 0
        while True:
            n += 1
            probe.write_text(f"def probe_{n}():\n    pass\n")
            try:
                self.diffs.get(timeout=0.5)
                break
            except queue.Empty:
                continue
        probe.unlink()
        self.next()

    def next(self) -> GraphDiff:
        return self.diffs.get(timeout=WAIT)

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=WAIT)
        assert not self.thread.is_alive()


@pytest.fixture
def running(tmp_path: Path) -> Iterator[Running]:
    (tmp_path / "app.py").write_text("def main():\n    helper()\n\n\ndef helper():\n    pass\n")
    engine = Engine(tmp_path)
    engine.index()
    run = Running(engine)
    run.start()
    yield run
    run.close()


def _cold(root: Path) -> str:
    cold = Engine(root)
    cold.index()
    return graph_digest(cold.isg)


def test_an_edit_becomes_one_batch(running: Running) -> None:
    root = running.engine.root
    (root / "app.py").write_text("def main():\n    pass\n\n\ndef helper():\n    main()\n")
    diff = running.next()
    assert diff.files == ("app.py",)
    assert diff.added_edges and diff.removed_edges
    assert graph_digest(running.engine.isg) == _cold(root)


def test_a_burst_becomes_one_batch(running: Running) -> None:
    root = running.engine.root
    pkg = root / "pkg"
    pkg.mkdir()
    for i in range(200):
        (pkg / f"m{i:03}.py").write_text(f"def f{i}():\n    pass\n")
    seen: set[str] = set()
    batches = 0
    while len(seen) < 200:
        diff = running.next()
        batches += 1
        seen.update(diff.files)
    assert batches == 1
    assert graph_digest(running.engine.isg) == _cold(root)


def test_editor_save_patterns_are_one_change_of_the_real_file(running: Running) -> None:
    root = running.engine.root
    target = root / "app.py"
    # vim: probe file 4913, swap file, backup, then write; an atomic save: temp file renamed over
    (root / "4913").write_text("")
    (root / "4913").unlink()
    (root / ".app.py.swp").write_bytes(b"\0swap")
    (root / "app.py~").write_text(target.read_text())
    tmp = root / ".#app.py"
    tmp.write_text("def main():\n    return 2\n")
    os.replace(tmp, target)
    (root / ".app.py.swp").unlink()
    diff = running.next()
    assert diff.files == ("app.py",)
    # delete + create
    target.unlink()
    target.write_text("def main():\n    return 3\n\n\ndef extra():\n    pass\n")
    diff = running.next()
    assert diff.files == ("app.py",) and [n.name for n in diff.added_nodes] == ["extra"]
    assert graph_digest(running.engine.isg) == _cold(root)


def test_filter_uses_the_ingest_rules(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("generated/\n*.gen.py\n")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.py").write_text("x = 1\n")
    engine = Engine(tmp_path, exclude=["vendor/"])
    engine.index()
    keep = Watcher(engine).watch_filter
    added = watchfiles.Change.added
    assert keep(added, str(tmp_path / "src" / "b.py"))
    assert keep(added, str(tmp_path / "lib.rs"))
    assert keep(added, str(tmp_path / ".gitignore"))
    assert keep(watchfiles.Change.deleted, str(tmp_path / "src"))  # a folder of indexed files, gone
    for ignored in (
        "generated/x.py",
        "x.gen.py",
        "vendor/v.py",
        ".venv/lib/m.py",
        "target/debug/build.rs",
        "node_modules/m.py",
        "README.md",
        "src/.#a.py",
        "src/a.py~",
        "src/.a.py.swp",
        "src/4913",
    ):
        assert not keep(added, str(tmp_path / ignored)), ignored
    assert not keep(added, "/elsewhere/x.py")


@pytest.mark.parametrize("name", [".x.py.swp", "x.py~", ".#x.py", "4913", "x.py.tmp", "#x.py#", "x.py.swx"])
def test_editor_temp_names(name: str) -> None:
    assert is_editor_temp(name)


@pytest.mark.parametrize("name", ["x.py", "lib.rs", "test_4913.py", "swap.py"])
def test_real_source_names(name: str) -> None:
    assert not is_editor_temp(name)


def test_cli_watch_prints_batches_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("def a():\n    pass\n")
    env = {**os.environ, "PT_TUI_CACHE_DIR": str(tmp_path / "cache"), "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from pt_tui.app.cli import main; main()",
            "watch",
            str(tmp_path),
            "--debounce",
            "300",
            "--step",
            "50",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.startswith("watching "), first
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: [lines.put(x) for x in proc.stdout or ()], daemon=True).start()
        n = 0
        line = ""
        while "nodes +" not in line:  # until the watcher is up, each write makes a batch
            n += 1
            (tmp_path / "b.py").write_text(f"def b{n}():\n    pass\n")
            try:
                line = lines.get(timeout=1.0)
            except queue.Empty:
                continue
        assert "b.py" in line and "edges +" in line and " ms " in line
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=WAIT) == 0
        stderr = proc.stderr.read() if proc.stderr else ""
        assert "Traceback" not in stderr
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_ignore_rules_agree_with_the_walk(tmp_path: Path) -> None:
    """Every file on disk: IgnoreRules says ignored exactly when the cold walk leaves it out."""
    from pt_tui.core.ingest.walk import IgnoreRules, walk_sources

    layout = {
        ".gitignore": "*.gen.py\nbuild/\n!keep.gen.py\n",
        "a.py": "",
        "x.gen.py": "",
        "keep.gen.py": "",
        "build/b.py": "",
        "src/.gitignore": "local_*.py\n",
        "src/local_c.py": "",
        "src/c.py": "",
        "src/deep/d.py": "",
        "vendor/v.py": "",
        "venv2/pyvenv.cfg": "",
        "venv2/lib/e.py": "",
        "target/f.rs": "",
        "node_modules/g.py": "",
    }
    for rel, text in layout.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (tmp_path / "link.py").symlink_to(tmp_path / "a.py")
    rules = IgnoreRules(tmp_path, exclude=["vendor/"])
    walked = {
        f.relpath for f in walk_sources(tmp_path, lambda n: n.endswith((".py", ".rs")), exclude=["vendor/"])
    }
    on_disk = [
        p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.name.endswith((".py", ".rs"))
    ]
    assert walked and len(on_disk) > len(walked)
    for rel in on_disk:
        assert rules.file_ignored(rel) == (rel not in walked), rel
