"""Find the source files under a root: honour .gitignore files, skip build and tool folders.

Directory symlinks are not followed by default (as git and ripgrep do); with ``follow_symlinks``
they are, and a directory already visited (same device and inode) is never entered twice, so a
symlink loop cannot trap the walk.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

#: Folders never indexed unless asked: VCS, virtual environments, build outputs, tool caches.
DEFAULT_SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".venv",
        "venv",
        "node_modules",
        "target",
        "__pycache__",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".tox",
        ".nox",
        ".hypothesis",
    }
)


@dataclass(frozen=True)
class FoundFile:
    path: Path  # absolute
    relpath: str  # posix, relative to the root
    size: int
    mtime_ns: int


@dataclass
class WalkStats:
    ignored: int = 0  # matched a .gitignore rule or a default skip
    symlinks_skipped: int = 0
    unreadable: int = 0
    loops_avoided: int = 0
    errors: list[str] = field(default_factory=list)


class _IgnoreChain:
    """The .gitignore specs that apply in one directory, root first."""

    def __init__(self, specs: tuple[tuple[str, pathspec.GitIgnoreSpec], ...] = ()) -> None:
        self.specs = specs

    def with_dir(self, dirpath: Path, dir_rel: str) -> _IgnoreChain:
        gitignore = dirpath / ".gitignore"
        try:
            lines = gitignore.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return self
        spec = pathspec.GitIgnoreSpec.from_lines(lines)
        return _IgnoreChain((*self.specs, (dir_rel, spec)))

    def ignored(self, relpath: str, is_dir: bool) -> bool:
        """True when the deepest .gitignore that has an opinion on ``relpath`` excludes it."""
        for base, spec in reversed(self.specs):
            sub = relpath[len(base) + 1 :] if base else relpath
            if is_dir:
                sub += "/"
            result = spec.check_file(sub)
            if result.include is not None:
                return bool(result.include)
        return False


_UNKNOWN = object()


class IgnoreRules:
    """The walk's rules as a predicate on one path: would :func:`walk_sources` skip it?

    Checks every folder on the way (default skips, virtual environments, ``.gitignore`` files,
    ``--exclude`` patterns, symlinks when not followed). The watcher and incremental updates use it
    so that they see exactly the files a cold index sees. Call :meth:`reset` after a ``.gitignore``
    changed.
    """

    def __init__(
        self,
        root: Path,
        *,
        follow_symlinks: bool = False,
        use_gitignore: bool = True,
        skip_dirs: frozenset[str] = DEFAULT_SKIP_DIRS,
        exclude: Sequence[str] = (),
    ) -> None:
        self.root = root.resolve()
        self.follow_symlinks = follow_symlinks
        self.use_gitignore = use_gitignore
        self.skip_dirs = skip_dirs
        self.exclude = tuple(exclude)
        self._chains: dict[str, _IgnoreChain | None] = {}

    def reset(self) -> None:
        self._chains.clear()

    def relpath(self, path: str | Path) -> str | None:
        """``path`` (absolute, or relative to the root) as a posix path relative to the root, or None
        when it is outside the root."""
        p = Path(path)
        if not p.is_absolute():
            p = self.root / p
        try:
            rel = p.relative_to(self.root).as_posix()
        except ValueError:
            return None
        return None if rel in ("", ".") else rel

    def _chain(self, dir_rel: str) -> _IgnoreChain | None:
        """The ignore chain inside the folder ``dir_rel`` ("" for the root); None if it is skipped."""
        known = self._chains.get(dir_rel, _UNKNOWN)
        if known is not _UNKNOWN:
            return known  # type: ignore[return-value]
        chain: _IgnoreChain | None
        if not dir_rel:
            base = (
                _IgnoreChain((("", pathspec.GitIgnoreSpec.from_lines(self.exclude)),))
                if self.exclude
                else _IgnoreChain()
            )
            chain = base.with_dir(self.root, "") if self.use_gitignore else base
        else:
            parent_rel, _, name = dir_rel.rpartition("/")
            parent = self._chain(parent_rel)
            dirpath = self.root / dir_rel
            if (
                parent is None
                or name in self.skip_dirs
                or (not self.follow_symlinks and dirpath.is_symlink())
                or (dirpath / "pyvenv.cfg").exists()
                or parent.ignored(dir_rel, is_dir=True)
            ):
                chain = None
            else:
                chain = parent.with_dir(dirpath, dir_rel) if self.use_gitignore else parent
        self._chains[dir_rel] = chain
        return chain

    def dir_ignored(self, dir_rel: str) -> bool:
        return self._chain(dir_rel) is None

    def file_ignored(self, relpath: str) -> bool:
        """Whether the file ``relpath`` is outside what the walk yields (its name is not checked)."""
        dir_rel, _, _ = relpath.rpartition("/")
        chain = self._chain(dir_rel)
        if chain is None:
            return True
        if not self.follow_symlinks and (self.root / relpath).is_symlink():
            return True
        return chain.ignored(relpath, is_dir=False)


def walk_sources(
    root: Path,
    accept: Callable[[str], bool],
    *,
    follow_symlinks: bool = False,
    use_gitignore: bool = True,
    skip_dirs: frozenset[str] = DEFAULT_SKIP_DIRS,
    exclude: Sequence[str] = (),
    stats: WalkStats | None = None,
) -> Iterator[FoundFile]:
    """Yield the files under ``root`` that ``accept`` approves (by name), in a stable order.

    A folder's files come first, by name, then its subfolders, by name, depth first.
    """
    stats = stats if stats is not None else WalkStats()
    root = root.resolve()
    visited: set[tuple[int, int]] = set()
    try:
        st = root.stat()
    except OSError as exc:
        stats.errors.append(f"{root}: {exc.strerror}")
        return
    visited.add((st.st_dev, st.st_ino))
    # --exclude patterns use .gitignore syntax, relative to the root, and apply before its files
    base = _IgnoreChain((("", pathspec.GitIgnoreSpec.from_lines(exclude)),) if exclude else ())
    chain = base.with_dir(root, "") if use_gitignore else base
    stack: list[tuple[Path, str, _IgnoreChain]] = [(root, "", chain)]
    while stack:
        dirpath, dir_rel, chain = stack.pop()
        try:
            entries = sorted(os.scandir(dirpath), key=lambda e: e.name)
        except OSError as exc:
            stats.unreadable += 1
            stats.errors.append(f"{dir_rel or '.'}: {exc.strerror}")
            continue
        subdirs: list[tuple[Path, str, _IgnoreChain]] = []
        for entry in entries:
            rel = f"{dir_rel}/{entry.name}" if dir_rel else entry.name
            try:
                is_link = entry.is_symlink()
                if is_link and not follow_symlinks:
                    stats.symlinks_skipped += 1
                    continue
                est = entry.stat(follow_symlinks=True)
            except OSError:
                stats.unreadable += 1
                continue
            if stat.S_ISDIR(est.st_mode):
                if entry.name in skip_dirs or (dirpath / entry.name / "pyvenv.cfg").exists():
                    stats.ignored += 1
                    continue
                if chain.ignored(rel, is_dir=True):
                    stats.ignored += 1
                    continue
                key = (est.st_dev, est.st_ino)
                if key in visited:
                    stats.loops_avoided += 1
                    continue
                visited.add(key)
                sub_path = Path(entry.path)
                sub_chain = chain.with_dir(sub_path, rel) if use_gitignore else chain
                subdirs.append((sub_path, rel, sub_chain))
            elif stat.S_ISREG(est.st_mode):
                if not accept(entry.name):
                    continue
                if chain.ignored(rel, is_dir=False):
                    stats.ignored += 1
                    continue
                yield FoundFile(Path(entry.path), rel, est.st_size, est.st_mtime_ns)
        stack.extend(reversed(subdirs))
