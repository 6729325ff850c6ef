"""Installing: sha256 checks, atomic switch (killed at every step), update, rollback, lockfile."""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import git
import pytest
import tomlkit
from test_registry_support import commit_all, env, make_plugin, registry_with, service_with  # noqa: F401

from pt_tui.sandbox.registry.errors import RegistryError, SHA256Mismatch
from pt_tui.sandbox.registry.lockfile import read_lockfile
from pt_tui.sandbox.registry.paths import lockfile_path
from pt_tui.sandbox.registry.service import RegistryService
from pt_tui.sandbox.registry.store import Store, check_folder

pytestmark = pytest.mark.usefixtures("env")


def test_install_update_rollback_uninstall(tmp_path: Path) -> None:
    repo_dir = registry_with(tmp_path, make_plugin(tmp_path, "cycle"))
    service = service_with(("reg", repo_dir))
    assert str(service.install("cycle")) == "installed cycle 1.0.0 (wasm)"
    assert service.install("cycle").action == "unchanged"
    from pt_tui.sandbox.registry.publish import publish

    publish(make_plugin(tmp_path, "cycle", "1.1.0"), repo_dir)
    from pt_tui.sandbox.registry.catalog import update_registries

    update_registries(service.config)
    service.reload()
    (change,) = service.update()
    assert (change.action, change.old, change.new) == ("update", "1.0.0 (wasm)", "1.1.0 (wasm)")
    link = Store().current_link("cycle")
    assert link.is_symlink() and link.resolve().name == "1.1.0"
    assert (link / "plugin.toml").read_text().count('version = "1.1.0"') == 1
    assert str(service.rollback("cycle")) == "rolled cycle back 1.1.0 (wasm) -> 1.0.0 (wasm)"
    assert link.resolve().name == "1.0.0"
    assert service.rollback("cycle").new == "1.1.0 (wasm)"  # rollback of a rollback goes forward again
    assert [p.version for p in read_lockfile().plugin] == ["1.1.0"]
    assert service.uninstall("cycle").action == "uninstall"
    assert not link.exists() and not Store().plugin_dir("cycle").exists()
    assert read_lockfile().plugin == []
    with pytest.raises(RegistryError, match="not installed"):
        service.rollback("cycle")


def test_a_tampered_artifact_is_refused_with_both_hashes(tmp_path: Path) -> None:
    repo_dir = registry_with(tmp_path, make_plugin(tmp_path, "tampered"))
    wasm = repo_dir / "plugins" / "tampered" / "1.0.0" / "tampered.wasm"
    wasm.write_bytes(wasm.read_bytes() + b"\0")  # the index still has the old sha256
    commit_all(git.Repo(repo_dir), "tamper")
    service = service_with(("reg", repo_dir))
    with pytest.raises(SHA256Mismatch) as caught:
        service.install("tampered")
    from pt_tui.sandbox.manifest import artifact_sha256

    assert caught.value.actual == artifact_sha256(wasm)
    assert caught.value.expected in str(caught.value) and caught.value.actual in str(caught.value)
    assert Store().installed() == [] and not any((Store().versions / ".staging").iterdir())


def test_changes_on_disk_are_caught_at_load_and_by_verify(tmp_path: Path) -> None:
    repo_dir = registry_with(tmp_path, make_plugin(tmp_path, "drift"))
    service = service_with(("reg", repo_dir))
    service.install("drift")
    store = Store()
    pointer, folder = store.check_load("drift")
    check_folder(store.current_link("drift"))  # what a loader given the folder can call
    check_folder(tmp_path)  # not an installed version: nothing to check
    (folder / "drift.wasm").write_bytes(b"\0asm\1\0\0\0")
    with pytest.raises(SHA256Mismatch, match=pointer.sha256):
        store.check_load("drift")
    with pytest.raises(SHA256Mismatch, match=pointer.sha256):
        check_folder(store.current_link("drift"))
    problems = service.verify()
    assert len(problems) == 1 and "sha256 mismatch" in problems[0] and pointer.sha256 in problems[0]


def test_lockfile_round_trip_reproduces_the_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo_dir = registry_with(tmp_path, make_plugin(tmp_path, "locked-a"), make_plugin(tmp_path, "locked-b"))
    service = service_with(("reg", repo_dir))
    service.install("locked-a")
    service.install("locked-b")
    pinned = git.Repo(repo_dir).head.commit.hexsha
    from pt_tui.sandbox.registry.publish import publish

    publish(make_plugin(tmp_path, "locked-a", "9.0.0"), repo_dir)  # newer upstream: --locked ignores it
    saved = tmp_path / "pt-tui.lock"
    shutil.copy(lockfile_path(), saved)
    lock_text = saved.read_text()
    assert "lock_version = 1" in lock_text and pinned in lock_text

    # a fresh machine: new config, cache and data; no registry configured at all
    for var in ("PT_TUI_CONFIG_DIR", "PT_TUI_CACHE_DIR", "PT_TUI_DATA_DIR"):
        monkeypatch.setenv(var, str(tmp_path / "fresh" / var))
    fresh = RegistryService()
    changes = fresh.install_locked(saved)
    assert sorted(c.name for c in changes) == ["locked-a", "locked-b"]
    assert read_lockfile() == read_lockfile(saved)
    assert lockfile_path().read_text() == lock_text
    assert fresh.install_locked(saved) and fresh.verify() == []

    # a lockfile whose sha256 does not match the registry at that commit is refused
    doc = tomlkit.parse(lock_text)
    doc["plugin"][0]["sha256"] = "0" * 64  # type: ignore[index]
    bad = tmp_path / "bad.lock"
    bad.write_text(tomlkit.dumps(doc))
    with pytest.raises(SHA256Mismatch, match="0" * 64):
        fresh.install_locked(bad)


