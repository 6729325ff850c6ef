"""Targeted re-resolution: an interface change re-resolves only the files it may affect, and the
graph still equals a cold index. One test per dangerous case; each checks that the targeted path
ran (no whole-language re-resolution, fewer files than the tree) and that the edge it is about
appears or goes. Also: building the resolvers ahead after a restore (warm_resolvers)."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_engine_support import write_file

import pt_tui.core.engine as engine_module
from pt_tui.core.digest import graph_delta, graph_digest
from pt_tui.core.engine import Engine
from pt_tui.core.lang.python.facts import ENCODER
from pt_tui.core.model import EdgeKind

FILES = {
    "pkg/__init__.py": "",
    "pkg/impl.py": "def thing():\n    return 1\n\n\ndef spare():\n    return 2\n",
    "pkg/reexp.py": "from pkg.impl import thing as thing\n",
    "pkg/user.py": "from pkg.reexp import thing\n\n\ndef use():\n    thing()\n",
    "pkg/base.py": "class Base:\n    def greet(self):\n        return 1\n",
    "pkg/child.py": "from pkg.base import Base\n\n\nclass Child(Base):\n    pass\n",
    "pkg/caller.py": "from pkg.child import Child\n\n\ndef call():\n    Child().extra()\n",
    "pkg/flow.py": "def apply(fn):\n    return fn()\n",
    "pkg/client.py": (
        "from pkg.flow import apply\nfrom pkg.impl import thing\n\n\ndef go():\n    apply(thing)\n"
    ),
    "pkg/star.py": "from pkg.impl import *\n",
    "pkg/starred.py": "from pkg.star import *\n\n\ndef run():\n    later()\n",
    "pkg/lonely.py": "def alone():\n    return 3\n",
    "pkg/lonely2.py": "class Solo:\n    def once(self):\n        return 4\n",
}


@pytest.fixture(autouse=True)
def _targeted(monkeypatch: pytest.MonkeyPatch) -> None:
    """Targeted re-resolution is off by default (see ``engine.TARGETED``): on for these tests."""
    monkeypatch.setattr(engine_module, "TARGETED", True)


@pytest.fixture
def project(tmp_path: Path) -> Engine:
    for rel, text in FILES.items():
        write_file(tmp_path, rel, text)
    engine = Engine(tmp_path)
    engine.index()
    return engine


def _update(engine: Engine, *paths: Path) -> None:
    """Update, check the targeted path ran, and compare with a cold index."""
    engine.update(paths)
    assert engine.last_update["full"] == 0, engine.last_update
    assert engine.last_update["resolved"] < len(engine.facts), engine.last_update
    cold = Engine(engine.root)
    cold.index()
    if graph_digest(engine.isg) != graph_digest(cold.isg):
        pytest.fail(f"differs from a cold index: {graph_delta(engine.isg, cold.isg)}")


def _calls(engine: Engine, src: str, dst: str) -> bool:
    (node,) = engine.isg.by_qualname(src)
    return any(engine.isg.nodes[e.dst].qualname == dst for e in engine.isg.out_edges(node.id, EdgeKind.CALLS))


def test_a_re_export_chain_follows_a_rename(project: Engine) -> None:
    assert _calls(project, "pkg.user.use", "pkg.impl.thing")
    impl = project.root / "pkg/impl.py"
    impl.write_text(impl.read_text().replace("def thing", "def thing_renamed"))
    _update(project, impl)
    assert not _calls(project, "pkg.user.use", "pkg.impl.thing_renamed")
    impl.write_text(FILES["pkg/impl.py"])
    _update(project, impl)
    assert _calls(project, "pkg.user.use", "pkg.impl.thing")


def test_a_subclass_elsewhere_gains_an_inherited_method(project: Engine) -> None:
    assert not _calls(project, "pkg.caller.call", "pkg.base.Base.extra")
    base = project.root / "pkg/base.py"
    base.write_text(FILES["pkg/base.py"] + "\n    def extra(self):\n        return 2\n")
    _update(project, base)
    assert _calls(project, "pkg.caller.call", "pkg.base.Base.extra")


def test_a_base_change_in_the_middle_of_a_hierarchy(project: Engine) -> None:
    write_file(project.root, "pkg/mixin.py", "class Mixin:\n    def extra(self):\n        return 5\n")
    project.update([project.root / "pkg/mixin.py"])
    child = project.root / "pkg/child.py"
    child.write_text(
        "from pkg.base import Base\nfrom pkg.mixin import Mixin\n\n\nclass Child(Mixin, Base):\n    pass\n"
    )
    _update(project, child)
    assert _calls(project, "pkg.caller.call", "pkg.mixin.Mixin.extra")


def test_argument_flow_across_files(project: Engine) -> None:
    assert _calls(project, "pkg.flow.apply", "pkg.impl.thing")
    client = project.root / "pkg/client.py"
    client.write_text(
        client.read_text().replace("import thing", "import spare").replace("(thing)", "(spare)")
    )
    _update(project, client)
    assert _calls(project, "pkg.flow.apply", "pkg.impl.spare")
    assert not _calls(project, "pkg.flow.apply", "pkg.impl.thing")


def test_a_star_import_chain_sees_a_new_definition(project: Engine) -> None:
    assert not _calls(project, "pkg.starred.run", "pkg.impl.later")
    impl = project.root / "pkg/impl.py"
    impl.write_text(FILES["pkg/impl.py"] + "\n\ndef later():\n    return 3\n")
    _update(project, impl)
    assert _calls(project, "pkg.starred.run", "pkg.impl.later")


def test_a_file_deleted_and_restored(project: Engine) -> None:
    impl = project.root / "pkg/impl.py"
    impl.unlink()
    _update(project, impl)
    assert not any(n.file == "pkg/impl.py" for n in project.isg.nodes.values())
    write_file(project.root, "pkg/impl.py", FILES["pkg/impl.py"])
    _update(project, impl)
    assert _calls(project, "pkg.user.use", "pkg.impl.thing")
    assert _calls(project, "pkg.flow.apply", "pkg.impl.thing")


def test_a_module_renamed(project: Engine) -> None:
    impl = project.root / "pkg/impl.py"
    moved = project.root / "pkg/impl2.py"
    impl.rename(moved)
    _update(project, impl, moved)
    assert not project.isg.by_qualname("pkg.impl.thing")
    for rel in ("pkg/reexp.py", "pkg/client.py", "pkg/star.py"):
        path = project.root / rel
        path.write_text(path.read_text().replace("pkg.impl ", "pkg.impl2 "))
    _update(project, *(project.root / rel for rel in ("pkg/reexp.py", "pkg/client.py", "pkg/star.py")))
    assert _calls(project, "pkg.user.use", "pkg.impl2.thing")


def test_unrelated_files_are_not_resolved_again(project: Engine) -> None:
    lonely = project.root / "pkg/lonely.py"
    lonely.write_text(FILES["pkg/lonely.py"] + "\n\ndef another():\n    return 4\n")
    _update(project, lonely)
    assert project.last_update["resolved"] == 1


def test_the_switch_off_resolves_everything(project: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine_module, "TARGETED", False)
    lonely = project.root / "pkg/lonely.py"
    lonely.write_text(FILES["pkg/lonely.py"] + "\n\ndef another():\n    return 4\n")
    project.update([lonely])
    assert project.last_update["full"] == 1
    assert project.last_update["resolved"] == len(project.facts)


def test_warm_resolvers_after_a_restore(project: Engine) -> None:
    """After a restore, the resolvers are built ahead (here in a thread): the first body edit takes
    the fast path, the first interface change the targeted one, both equal to a cold index."""
    restored = Engine(project.root)
    with project.read() as isg:
        restored.restore(project.facts, isg.nodes.values(), isg.edges(), isg.generation, project.stamps)
    thread = restored.warm_resolvers()
    assert thread is not None
    user = project.root / "pkg/user.py"
    user.write_text("\n\n" + user.read_text())
    restored.update([user])  # waits for the build
    assert restored.last_update["rebuilt"] == 0 and restored.last_update["resolved"] == 1
    impl = project.root / "pkg/impl.py"
    impl.write_text(FILES["pkg/impl.py"] + "\n\ndef later():\n    return 3\n")
    _update(restored, impl)
    assert _calls(restored, "pkg.starred.run", "pkg.impl.later")
    assert restored.warm_resolvers() is None  # nothing left to build


def test_warm_resolvers_in_the_calling_thread(project: Engine) -> None:
    restored = Engine(project.root)
    with project.read() as isg:
        restored.restore(project.facts, isg.nodes.values(), isg.edges(), isg.generation, project.stamps)
    assert restored.warm_resolvers(background=False) is None
    base = project.root / "pkg/base.py"
    base.write_text(FILES["pkg/base.py"] + "\n    def extra(self):\n        return 2\n")
    _update(restored, base)
    assert _calls(restored, "pkg.caller.call", "pkg.base.Base.extra")


DECO = {
    "pkg/deco.py": (
        "def deco(fn):\n    def wrapper(*a):\n        return fn(*a)\n\n    return wrapper\n\n\n"
        "def plain(fn):\n    return fn\n"
    ),
    "pkg/decorated.py": "from pkg.deco import deco, plain\n\n\n@deco\ndef target():\n    return 1\n",
    "pkg/calls_decorated.py": "from pkg.decorated import target\n\n\ndef go():\n    target()\n",
}


@pytest.fixture
def decorated(tmp_path: Path) -> Engine:
    for rel, text in {**FILES, **DECO}.items():
        write_file(tmp_path, rel, text)
    engine = Engine(tmp_path)
    engine.index()
    return engine


def test_a_decorator_removed_or_swapped_re_links_the_callers(decorated: Engine) -> None:
    """``Scope.decorated`` is part of a def's interface: callers of a decorated def reach what the
    decorator returns, and follow when the decorator goes or changes."""
    assert _calls(decorated, "pkg.calls_decorated.go", "pkg.deco.deco.wrapper")
    path = decorated.root / "pkg/decorated.py"
    path.write_text(DECO["pkg/decorated.py"].replace("@deco\n", ""))
    _update(decorated, path)
    assert _calls(decorated, "pkg.calls_decorated.go", "pkg.decorated.target")
    assert not _calls(decorated, "pkg.calls_decorated.go", "pkg.deco.deco.wrapper")
    path.write_text(DECO["pkg/decorated.py"].replace("@deco\n", "@plain\n"))
    _update(decorated, path)
    assert _calls(decorated, "pkg.calls_decorated.go", "pkg.decorated.target")
    path.write_text(DECO["pkg/decorated.py"])
    _update(decorated, path)
    assert _calls(decorated, "pkg.calls_decorated.go", "pkg.deco.deco.wrapper")


def test_a_decorator_changed_in_its_own_file_re_links_the_callers(decorated: Engine) -> None:
    """The decorator's file changes (what it returns is renamed): the decorated def's file and its
    callers' are unchanged, yet the callers' edges follow."""
    path = decorated.root / "pkg/deco.py"
    path.write_text(DECO["pkg/deco.py"].replace("wrapper", "inner"))
    _update(decorated, path)
    assert _calls(decorated, "pkg.calls_decorated.go", "pkg.deco.deco.inner")
    assert not _calls(decorated, "pkg.calls_decorated.go", "pkg.deco.deco.wrapper")
    path.write_text(DECO["pkg/deco.py"].replace("    return wrapper\n", "    return fn\n"))
    _update(decorated, path)
    assert _calls(decorated, "pkg.calls_decorated.go", "pkg.decorated.target")


def test_an_interface_edit_patches_the_live_index(project: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """With targeted re-resolution off, an interface edit patches the live Python index in place
    (no file decoded again) and still resolves every file like a cold index: a file added, one
    changed, one deleted."""
    monkeypatch.setattr(engine_module, "TARGETED", False)
    index = project._resolvers["python"].index  # type: ignore[attr-defined]
    impl = project.root / "pkg/impl.py"
    impl.write_text(FILES["pkg/impl.py"] + "\n\ndef later():\n    return 3\n")
    added = write_file(project.root, "pkg/aaa.py", "from pkg.impl import later\n\n\ndef a():\n    later()\n")
    (project.root / "pkg/lonely.py").unlink()
    project.update([impl, added, project.root / "pkg/lonely.py"])
    assert project.last_update["full"] == 1 and project.last_update["rebuilt"] == 1
    assert project._resolvers["python"].index is index  # type: ignore[attr-defined]
    assert _calls(project, "pkg.aaa.a", "pkg.impl.later")
    assert _calls(project, "pkg.starred.run", "pkg.impl.later")
    cold = Engine(project.root)
    cold.index()
    assert graph_digest(project.isg) == graph_digest(cold.isg)


def test_targeted_re_resolution_patches_a_copy_of_the_index(project: Engine) -> None:
    """With targeted re-resolution on, the new index is a patched copy (what the files affected
    are judged with reads the index before, which stays as it was)."""
    before = project._resolvers["python"]  # type: ignore[attr-defined]
    scopes = [ENCODER.encode(s) for s in before.index.scopes]
    base = project.root / "pkg/base.py"
    base.write_text("\n\n" + FILES["pkg/base.py"] + "\n    def extra(self):\n        return 2\n")
    _update(project, base)
    after = project._resolvers["python"]  # type: ignore[attr-defined]
    assert after is not before and after.index is not before.index and after.index._copied
    assert [ENCODER.encode(s) for s in before.index.scopes] == scopes
    assert _calls(project, "pkg.caller.call", "pkg.base.Base.extra")


def test_every_scope_field_is_judged() -> None:
    """affected.py compares every ``Scope`` field but the ones it names as meaningless to other
    files: a field added to the payload must be looked at there (and in ``_interface``) before
    this list is extended, as ``decorated`` was."""
    from pt_tui.core.lang.python.affected import _NOT_MEANING
    from pt_tui.core.lang.python.facts import Scope

    judged = {
        "bindings", "params", "kwonly", "flow_params", "static", "classmethod", "returns", "bases",
        "attrs", "stars", "all_names", "decorated",
    }  # fmt: skip
    assert set(Scope.__struct_fields__) == judged | _NOT_MEANING
