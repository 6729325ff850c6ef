"""Registries as git repositories: fetch into a bare clone in the cache, read pinned to one commit.

Every read goes through :class:`Snapshot`, which reads blobs from a commit (never a work tree), so a
registry's content is exactly what the recorded commit holds. Paths from an index are confined to the
repository: absolute paths, ``..`` and symlinks that leave it are refused; sizes are capped.
"""

from __future__ import annotations

import hashlib
import posixpath
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import git
from git.objects import Blob, Commit, Tree

from pt_tui.sandbox.registry.config import RegistrySource
from pt_tui.sandbox.registry.errors import EntryError, IntegrityError, PathEscape, RegistryError
from pt_tui.sandbox.registry.index import IndexEntry, parse_entry
from pt_tui.sandbox.registry.paths import registries_cache

MAX_ARTIFACT_BYTES = 5 * 1024 * 1024  # one artifact
MAX_FOLDER_BYTES = 20 * 1024 * 1024  # a whole plugin folder
MAX_FOLDER_FILES = 500
MAX_ENTRY_BYTES = 64 * 1024  # one index file
SYMLINK_MODE = 0o120000
MAX_SYMLINK_HOPS = 8
PINNED_REF = "refs/pt-tui/pins"
FETCHED_REF = "refs/pt-tui/head"


def normalize_url(url: str) -> str:
    """An existing local path becomes absolute; anything else is kept as given (after checks)."""
    if url.startswith("-") or "::" in url:
        raise RegistryError(f"refused registry URL {url!r}: options and transport helpers are not allowed")
    path = Path(url).expanduser()
    if "://" not in url and path.exists():
        return str(path.resolve())
    return url


def cache_path(source: RegistrySource) -> Path:
    digest = hashlib.sha256(source.url.encode()).hexdigest()[:12]
    return registries_cache() / f"{source.name}-{digest}.git"


def _git_env(repo: git.Repo) -> None:
    repo.git.update_environment(GIT_TERMINAL_PROMPT="0", GIT_CONFIG_NOSYSTEM="1")


def _git(repo: git.Repo, *args: str) -> None:
    """Run git in ``repo`` with the ext:: transport off (a registry URL never runs a command)."""
    repo.git.execute(["git", "-c", "protocol.ext.allow=never", *args])


def open_cache(source: RegistrySource, *, create: bool = False) -> git.Repo:
    path = cache_path(source)
    if (path / "HEAD").exists():
        repo = git.Repo(path)
    elif create:
        path.parent.mkdir(parents=True, exist_ok=True)
        repo = git.Repo.init(path, bare=True, mkdir=True)
    else:
        raise RegistryError(
            f"registry {source.name!r} was never fetched: run `pt-tui plugin registry update`"
        )
    _git_env(repo)
    return repo


def fetch(source: RegistrySource) -> str:
    """Fetch ``source`` into its cache and return the commit its branch (or HEAD) now points to.

    The caller pins that commit (records it in the config). Raises :class:`RegistryError` when the
    registry cannot be reached; what was fetched before stays usable.
    """
    url = normalize_url(source.url)
    repo = open_cache(source, create=True)
    head = f"refs/heads/{source.branch}" if source.branch else "HEAD"
    try:
        _git(repo, "fetch", "--quiet", "--no-tags", "--force", "--", url, f"+{head}:{FETCHED_REF}")
    except git.GitCommandError as exc:
        detail = (exc.stderr or str(exc)).strip().splitlines()
        reason = detail[-1].removeprefix("stderr: ").strip(" '") if detail else "fetch failed"
        raise RegistryError(f"registry {source.name!r}: cannot fetch {url}: {reason}") from exc
    sha = repo.rev_parse(FETCHED_REF).hexsha
    pin(repo, sha)
    return sha


def pin(repo: git.Repo, sha: str) -> None:
    """Keep a commit reachable in the cache (one ref per commit ever pinned), so no ``git gc`` drops a
    commit that a config pin, an install record or a lockfile still names."""
    repo.git.update_ref(f"{PINNED_REF}/{sha}", sha)


@dataclass(frozen=True)
class Resolved:
    """A path in the commit after following in-repository symlinks."""

    path: str
    obj: Blob | Tree


