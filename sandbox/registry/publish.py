"""For plugin authors: add a plugin version to a registry checkout and commit it; add reviews."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import git
import msgspec
import tomlkit

from pt_tui.sandbox.manifest import Manifest, artifact_sha256, load_manifest
from pt_tui.sandbox.registry.errors import RegistryError
from pt_tui.sandbox.registry.gitrepo import MAX_ARTIFACT_BYTES
from pt_tui.sandbox.registry.index import IndexEntry, Review, entry_filename, parse_entry

COMMITTER = git.Actor("pt-tui", "pt-tui@localhost")
_SKIP = ("__pycache__", ".pytest_cache", "target", "build")


@dataclass(frozen=True)
class Published:
    entry: IndexEntry
    commit: str
    index_file: str


def _artifact(folder: Path, rel: str) -> dict[str, Any]:
    path = folder / rel
    if not path.is_file():
        raise RegistryError(f"{path}: artifact missing (build it first)")
    size = path.stat().st_size
    if size > MAX_ARTIFACT_BYTES:
        raise RegistryError(f"{path}: {size:,} bytes, over the {MAX_ARTIFACT_BYTES:,} cap")
    return {"path": rel, "sha256": artifact_sha256(path), "size": size}


def build_entry(
    folder: Path,
    manifest: Manifest,
    *,
    repo_path: str,
    authors: Sequence[str] = (),
    license: str = "",
    reviews: Sequence[Review] = (),
) -> dict[str, Any]:
    """The index entry (as plain data) for a plugin folder about to be published at ``repo_path``."""
    artifacts: dict[str, Any] = {}
    tiers: list[str] = [manifest.tier]
    art = manifest.artifact
    if art.wasm:
        artifacts["wasm"] = _artifact(folder, art.wasm)
    if art.native and (folder / art.native).is_file():
        artifacts["native"] = _artifact(folder, art.native)
        if "native" not in tiers:
            tiers.append("native")
    if art.entry:
        files = [p for p in _files(folder)]
        artifacts["python"] = {
            "path": ".",
            "sha256": artifact_sha256(folder),
            "size": sum(p.stat().st_size for p in files),
        }
    data: dict[str, Any] = {
        "name": manifest.name,
        "version": manifest.version,
        "description": manifest.description,
        "authors": list(authors),
        "license": license,
        "path": repo_path,
        "tiers": tiers,
        "capabilities": sorted(c.value for c in manifest.capabilities),
        "query_types": list(manifest.verbs),
        "budget": msgspec.to_builtins(manifest.performance_budget()),
        "artifacts": artifacts,
    }
    if manifest.abi_version is not None:
        data["abi_version"] = manifest.abi_version
    if reviews:
        data["reviews"] = [msgspec.to_builtins(r) for r in reviews]
    return data


def _files(folder: Path) -> list[Path]:
    out: list[Path] = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if any(part.startswith(".") or part in _SKIP for part in rel.parts):
            continue
        if path.is_file() and not path.is_symlink() and path.suffix not in (".pyc", ".pyo"):
            out.append(path)
    return out


def dump_entry(data: dict[str, Any]) -> str:
    doc = tomlkit.document()
    doc.add(tomlkit.comment(f"{data['name']} {data['version']}: a pt-tui registry entry (docs/registry.md)"))
    tables = ("budget", "artifacts")
    for key, value in data.items():
        if key not in (*tables, "reviews"):
            doc[key] = value
    for key in tables:
        if key in data:
            doc[key] = data[key]
    if data.get("reviews"):
        reviews = tomlkit.aot()
        for review in data["reviews"]:
            table = tomlkit.table()
            table.update(review)
            reviews.append(table)
        doc["reviews"] = reviews
    return tomlkit.dumps(doc)


def open_checkout(registry_dir: Path, *, init: bool = False) -> git.Repo:
    try:
        return git.Repo(registry_dir)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        if not init:
            raise RegistryError(f"{registry_dir} is not a git checkout (pass --init to create one)") from None
        registry_dir.mkdir(parents=True, exist_ok=True)
        return git.Repo.init(registry_dir)


def _commit(repo: git.Repo, paths: list[str], message: str) -> str:
    repo.index.add(paths)
    author = COMMITTER
    try:
        reader = repo.config_reader()
        name = str(reader.get_value("user", "name", ""))
        email = str(reader.get_value("user", "email", ""))
        if name and email:
            author = git.Actor(name, email)
    except Exception:  # no user config: commit as pt-tui
        pass
    return repo.index.commit(message, author=author, committer=author).hexsha


def publish(
    folder: Path,
    registry_dir: Path,
    *,
    authors: Sequence[str] = (),
    license: str = "",
    init: bool = False,
    replace: bool = False,
) -> Published:
    """Copy ``folder`` to ``plugins/<name>/<version>/`` in the checkout, write its index entry, commit."""
    manifest = load_manifest(folder)
    repo = open_checkout(registry_dir, init=init)
    root = Path(repo.working_tree_dir or registry_dir)
    index_file = entry_filename(manifest.name, manifest.version)
    if (root / index_file).exists() and not replace:
        raise RegistryError(f"{manifest.name}@{manifest.version} is already in {root} (bump the version)")
    repo_path = f"plugins/{manifest.name}/{manifest.version}"
    target = root / repo_path
    if target.exists():
        shutil.rmtree(target)
    for path in _files(folder):
        dest = target / path.relative_to(folder)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, dest)
    data = build_entry(target, load_manifest(target), repo_path=repo_path, authors=authors, license=license)
    text = dump_entry(data)
    entry = parse_entry(text.encode(), index_file)  # what readers will see, checked before commit
    (root / index_file).parent.mkdir(parents=True, exist_ok=True)
    (root / index_file).write_text(text, encoding="utf-8")
    sha = _commit(repo, [index_file, repo_path], f"publish {manifest.name} {manifest.version}")
    return Published(entry, sha, index_file)


def add_review(registry_dir: Path, review: Review, name: str, version: str) -> str:
    """Append a signed review to an entry in a registry checkout and commit it; returns the commit."""
    repo = open_checkout(registry_dir)
    root = Path(repo.working_tree_dir or registry_dir)
    index_file = entry_filename(name, version)
    path = root / index_file
    if not path.exists():
        raise RegistryError(f"{name}@{version} is not in {root}")
    doc = tomlkit.parse(path.read_text(encoding="utf-8"))
    reviews = doc.get("reviews")
    if reviews is None:
        reviews = tomlkit.aot()
        doc["reviews"] = reviews
    kept = [
        r for r in reviews if not (r.get("reviewer") == review.reviewer and r.get("sha256") == review.sha256)
    ]
    fresh = tomlkit.aot()
    for item in kept:
        fresh.append(item)
    table = tomlkit.table()
    table.update(msgspec.to_builtins(review))
    fresh.append(table)
    doc["reviews"] = fresh
    text = tomlkit.dumps(doc)
    parse_entry(text.encode(), index_file)
    path.write_text(text, encoding="utf-8")
    return _commit(repo, [index_file], f"review {name} {version}: {review.verdict} by {review.reviewer}")
