"""Shared helpers for the registry tests (imported by the other test_registry_* modules).

Everything is real: git repositories made with gitpython in tmp dirs, plugin folders from the
``pt-tui plugin new`` scaffolds (the WAT one builds its .wasm with wasmtime), published with the
real ``publish``.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import git
import pytest
import tomlkit

from pt_tui.sandbox.registry.catalog import add_registry
from pt_tui.sandbox.registry.config import load_config
from pt_tui.sandbox.registry.publish import COMMITTER, publish
from pt_tui.sandbox.registry.scaffold import scaffold
from pt_tui.sandbox.registry.service import RegistryService


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Fresh config, cache and data dirs for one test."""
    for var, sub in (
        ("PT_TUI_CONFIG_DIR", "config"),
        ("PT_TUI_CACHE_DIR", "cache"),
        ("PT_TUI_DATA_DIR", "data"),
    ):
        monkeypatch.setenv(var, str(tmp_path / sub))
    monkeypatch.delenv("PT_TUI_INSTALL_STEP_DELAY", raising=False)
    return tmp_path


def make_plugin(
    parent: Path, name: str, version: str = "1.0.0", *, lang: str = "wat", native: bool = False
) -> Path:
    """A working plugin folder (scaffold) at ``parent/name-version``; ``native`` adds a host .so build."""
    work = parent / f"{name}-{version}"
    tmp = parent / f".scaffold-{name}-{version}"
    folder, _ = scaffold(name, lang, tmp)
    folder.rename(work)
    shutil.rmtree(tmp)
    doc = tomlkit.parse((work / "plugin.toml").read_text())
    doc["version"] = version
    if lang == "wat":  # each version its own bytes (so its own sha256): the version in a data segment
        import wasmtime

        wat = next(work.glob("*.wat"))
        text = wat.read_text().replace(
            "(memory (export", f'(data (i32.const 900) "{version}")\n  (memory (export', 1
        )
        wat.write_text(text)
        wat.with_suffix(".wasm").write_bytes(wasmtime.wat2wasm(text))
    if native:
        (work / "native.c").write_text("int pt_query(int a, int b) { return a + b; }\n")
        lib = f"lib{name.replace('-', '_')}.so"
        subprocess.run(["cc", "-shared", "-fPIC", "-o", str(work / lib), str(work / "native.c")], check=True)
        doc["artifact"]["native"] = lib  # type: ignore[index]
    (work / "plugin.toml").write_text(tomlkit.dumps(doc))
    return work


def new_repo(path: Path) -> git.Repo:
    path.mkdir(parents=True, exist_ok=True)
    return git.Repo.init(path)


def commit_all(repo: git.Repo, message: str) -> str:
    repo.git.add(A=True)
    return repo.index.commit(message, author=COMMITTER, committer=COMMITTER).hexsha


def registry_with(tmp: Path, *plugins: Path, name: str = "reg") -> Path:
    """A registry repository at ``tmp/name`` with each plugin folder published in order."""
    repo_dir = tmp / name
    new_repo(repo_dir)
    for folder in plugins:
        publish(folder, repo_dir)
    return repo_dir


def service_with(*registries: tuple[str, Path]) -> RegistryService:
    config = load_config()
    for name, path in registries:
        add_registry(config, name, str(path))
    return RegistryService(config=config)


def test_make_plugin_gives_a_loadable_manifest(tmp_path: Path) -> None:
    from pt_tui.sandbox.manifest import load_manifest

    folder = make_plugin(tmp_path, "helper-check", "2.1.0", native=True)
    manifest = load_manifest(folder)
    assert (manifest.name, manifest.version, manifest.tier) == ("helper-check", "2.1.0", "wasm")
    assert manifest.artifact.native == "libhelper_check.so"