def test_install_locked_removes_what_the_lockfile_lacks(tmp_path: Path) -> None:
    repo_dir = registry_with(tmp_path, make_plugin(tmp_path, "keep"), make_plugin(tmp_path, "drop"))
    service = service_with(("reg", repo_dir))
    service.install("keep")
    saved = tmp_path / "only-keep.lock"
    shutil.copy(lockfile_path(), saved)
    service.install("drop")
    changes = service.install_locked(saved)
    assert [(c.action, c.name) for c in changes] == [("unchanged", "keep"), ("uninstall", "drop")]
    assert [s.current.name for s in Store().installed()] == ["keep"]


INSTALL = (
    "import sys; from pt_tui.sandbox.registry.service import RegistryService; "
    "RegistryService().install(sys.argv[1])"
)
STEPS = ("staging", "written", "verified", "placed", "recorded", "pointed")


def _state(expected: dict[str, str]) -> str:
    """The installed version, checked to be whole: its folder verifies and loads' sha256 check passes."""
    store = Store()
    state = store.require("killed")
    assert store.verify(state.current) == []
    pointer, folder = store.check_load("killed")
    assert (folder / "plugin.toml").read_text().count(f'version = "{pointer.version}"') == 1
    assert pointer.sha256 == expected[pointer.version]
    return pointer.version


def _run_and_kill(target: str, *, after_step: str | None, delay: float) -> None:
    child_env = {**os.environ, "PT_TUI_INSTALL_STEP_DELAY": "0.2"}
    proc = subprocess.Popen(
        [sys.executable, "-c", INSTALL, target],
        env=child_env,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert proc.stderr is not None
    try:
        if after_step is not None:
            for line in proc.stderr:
                if line.strip() == f"pt-tui-step {after_step}":
                    break
        else:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=delay)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)


def test_a_killed_install_leaves_the_old_or_the_new_state(tmp_path: Path) -> None:
    repo_dir = registry_with(
        tmp_path, make_plugin(tmp_path, "killed"), make_plugin(tmp_path, "killed", "2.0.0")
    )
    service = service_with(("reg", repo_dir))
    service.install("killed@1.0.0")
    (offer_1,) = [o for o in service.catalog.offers("killed") if o.entry.version == "1.0.0"]
    (offer_2,) = [o for o in service.catalog.offers("killed") if o.entry.version == "2.0.0"]
    expected = {
        "1.0.0": offer_1.entry.artifacts.wasm.sha256,  # type: ignore[union-attr]
        "2.0.0": offer_2.entry.artifacts.wasm.sha256,  # type: ignore[union-attr]
    }
    seen: set[tuple[str, str, str]] = set()
    current = "1.0.0"
    # killed right after each step (during the sleep that follows it), in both directions
    for step in STEPS:
        target = "2.0.0" if current == "1.0.0" else "1.0.0"
        _run_and_kill(f"killed@{target}", after_step=step, delay=0)
        now = _state(expected)
        # before the switch the old version is whole; after it, the new one
        assert now == (target if step == "pointed" else current), step
        seen.add((step, current, now))
        current = now
        Store().sweep()  # what the next command does first: leftovers go, the state stays
        assert _state(expected) == current
        RegistryService().verify()  # never raises on a killed install's leftovers
    # and at random moments
    rng = random.Random(5)
    for _ in range(4):
        target = "2.0.0" if current == "1.0.0" else "1.0.0"
        _run_and_kill(f"killed@{target}", after_step=None, delay=rng.uniform(0.3, 2.5))
        current = _state(expected)
    assert any(old != new for _step, old, new in seen) and any(old == new for _step, old, new in seen)
    # the lockfile is brought back in line by the next change
    Store().sync_lockfile()
    assert read_lockfile().get("killed").version == current  # type: ignore[union-attr]


def test_the_plugin_loader_refuses_an_installed_artifact_changed_on_disk(tmp_path: Path) -> None:
    """Every load (the manager's lazy ones included) re-hashes an installed version."""
    from pt_tui.sandbox.loader import load_plugin

    repo_dir = registry_with(tmp_path, make_plugin(tmp_path, "drift"))
    service = service_with(("reg", repo_dir))
    service.install("drift")
    store = Store()
    pointer, folder = store.check_load("drift")
    (folder / "drift.wasm").write_bytes(b"\0asm\1\0\0\0")
    with pytest.raises(SHA256Mismatch, match=pointer.sha256):
        load_plugin(store.current_link("drift"), grants=None, trust=None)
