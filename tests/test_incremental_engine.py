"""Engine.update / restore / subscribe / read: cross-file edges, events, consistency."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import pytest
from test_engine_support import assert_same_as_cold, write_file

from pt_tui.core.diff import GraphDiff
from pt_tui.core.digest import graph_digest
from pt_tui.core.engine import Engine
from pt_tui.core.model import EdgeKind

SAMPLE = Path(__file__).resolve().parents[1] / "pt_tui" / "demo" / "sample"


def _calls(engine: Engine, src_qual: str, dst_qual: str) -> list[int]:
    (src,) = engine.isg.by_qualname(src_qual)
    return [
        e.line
        for e in engine.isg.out_edges(src.id, EdgeKind.CALLS)
        if engine.isg.nodes[e.dst].qualname == dst_qual
    ]


@pytest.fixture
def project(tmp_path: Path) -> Engine:
    write_file(tmp_path, "pkg/__init__.py", "")
    write_file(
        tmp_path,
        "pkg/a.py",
        "def helper():\n    return 1\n\n\nclass Base:\n    def run(self):\n        pass\n",
    )
    write_file(
        tmp_path,
        "pkg/b.py",
        "from pkg.a import helper, Base\n\n\ndef main():\n    helper()\n\n\nclass Child(Base):\n"
        "    def go(self):\n        self.run()\n",
    )
    engine = Engine(tmp_path)
    engine.index()
    return engine


def test_calls_into_a_changed_file_survive_drop_and_relink(project: Engine) -> None:
    a = project.root / "pkg/a.py"
    original = a.read_text()
    assert _calls(project, "pkg.b.main", "pkg.a.helper") == [5]

    a.write_text("# moved down\n\n" + original)  # the target survives (same id)
    project.update([a])
    assert _calls(project, "pkg.b.main", "pkg.a.helper") == [5]
    assert_same_as_cold(project)

    a.write_text(original.replace("def helper", "def other"))  # the target disappears
    diff = project.update([a])
    assert not project.isg.by_qualname("pkg.a.helper")
    assert any(e.kind is EdgeKind.CALLS and e.file == "pkg/b.py" for e in diff.removed_edges)
    assert_same_as_cold(project)

    a.write_text(original)  # it comes back: the call links again, without touching b.py
    diff = project.update([a])
    assert _calls(project, "pkg.b.main", "pkg.a.helper") == [5]
    assert any(e.file == "pkg/b.py" for e in diff.added_edges)
    assert_same_as_cold(project)


def test_inherited_methods_follow_a_base_change(project: Engine) -> None:
    a = project.root / "pkg/a.py"
    assert _calls(project, "pkg.b.Child.go", "pkg.a.Base.run") == [10]
    a.write_text(a.read_text().replace("def run(self)", "def walk(self)"))
    project.update([a])
    assert _calls(project, "pkg.b.Child.go", "pkg.a.Base.run") == []
    assert_same_as_cold(project)


def test_rename_delete_and_folder_removal(project: Engine) -> None:
    root = project.root
    (root / "pkg/a.py").rename(root / "pkg/c.py")
    diff = project.update([root / "pkg/a.py", root / "pkg/c.py"])
    assert set(diff.files) == {"pkg/a.py", "pkg/c.py"}
    assert "pkg/a.py" not in project.isg.files and "pkg/c.py" in project.isg.files
    assert_same_as_cold(project)
    shutil.rmtree(root / "pkg")
    project.update([root / "pkg"])
    assert project.isg.node_count == 0 and project.isg.edge_count == 0 and not project.isg.files
    assert_same_as_cold(project)


def test_ignored_and_unchanged_files_change_nothing(project: Engine) -> None:
    root = project.root
    generation = project.isg.generation
    write_file(root, ".gitignore", "build/\n")
    project.update([root / ".gitignore"])  # nothing it ignores was indexed
    ignored = write_file(root, "build/gen.py", "def x():\n    pass\n")
    venv = write_file(root, ".venv/lib/mod.py", "def y():\n    pass\n")
    diff = project.update([ignored, venv, root / "pkg/b.py", root / "notes.txt"])
    assert diff.empty and project.isg.generation == generation
    assert "build/gen.py" not in project.facts
    assert_same_as_cold(project)


def test_gitignore_change_brings_files_in_and_out(project: Engine) -> None:
    root = project.root
    write_file(root, "extra/x.py", "def x():\n    pass\n")
    ignore = write_file(root, ".gitignore", "extra/\n")
    project.update([ignore])
    assert_same_as_cold(project)
    ignore.write_text("pkg/b.py\n")
    project.update([ignore])
    assert "extra/x.py" in project.facts and "pkg/b.py" not in project.facts
    assert_same_as_cold(project)


def test_subscribers_get_every_diff_and_cannot_break_the_engine(project: Engine) -> None:
    seen: list[GraphDiff] = []

    def broken(diff: GraphDiff) -> None:
        raise RuntimeError("plugin bug")

    project.subscribe(broken)
    unsubscribe = project.subscribe(seen.append)
    a = project.root / "pkg/a.py"
    a.write_text(a.read_text() + "\n\ndef more():\n    pass\n")
    diff = project.update([a])
    assert seen == [diff] and diff.generation == project.isg.generation
    assert [n.qualname for n in diff.added_nodes] == ["pkg.a.more"]
    assert project.callback_errors and "plugin bug" in project.callback_errors[-1]
    unsubscribe()
    a.write_text(a.read_text() + "\n\ndef again():\n    pass\n")
    project.update([a])
    assert len(seen) == 1


def test_restore_then_update_equals_a_cold_index(project: Engine) -> None:
    isg = project.isg
    restored = Engine(project.root)
    restored.restore(dict(project.facts), list(isg.nodes.values()), list(isg.edges()), isg.generation)
    assert graph_digest(restored.isg) == graph_digest(isg)
    assert restored.isg.generation == isg.generation
    a = project.root / "pkg/a.py"
    a.write_text("\n" + a.read_text())  # the fast path, with resolvers built lazily
    restored.update([a])
    assert_same_as_cold(restored)
    a.write_text(a.read_text().replace("def helper", "def helper2"))  # a full re-resolve
    restored.update([a])
    assert_same_as_cold(restored)


def test_rust_implements_edges_belong_to_the_impl_file(tmp_path: Path) -> None:
    shutil.copytree(SAMPLE / "pricing-engine", tmp_path / "pe")
    root = tmp_path / "pe"
    write_file(root, "src/shape.rs", "pub struct Shape;\n")
    write_file(root, "src/shape_impl.rs", "use crate::shape::Shape;\nimpl Clone for Shape {\n}\n")
    write_file(root, "src/traits.rs", "pub trait Area {\n    fn area(&self) -> f64;\n}\n")
    impl = write_file(
        root,
        "src/area_impl.rs",
        "use crate::shape::Shape;\nuse crate::traits::Area;\n\nimpl Area for Shape {\n"
        "    fn area(&self) -> f64 { 1.0 }\n}\n",
    )
    lib = root / "src/lib.rs"
    lib.write_text(
        lib.read_text() + "\npub mod shape;\npub mod shape_impl;\npub mod traits;\npub mod area_impl;\n"
    )
    engine = Engine(root)
    engine.index()

    def implements() -> list[tuple[str, int]]:
        (shape,) = [n for n in engine.isg.by_name("Shape") if n.kind == "struct"]
        return [(e.file, e.line) for e in engine.isg.out_edges(shape.id, EdgeKind.IMPLEMENTS)]

    assert implements() == [("src/area_impl.rs", 4)]
    shape = root / "src/shape.rs"
    shape.write_text("\n\n" + shape.read_text())  # the type's file moves: the edge stays
    engine.update([shape])
    assert implements() == [("src/area_impl.rs", 4)]
    impl.write_text("\n" + impl.read_text())  # the impl's file moves: the edge follows
    engine.update([impl])
    assert implements() == [("src/area_impl.rs", 5)]
    assert_same_as_cold(engine)
    impl.unlink()
    engine.update([impl])
    assert implements() == []
    assert_same_as_cold(engine)


def test_queries_read_one_generation_while_an_update_applies(project: Engine) -> None:
    a = project.root / "pkg/a.py"
    a.write_text(a.read_text() + "\n\ndef late():\n    pass\n")
    before = project.isg.generation
    done = threading.Event()
    with project.read() as isg:
        worker = threading.Thread(target=lambda: (project.update([a]), done.set()))
        worker.start()
        # the update parses and resolves without the lock, then waits for this reader to finish
        while not project._lock._writers_waiting and not done.is_set():
            time.sleep(0.001)
        assert not done.is_set()
        assert isg.generation == before and not isg.by_qualname("pkg.a.late")
    worker.join()
    assert project.isg.generation == before + 1 and project.isg.by_qualname("pkg.a.late")


def test_a_big_batch_is_extracted_like_a_cold_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch of many files (a ``git checkout``) is read by ``extract_all`` (worker processes when
    big enough): changed, added, deleted, ignored and unreadable files all end as a cold index
    has them, stamps included."""
    import pt_tui.core.engine as engine_module

    for i in range(6):
        write_file(tmp_path, f"pkg/m{i}.py", f"def f{i}():\n    return {i}\n")
    write_file(tmp_path, ".gitignore", "ignored.py\n")
    engine = Engine(tmp_path)
    engine.index()
    monkeypatch.setattr(engine_module, "MANY_FILES", 3)
    touched = [
        write_file(tmp_path, "pkg/m0.py", "from pkg.m1 import f1\n\n\ndef f0():\n    return f1()\n"),
        write_file(tmp_path, "pkg/m1.py", "\n\ndef f1():\n    return 1\n"),
        write_file(tmp_path, "pkg/new.py", "from pkg.m0 import f0\n\n\ndef g():\n    f0()\n"),
        write_file(tmp_path, "ignored.py", "def h():\n    pass\n"),
    ]
    (tmp_path / "pkg/m2.py").unlink()
    (tmp_path / "pkg/bad.py").write_bytes(b"x = '\xff\xfe'\n")
    touched += [tmp_path / "pkg/m2.py", tmp_path / "pkg/bad.py"]
    engine.update(touched)
    assert engine.last_update["files"] == 4  # m0, m1, new added, m2 gone (bad.py skipped, ignored.py ignored)
    assert _calls(engine, "pkg.new.g", "pkg.m0.f0") and _calls(engine, "pkg.m0.f0", "pkg.m1.f1")
    assert_same_as_cold(engine)
    cold = Engine(tmp_path)
    cold.index()
    assert engine.stamps == cold.stamps
