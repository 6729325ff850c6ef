"""Live effect: install, update, promote and rollback hot-swap plugins in a running manager."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_registry_support import env, make_plugin, registry_with, service_with  # noqa: F401

from pt_tui.core.isg import ISG
from pt_tui.core.model import Edge, EdgeKind, Node, NodeKind, node_id
from pt_tui.sandbox.api import Capability, QueryRequest
from pt_tui.sandbox.capabilities import Grants
from pt_tui.sandbox.manager import ManagerConfig, PluginManager
from pt_tui.sandbox.registry.catalog import update_registries
from pt_tui.sandbox.registry.config import load_config
from pt_tui.sandbox.registry.live import InstallWatcher, ManagerLive
from pt_tui.sandbox.registry.publish import publish
from pt_tui.sandbox.registry.service import RegistryService
from pt_tui.sandbox.registry.store import Store
from pt_tui.sandbox.registry.trustpolicy import default_trust
from pt_tui.sandbox.tracker import EventKind

pytestmark = pytest.mark.usefixtures("env")


class Graph:
    """A three-function graph: ``a`` and ``b`` call ``target``."""

    def __init__(self) -> None:
        self.isg = ISG()
        nodes = [
            Node(
                id=node_id("python", NodeKind.FUNCTION, f"m.{name}"),
                kind=NodeKind.FUNCTION,
                name=name,
                qualname=f"m.{name}",
                language="python",
                file="m.py",
                line=line,
                end_line=line + 1,
                signature=f"def {name}()",
                parent="",
            )
            for line, name in ((1, "target"), (4, "a"), (7, "b"))
        ]
        self.isg.add_nodes("m.py", nodes)
        self.isg.add_edges(
            Edge(src=n.id, dst=nodes[0].id, kind=EdgeKind.CALLS, file="m.py", line=n.line + 1)
            for n in nodes[1:]
        )


@pytest.fixture
def engine() -> Graph:
    return Graph()


def _manager(engine: Graph) -> PluginManager:
    return PluginManager(
        engine, grants=Grants(), trust=default_trust(), config=ManagerConfig(calibrate=False)
    )


def _approve_offer(service: RegistryService, spec: str) -> None:
    """Approve a registry entry's Python artifact locally, before installing it (as a user would)."""
    from pt_tui.sandbox.trust import LocalApprovals

    name, _, version = spec.partition("@")
    entry = service.catalog.find(name, version).entry
    assert entry.artifacts.python is not None
    LocalApprovals().approve(name, version, entry.artifacts.python.sha256, by="test")


def _approve(name: str) -> None:
    from pt_tui.sandbox.trust import LocalApprovals

    pointer = Store().require(name).current
    LocalApprovals().approve(name, pointer.version, pointer.sha256, by="test")


def _grant_current(name: str) -> None:
    Grants().grant(Store().require(name).current.sha256, [Capability.GRAPH_READ], plugin=name)
    _approve(name)


def _ask(manager: PluginManager, engine: Graph, verb: str) -> list[tuple[str, int | None]]:
    (node,) = engine.isg.by_name("target")
    out = manager.call(verb, QueryRequest(verb=verb, entities={"entity": (node.id,)}), engine.isg)
    return [(row.node.name, row.distance) for row in out.rows]