def _split(path: str, what: str) -> list[str]:
    if not path or path.startswith("/") or "\\" in path or "\0" in path or (len(path) > 1 and path[1] == ":"):
        raise PathEscape(f"{what}: refused path {path!r}: absolute or empty")
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise PathEscape(f"{what}: refused path {path!r}: '..' is not allowed")
    return parts


@dataclass
class Snapshot:
    """A registry pinned at one commit."""

    source: RegistrySource
    repo: git.Repo
    commit: Commit
    _entries: tuple[list[IndexEntry], list[EntryError]] | None = field(default=None, repr=False)

    @property
    def sha(self) -> str:
        return self.commit.hexsha

    # --- paths -----------------------------------------------------------------------------------
    def resolve(self, path: str, what: str) -> Resolved:
        """Find ``path`` in the commit, following symlinks that stay inside the repository."""
        parts = _split(path, what)
        hops = 0
        i = 0
        tree: Tree = self.commit.tree
        done: list[str] = []
        obj: Blob | Tree = tree
        while i < len(parts):
            if not isinstance(obj, Tree):
                raise IntegrityError(f"{what}: {'/'.join(done)} is not a folder")
            try:
                child = obj.join(parts[i])
            except KeyError:
                raise IntegrityError(f"{what}: {path!r} does not exist in commit {self.sha[:12]}") from None
            if isinstance(child, Blob) and child.mode == SYMLINK_MODE:
                hops += 1
                if hops > MAX_SYMLINK_HOPS:
                    raise PathEscape(f"{what}: too many symlinks in {path!r}")
                target = child.data_stream.read().decode("utf-8", "replace")
                if target.startswith("/"):
                    raise PathEscape(
                        f"{what}: {path!r}: symlink {'/'.join([*done, parts[i]])} leaves the registry"
                    )
                joined = posixpath.normpath(posixpath.join(*done, target) if done else target)
                if joined == ".." or joined.startswith("../"):
                    raise PathEscape(
                        f"{what}: {path!r}: symlink {'/'.join([*done, parts[i]])} leaves the registry"
                    )
                parts = [p for p in joined.split("/") if p not in ("", ".")] + parts[i + 1 :]
                i, done, obj = 0, [], self.commit.tree
                continue
            if not isinstance(child, Blob | Tree):  # a submodule (commit) or anything else
                raise IntegrityError(f"{what}: {path!r}: submodules are not allowed")
            obj = child
            done.append(parts[i])
            i += 1
        return Resolved("/".join(done), obj)

    def folder_files(self, path: str, what: str) -> Iterator[tuple[str, bytes, bool]]:
        """Every file under the folder ``path``: (relative path, bytes, executable). Symlinks refused."""
        resolved = self.resolve(path, what)
        if not isinstance(resolved.obj, Tree):
            raise IntegrityError(f"{what}: {path!r} is not a folder")
        try:
            yield from self._folder_files(resolved, what)
        except ValueError as exc:  # gitpython refuses crafted names ("..", "") while walking a tree
            raise PathEscape(f"{what}: refused: {exc}") from exc

    def _folder_files(self, resolved: Resolved, what: str) -> Iterator[tuple[str, bytes, bool]]:
        assert isinstance(resolved.obj, Tree)
        path = resolved.path
        total = 0
        count = 0
        for item in resolved.obj.traverse():
            if isinstance(item, Tree):
                continue
            if not isinstance(item, Blob):
                raise IntegrityError(f"{what}: {path!r}: submodules are not allowed")
            rel = posixpath.relpath(str(item.path), resolved.path)
            if any(part in ("", ".", "..") for part in rel.split("/")) or rel.startswith("/"):
                raise PathEscape(f"{what}: refused file name {rel!r} in the plugin folder")
            if item.mode == SYMLINK_MODE:
                raise PathEscape(f"{what}: {rel}: symlinks are not allowed in a plugin folder")
            if item.size > MAX_ARTIFACT_BYTES:
                raise IntegrityError(
                    f"{what}: {rel} is {item.size:,} bytes, over the {MAX_ARTIFACT_BYTES:,} cap"
                )
            total += item.size
            count += 1
            if total > MAX_FOLDER_BYTES or count > MAX_FOLDER_FILES:
                raise IntegrityError(
                    f"{what}: plugin folder over {MAX_FOLDER_BYTES:,} bytes or {MAX_FOLDER_FILES} files"
                )
            yield rel, item.data_stream.read(), bool(item.mode & 0o111)

    # --- index -----------------------------------------------------------------------------------
    def entries(self) -> tuple[list[IndexEntry], list[EntryError]]:
        """Every valid index entry, and an error per malformed one (reported, skipped)."""
        if self._entries is not None:
            return self._entries
        good: list[IndexEntry] = []
        bad: list[EntryError] = []
        try:
            index = self.commit.tree.join("index")
        except KeyError:
            self._entries = (good, bad)
            return self._entries
        if not isinstance(index, Tree):
            bad.append(EntryError(f"{self.source.name}:index", "", "not a folder"))
            self._entries = (good, bad)
            return self._entries
        try:
            items = list(index.traverse())
        except ValueError as exc:  # a crafted tree: report it, read nothing from the index
            bad.append(EntryError(f"{self.source.name}:index", "", f"refused: {exc}"))
            items = []
        for item in items:
            if not isinstance(item, Blob) or not str(item.path).endswith(".toml"):
                continue
            where = f"{self.source.name}:{item.path}"
            parts = str(item.path).split("/")
            if len(parts) != 3:
                bad.append(EntryError(where, "", "expected index/<name>/<version>.toml"))
                continue
            if item.mode == SYMLINK_MODE:
                bad.append(EntryError(where, "", "an index file may not be a symlink"))
                continue
            if item.size > MAX_ENTRY_BYTES:
                bad.append(EntryError(where, "", f"over {MAX_ENTRY_BYTES:,} bytes"))
                continue
            try:
                entry = parse_entry(item.data_stream.read(), where)
            except EntryError as exc:
                bad.append(exc)
                continue
            if entry.name != parts[1] or entry.version != parts[2].removesuffix(".toml"):
                bad.append(EntryError(where, "name", f"{entry.spec} does not match its file name"))
                continue
            try:
                _split(entry.path, where)
                for kind, artifact in entry.artifacts.items():
                    _split(artifact.path, f"{where}: artifacts.{kind}.path")
            except PathEscape as exc:
                bad.append(EntryError(where, "path", str(exc).split(": ", 1)[-1]))
                continue
            good.append(entry)
        self._entries = (good, bad)
        return self._entries


