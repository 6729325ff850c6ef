"""Read a git change with gitpython: the changed files, their hunks (exact line ranges) and contents.

Three ways to pick the two sides: the working tree against HEAD (default), the index against HEAD
(``staged``), or two revisions (``A..B``, ``A...B`` from their merge base, or ``A`` against the
working tree). Diffs use ``--unified=0``, so every hunk's old and new ranges are exactly the lines
removed and added. Untracked files are not part of a git diff (``git add -N`` makes them so).
"""

from __future__ import annotations

import re
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import git
from git.diff import INDEX, Diff
from git.objects import Blob, Commit

_HUNK = re.compile(rb"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@", re.MULTILINE)


class GitDiffError(Exception):
    """Not a git repository, a bad revision, no commit yet: one line for the user."""


@dataclass(frozen=True)
class Hunk:
    old_start: int
    old_count: int
    new_start: int
    new_count: int

    @property
    def old_lines(self) -> range:
        return range(self.old_start, self.old_start + self.old_count)

    @property
    def new_lines(self) -> range:
        return range(self.new_start, self.new_start + self.new_count)


@dataclass
class FileDiff:
    """One changed file. Paths are posix, relative to the indexed root (not the repository)."""

    old_path: str | None  # None when the file is new (or came from outside the root)
    new_path: str | None  # None when it was deleted (or moved outside the root)
    binary: bool
    hunks: list[Hunk] = field(default_factory=list)

    @property
    def status(self) -> str:
        if self.old_path is None:
            return "added"
        if self.new_path is None:
            return "deleted"
        return "renamed" if self.old_path != self.new_path else "modified"

    @property
    def path(self) -> str:
        return self.new_path or self.old_path or ""


@dataclass
class GitChange:
    """The files a change touches, and how to read each side's contents."""

    repo: git.Repo
    root: Path  # the indexed folder (inside the work tree)
    prefix: str  # the root relative to the work tree ("" for the work tree itself)
    base: Commit
    target: Commit | None  # None: the index (staged) or the working tree
    staged: bool
    files: list[FileDiff]
    outside: int = 0  # changed files outside the indexed root

    @property
    def base_label(self) -> str:
        return self.base.hexsha[:12]

    @property
    def target_label(self) -> str:
        if self.target is not None:
            return self.target.hexsha[:12]
        return "index" if self.staged else "working tree"

    def _repo_path(self, relpath: str) -> str:
        return f"{self.prefix}/{relpath}" if self.prefix else relpath

    def old_source(self, relpath: str) -> bytes | None:
        return _blob_bytes(self.base, self._repo_path(relpath))

    def new_source(self, relpath: str) -> bytes | None:
        path = self._repo_path(relpath)
        if self.target is not None:
            return _blob_bytes(self.target, path)
        if self.staged:
            entry = self.repo.index.entries.get((path, 0))
            return None if entry is None else bytes(self.repo.odb.stream(entry.binsha).read())
        try:
            return (self.root / relpath).read_bytes()
        except OSError:
            return None

    def materialize(self, side: str, dest: Path) -> Path:
        """Write the ``old`` or ``new`` tree (of the indexed root only) under ``dest``; returns the
        folder standing for the root. Its name is the root's, so root-derived names stay the same."""
        top = dest / (Path(self.repo.working_tree_dir or ".").name or "repo")
        top.mkdir(parents=True, exist_ok=True)
        commit = self.base if side == "old" else self.target
        if commit is not None:
            with tempfile.TemporaryFile() as fh:
                paths: dict[str, object] = {"path": self.prefix} if self.prefix else {}
                self.repo.archive(fh, commit.hexsha, None, False, False, format="tar", **paths)
                fh.seek(0)
                with tarfile.open(fileobj=fh) as tar:
                    tar.extractall(top, filter=_safe_member)
        elif self.staged:
            self.repo.git.checkout_index("--all", f"--prefix={top}/")
        else:
            raise ValueError("the working tree is already on disk")
        return top / self.prefix if self.prefix else top