def test_install_update_rollback_swap_the_running_plugin(tmp_path: Path, engine: Graph) -> None:
    repo_dir = registry_with(tmp_path, make_plugin(tmp_path, "live-verb", lang="python"))
    service_with(("reg", repo_dir))
    manager = _manager(engine)
    events: list[tuple[str, str]] = []
    manager.tracker.subscribe(lambda ev: events.append((ev.kind.value, ev.plugin)))
    service = RegistryService(live=ManagerLive(manager))
    changes: list[str] = []
    service.on_change = lambda change: changes.append(change.action)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Grants, "granted", lambda self, sha: frozenset({Capability.GRAPH_READ}))
        _approve_offer(service, "live-verb@1.0.0")
        service.install("live-verb")
        assert _ask(manager, engine, "live-verb") == [("target", 2)]
        assert manager.get("live-verb").version == "1.0.0"

        publish(make_plugin(tmp_path, "live-verb", "1.1.0", lang="python"), repo_dir)
        update_registries(load_config())
        service = RegistryService(live=ManagerLive(manager), on_change=lambda c: changes.append(c.action))
        _approve_offer(service, "live-verb@1.1.0")
        service.update()
        assert manager.get("live-verb").active.version == "1.1.0"  # type: ignore[union-attr]
        assert _ask(manager, engine, "live-verb") == [("target", 2)]
        service.rollback("live-verb")
        assert manager.get("live-verb").active.version == "1.0.0"  # type: ignore[union-attr]
        service.uninstall("live-verb")
        assert "live-verb" not in manager.records
    assert changes == ["install", "update", "rollback", "uninstall"]
    assert ("swapped", "live-verb") in events and ("discovered", "live-verb") in events
    manager.close()


def test_a_change_by_another_process_reaches_the_running_manager(tmp_path: Path, engine: Graph) -> None:
    repo_dir = registry_with(
        tmp_path,
        make_plugin(tmp_path, "watched", lang="python"),
        make_plugin(tmp_path, "watched", "2.0.0", lang="python"),
    )
    service = service_with(("reg", repo_dir))  # no live hook: like the CLI in another process
    service.install("watched@1.0.0")
    _grant_current("watched")
    manager = _manager(engine)
    watcher = InstallWatcher(manager)
    assert watcher.sync() == ["watched 1.0.0 (native)"]
    assert _ask(manager, engine, "watched") == [("target", 2)]
    assert watcher.sync() == []  # nothing moved

    service.install("watched@2.0.0")  # not granted yet: the swap fails, the old version keeps running
    assert watcher.sync() == []
    assert "not granted" in watcher.errors[-1]
    assert manager.get("watched").active.version == "1.0.0"  # type: ignore[union-attr]
    kinds = [e.kind for e in manager.tracker.snapshot().events]
    assert EventKind.SWAP_FAILED in kinds

    _grant_current("watched")  # the refused swap is retried by the next sync
    assert watcher.sync() == ["watched 2.0.0 (native)"]
    assert manager.get("watched").active.version == "2.0.0"  # type: ignore[union-attr]
    # a tampered artifact on disk is refused before any load, with both hashes
    folder = Store().current_link("watched").resolve()
    (folder / "watched.py").write_text((folder / "watched.py").read_text() + "\nTAMPERED = True\n")
    service.rollback("watched")
    assert watcher.sync() == ["watched 1.0.0 (native)"]
    service.rollback("watched")
    assert watcher.sync() == []
    assert "sha256 mismatch" in watcher.errors[-1]
    assert manager.get("watched").active.version == "1.0.0"  # type: ignore[union-attr]
    service.uninstall("watched")
    assert watcher.sync() == ["watched removed"] and "watched" not in manager.records
    manager.close()


def test_the_watcher_thread_picks_up_an_install(tmp_path: Path, engine: Graph) -> None:
    import threading

    repo_dir = registry_with(
        tmp_path,
        make_plugin(tmp_path, "threaded", lang="python"),
        make_plugin(tmp_path, "threaded", "2.0.0", lang="python"),
    )
    service = service_with(("reg", repo_dir))
    service.install("threaded@1.0.0")
    _grant_current("threaded")
    manager = _manager(engine)
    watcher = InstallWatcher(manager)
    moved = threading.Event()
    watcher.start(on_change=lambda changed: moved.set())
    try:
        assert manager.get("threaded").version == "1.0.0"
        service.install("threaded@2.0.0")
        _grant_current("threaded")
        service.rollback("threaded")  # v1 again, then v2: the watcher sees the pointer move
        service.rollback("threaded")
        assert moved.wait(timeout=30), watcher.errors
        deadline = threading.Event()
        for _ in range(60):
            active = manager.get("threaded").active
            if active is not None and active.version == "2.0.0":
                break
            deadline.wait(0.5)
        assert manager.get("threaded").active.version == "2.0.0"  # type: ignore[union-attr]
    finally:
        watcher.stop()
        manager.close()
