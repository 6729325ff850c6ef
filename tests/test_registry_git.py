"""Registries as real git repositories: pinned commits, updates, branches, precedence, offline use,
and paths confined to the checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import git
import pytest
from test_registry_support import (  # noqa: F401
    commit_all,
    env,
    make_plugin,
    new_repo,
    registry_with,
    service_with,
)

from pt_tui.sandbox.registry.catalog import Catalog, update_registries
from pt_tui.sandbox.registry.config import load_config
from pt_tui.sandbox.registry.errors import IntegrityError, PathEscape, RegistryError
from pt_tui.sandbox.registry.gitrepo import MAX_ARTIFACT_BYTES, snapshot
from pt_tui.sandbox.registry.publish import publish
from pt_tui.sandbox.registry.service import RegistryService

pytestmark = pytest.mark.usefixtures("env")


def test_reads_are_pinned_until_update(tmp_path: Path) -> None:
    repo_dir = registry_with(tmp_path, make_plugin(tmp_path, "pinned"))
    service = service_with(("reg", repo_dir))
    first = load_config().get("reg").commit
    assert first == git.Repo(repo_dir).head.commit.hexsha
    publish(make_plugin(tmp_path, "pinned", "2.0.0"), repo_dir)
    # a new commit upstream changes nothing until `registry update`
    assert [o.entry.version for o in Catalog.load().offers("pinned")] == ["1.0.0"]
    ((name, old, new, error),) = update_registries(load_config())
    assert (name, old, error) == ("reg", first, "")
    assert new == git.Repo(repo_dir).head.commit.hexsha != first
    assert [o.entry.version for o in Catalog.load().offers("pinned")] == ["2.0.0", "1.0.0"]
    # the old commit is still readable: an install pinned to it keeps working
    assert snapshot(load_config().get("reg"), commit=first).entries()[0][0].version == "1.0.0"
    assert service.config.get("reg").commit == first  # the service's own config object was not touched


def test_uncommitted_work_tree_changes_are_invisible(tmp_path: Path) -> None:
    repo_dir = registry_with(tmp_path, make_plugin(tmp_path, "committed"))
    entry = repo_dir / "index" / "committed" / "1.0.0.toml"
    entry.write_text(entry.read_text().replace("CALLS fan-in", "EDITED"))
    (repo_dir / "plugins" / "committed" / "1.0.0" / "committed.wasm").write_bytes(b"garbage")
    service = service_with(("reg", repo_dir))
    (offer,) = service.catalog.offers("committed")
    assert "EDITED" not in offer.entry.description
    service.install("committed")  # the artifact comes from the commit, not the edited work tree
    assert service.verify() == []


def test_a_registry_on_a_branch(tmp_path: Path) -> None:
    repo_dir = registry_with(tmp_path, make_plugin(tmp_path, "stable"))
    repo = git.Repo(repo_dir)
    main = repo.active_branch.name
    repo.git.checkout("-b", "beta")
    publish(make_plugin(tmp_path, "stable", "2.0.0-beta.1"), repo_dir)
    repo.git.checkout(main)
    config = load_config()
    from pt_tui.sandbox.registry.catalog import add_registry

    add_registry(config, "default", str(repo_dir))
    add_registry(config, "beta", str(repo_dir), branch="beta")
    catalog = Catalog.load()
    assert [(o.registry, o.entry.version) for o in catalog.offers("stable")] == [
        ("default", "1.0.0"),
        ("beta", "2.0.0-beta.1"),
        ("beta", "1.0.0"),
    ]
    assert catalog.find("stable").entry.version == "2.0.0-beta.1"  # newest across registries


def test_first_registry_wins_for_the_same_version(tmp_path: Path) -> None:
    one = registry_with(tmp_path / "a", make_plugin(tmp_path / "a", "twin"), name="one")
    other = make_plugin(tmp_path / "b", "twin")
    (other / "plugin.toml").write_text((other / "plugin.toml").read_text().replace("CALLS fan-in", "OTHER"))
    two = registry_with(tmp_path / "b", other, name="two")
    service = service_with(("first", one), ("second", two))
    info = service.info("twin@1.0.0")
    assert info["registry"] == "first"
    assert "OTHER" not in info["description"]
    assert len(info["shadowed"]) == 1 and info["shadowed"][0].startswith("second@")
    # swap the order: the other copy wins
    config = load_config()
    config.registries.reverse()
    assert "OTHER" in RegistryService(config=config).info("twin")["description"]


def test_everything_fetched_works_offline(tmp_path: Path) -> None:
    repo_dir = registry_with(tmp_path, make_plugin(tmp_path, "offline"), make_plugin(tmp_path, "other"))
    service_with(("reg", repo_dir))
    shutil.move(repo_dir, tmp_path / "gone")  # the registry is unreachable from now on
    service = RegistryService()
    assert [o.entry.name for o in service.catalog.search()] == ["offline", "other"]
    assert service.install("offline").action == "install"
    ((_name, old, new, error),) = update_registries(load_config())
    assert error and "cannot fetch" in error
    assert new == old  # the pin stays: still usable
    assert RegistryService().install("other").action == "install"


def test_adding_an_unreachable_registry_fails_and_saves_nothing(tmp_path: Path) -> None:
    from pt_tui.sandbox.registry.catalog import add_registry

    with pytest.raises(RegistryError, match="cannot fetch"):
        add_registry(load_config(), "nope", str(tmp_path / "missing"))
    assert load_config().registries == []
    with pytest.raises(RegistryError, match="transport helpers"):
        add_registry(load_config(), "evil", "ext::sh -c touch% /tmp/pwned")


def _entry_with_path(repo_dir: Path, name: str, field: str, value: str) -> None:
    entry = repo_dir / "index" / name / "1.0.0.toml"
    text = entry.read_text()
    if field == "path":
        text = text.replace(f'path = "plugins/{name}/1.0.0"', f'path = "{value}"')
    else:
        text = text.replace(f'path = "{name.replace("-", "_")}.wasm"', f'path = "{value}"')
    entry.write_text(text)


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("path", "../../etc", "'..' is not allowed"),
        ("path", "/etc", "absolute"),
        ("artifact", "../../../x.wasm", "'..' is not allowed"),
        ("artifact", "/etc/passwd", "absolute"),
    ],
)
def test_index_paths_cannot_leave_the_checkout(tmp_path: Path, field: str, value: str, error: str) -> None:
    repo_dir = registry_with(tmp_path, make_plugin(tmp_path, "jail"))
    _entry_with_path(repo_dir, "jail", field, value)
    commit_all(git.Repo(repo_dir), "escape")
    service = service_with(("reg", repo_dir))
    assert service.catalog.search() == []  # the entry is refused and reported
    (problem,) = service.catalog.entry_errors
    assert error in str(problem)


def test_symlinks_out_of_the_checkout_are_refused(tmp_path: Path) -> None:
    repo_dir = registry_with(tmp_path, make_plugin(tmp_path, "linked"), make_plugin(tmp_path, "inner"))
    outside = tmp_path / "secret"
    outside.mkdir()
    (outside / "plugin.toml").write_text("stolen")
    # the plugin folder of `linked` becomes a symlink out of the repository
    folder = repo_dir / "plugins" / "linked" / "1.0.0"
    shutil.rmtree(folder)
    os.symlink("../../../secret", folder)
    # an in-repository symlink is followed: `inner` points at a copy inside the checkout
    shutil.copytree(repo_dir / "plugins" / "inner" / "1.0.0", repo_dir / "shared-inner")
    shutil.rmtree(repo_dir / "plugins" / "inner" / "1.0.0")
    os.symlink("../../shared-inner", repo_dir / "plugins" / "inner" / "1.0.0")
    commit_all(git.Repo(repo_dir), "symlinks")
    service = service_with(("reg", repo_dir))
    with pytest.raises(PathEscape, match=r"symlink plugins/linked/1\.0\.0 leaves the registry"):
        service.install("linked")
    assert service.install("inner").action == "install"
    assert service.verify() == []


def test_a_symlink_inside_a_plugin_folder_is_refused(tmp_path: Path) -> None:
    plugin = make_plugin(tmp_path, "sneaky-link")
    repo_dir = registry_with(tmp_path, plugin)
    os.symlink("/etc/passwd", repo_dir / "plugins" / "sneaky-link" / "1.0.0" / "passwd")
    commit_all(git.Repo(repo_dir), "link")
    service = service_with(("reg", repo_dir))
    with pytest.raises(PathEscape, match="symlinks are not allowed"):
        service.install("sneaky-link")


def test_artifact_size_is_capped(tmp_path: Path) -> None:
    plugin = make_plugin(tmp_path, "huge")
    repo_dir = registry_with(tmp_path, plugin)
    (repo_dir / "plugins" / "huge" / "1.0.0" / "padding.bin").write_bytes(os.urandom(MAX_ARTIFACT_BYTES + 1))
    commit_all(git.Repo(repo_dir), "big file")
    service = service_with(("reg", repo_dir))
    with pytest.raises(IntegrityError, match="over the 5,242,880 cap"):
        service.install("huge")


def _git(repo_dir: Path, *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        ["git", *args], cwd=repo_dir, input=stdin, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def _replace_entry(repo_dir: Path, tree: str, name: str, kind: str, sha: str) -> str:
    lines = [line for line in _git(repo_dir, "ls-tree", tree).splitlines() if not line.endswith(f"\t{name}")]
    mode = "040000" if kind == "tree" else "100644"
    lines.append(f"{mode} {kind} {sha}\t{name}")
    return _git(repo_dir, "mktree", stdin="\n".join(lines) + "\n")


def test_a_crafted_tree_entry_named_dotdot_is_refused(tmp_path: Path) -> None:
    # git itself refuses to check out such a tree, but a fetch accepts it: extraction must refuse it
    repo_dir = registry_with(tmp_path, make_plugin(tmp_path, "crafted"))
    blob = _git(repo_dir, "hash-object", "-w", "--stdin", stdin="owned\n")
    evil = _git(repo_dir, "mktree", stdin=f"100644 blob {blob}\tevil\n")
    folder = _replace_entry(repo_dir, "HEAD:plugins/crafted/1.0.0", "..", "tree", evil)
    parent = _replace_entry(repo_dir, "HEAD:plugins/crafted", "1.0.0", "tree", folder)
    plugins = _replace_entry(repo_dir, "HEAD:plugins", "crafted", "tree", parent)
    root = _replace_entry(repo_dir, "HEAD^{tree}", "plugins", "tree", plugins)
    commit = _git(repo_dir, "commit-tree", root, "-p", "HEAD", "-m", "crafted ..")
    _git(repo_dir, "update-ref", "HEAD", commit)
    service = service_with(("reg", repo_dir))
    with pytest.raises(PathEscape, match=r"Invalid repository path|refused file name"):
        service.install("crafted")
    assert not any((tmp_path / "data").rglob("evil"))