def snapshot(source: RegistrySource, *, commit: str | None = None) -> Snapshot:
    """The registry at ``commit`` (default: its pinned commit), from the cache: works offline."""
    sha = commit or source.commit
    if not sha:
        raise RegistryError(
            f"registry {source.name!r} has no pinned commit: run `pt-tui plugin registry update`"
        )
    repo = open_cache(source)
    try:
        obj = repo.commit(sha)
    except (ValueError, git.BadName, git.BadObject) as exc:
        raise RegistryError(f"registry {source.name!r}: commit {sha[:12]} is not in the cache") from exc
    return Snapshot(source=source, repo=repo, commit=obj)


def fetch_commit(source: RegistrySource, sha: str) -> Snapshot:
    """The registry at ``sha``: from the cache, or fetched (for ``install --locked`` on a fresh machine)."""
    try:
        return snapshot(source, commit=sha)
    except RegistryError:
        fetch(source)
        repo = open_cache(source)
        try:
            repo.commit(sha)
        except (ValueError, git.BadName, git.BadObject):
            try:
                _git(repo, "fetch", "--quiet", "--no-tags", "--", normalize_url(source.url), sha)
            except git.GitCommandError as exc:
                raise RegistryError(f"registry {source.name!r}: commit {sha[:12]} cannot be fetched") from exc
        pin(repo, sha)
        return snapshot(source, commit=sha)


def remove_cache(source: RegistrySource) -> None:
    path = cache_path(source)
    if path.exists():
        shutil.rmtree(path, ignore_errors=True)


__all__ = [
    "MAX_ARTIFACT_BYTES",
    "Snapshot",
    "cache_path",
    "fetch",
    "fetch_commit",
    "normalize_url",
    "remove_cache",
    "snapshot",
]