def _safe_member(member: tarfile.TarInfo, dest: str) -> tarfile.TarInfo | None:
    """tarfile's ``data`` filter, dropping (rather than failing on) members that would escape."""
    try:
        return tarfile.data_filter(member, dest)
    except tarfile.FilterError:
        return None


def _blob_bytes(commit: Commit, path: str) -> bytes | None:
    try:
        item = commit.tree / path
    except KeyError:
        return None
    if not isinstance(item, Blob):  # a submodule or a folder
        return None
    return bytes(item.data_stream.read())


def parse_hunks(patch: bytes) -> list[Hunk]:
    """The hunk ranges of a unified diff (a missing count means 1)."""
    return [
        Hunk(int(a), int(b) if b else 1, int(c), int(d) if d else 1) for a, b, c, d in _HUNK.findall(patch)
    ]


def _open_repo(path: Path) -> git.Repo:
    try:
        repo = git.Repo(path, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise GitDiffError(f"not a git repository: {path}") from None
    if repo.bare or repo.working_tree_dir is None:
        raise GitDiffError(f"a bare repository has no working tree: {path}")
    return repo


def _commit(repo: git.Repo, rev: str) -> Commit:
    try:
        return repo.commit(rev)
    except (git.BadName, git.BadObject, ValueError, git.GitCommandError):
        raise GitDiffError(f"bad revision {rev!r}") from None


def _sides(repo: git.Repo, rev: str | None) -> tuple[Commit, Commit | None]:
    if rev is None:
        try:
            return repo.head.commit, None
        except ValueError:
            raise GitDiffError("no commit yet: HEAD does not exist") from None
    if "..." in rev:
        a, b = rev.split("...", 1)
        left, right = _commit(repo, a or "HEAD"), _commit(repo, b or "HEAD")
        bases = repo.merge_base(left, right)
        if not bases or not isinstance(bases[0], Commit):
            raise GitDiffError(f"no merge base for {rev!r}")
        return bases[0], right
    if ".." in rev:
        a, b = rev.split("..", 1)
        return _commit(repo, a or "HEAD"), _commit(repo, b or "HEAD")
    return _commit(repo, rev), None


def read_changes(path: Path, *, rev: str | None = None, staged: bool = False) -> GitChange:
    """The change between the two sides, limited to files under ``path``. Raises GitDiffError."""
    root = path.resolve()
    if not root.is_dir():
        raise GitDiffError(f"not a directory: {path}")
    repo = _open_repo(root)
    worktree = Path(repo.working_tree_dir or ".").resolve()
    prefix = root.relative_to(worktree).as_posix() if root != worktree else ""
    if rev is not None and staged:
        raise GitDiffError("--rev and --staged cannot be combined")
    base, target = _sides(repo, rev)
    other: Commit | object | None = target if target is not None else (INDEX if staged else None)
    try:
        diffs = base.diff(other, create_patch=True, unified=0)  # type: ignore[arg-type]
    except git.GitCommandError as exc:
        raise GitDiffError(f"git diff failed: {exc.stderr.strip() or exc}") from None
    change = GitChange(repo, root, prefix, base, target, staged, [])
    for d in diffs:
        item = _file_diff(d, prefix)
        if item is None:
            change.outside += 1
        else:
            change.files.append(item)
    change.files.sort(key=lambda f: f.path)
    return change


def _inside(path: str | None, prefix: str) -> str | None:
    if path is None:
        return None
    if not prefix:
        return path
    pure = PurePosixPath(path)
    return pure.relative_to(prefix).as_posix() if pure.is_relative_to(prefix) else None


def _file_diff(d: Diff, prefix: str) -> FileDiff | None:
    old = None if d.new_file else _inside(d.a_path, prefix)
    new = None if d.deleted_file else _inside(d.b_path, prefix)
    if old is None and new is None:
        return None
    patch = d.diff if isinstance(d.diff, bytes) else str(d.diff).encode()
    binary = patch.startswith((b"Binary files ", b"GIT binary patch"))
    return FileDiff(old, new, binary, [] if binary else parse_hunks(patch))
