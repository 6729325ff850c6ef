"""Installed plugins: ``installed/<name>/<version>/`` folders and a ``plugins/<name>`` symlink each.

An install writes the plugin folder into ``installed/.staging/``, checks every artifact's sha256 there,
writes its install record (``.pt-tui-install.toml``: version, tier, sha256s, origin, and the version it
replaces), renames the folder to ``installed/<name>/<version>/`` (invisible until pointed to), then
replaces the ``plugins/<name>`` symlink atomically (a new link renamed over the old one): that rename
is the one commit point. A process killed at any moment leaves the old link (old state) or the new one
(new state); staging leftovers and unpointed folders are swept by the next operation. The previous
version is kept for ``rollback``.

``plugins/`` holds only the links, so the plugin manager's discovery (every ``plugin.toml`` a few
levels below ``plugins/``) finds exactly the active version of each plugin. The lockfile is rewritten
from the records after each change (and by any later command if a kill came in between).

Set ``PT_TUI_INSTALL_STEP_DELAY`` (seconds) to sleep between steps: the kill test uses it.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import sys
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import msgspec
import tomlkit

from pt_tui.sandbox.manifest import artifact_sha256, load_manifest
from pt_tui.sandbox.registry.errors import IntegrityError, RegistryError, SHA256Mismatch
from pt_tui.sandbox.registry.index import NAME_RE, IndexEntry
from pt_tui.sandbox.registry.lockfile import LockedPlugin, Lockfile, write_lockfile
from pt_tui.sandbox.registry.paths import fsync_dir, lockfile_path, plugins_dir, write_atomic

INSTALLED = "installed"  # beside plugins/: the version folders
RECORD = ".pt-tui-install.toml"
STAGING = ".staging"


class Pointer(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One installed version: where it is, what it runs as, and where it came from."""

    name: str
    version: str
    dir: str  # folder name under plugins/<name>/
    tier: str
    sha256: str  # the active tier's artifact
    artifacts: dict[str, str]  # kind -> sha256 (wasm, native, python)
    registry: str
    url: str
    commit: str

    def lock(self) -> LockedPlugin:
        return LockedPlugin(
            name=self.name,
            version=self.version,
            tier=self.tier,
            sha256=self.sha256,
            registry=self.registry,
            url=self.url,
            commit=self.commit,
            artifacts=dict(self.artifacts),
        )


class Current(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """A version folder's install record: that version, and the one ``rollback`` returns to from it."""

    current: Pointer
    previous: Pointer | None = None


def _step(name: str) -> None:
    """A hook between install steps: with PT_TUI_INSTALL_STEP_DELAY set (kill tests), announce the
    step on stderr and sleep that many seconds."""
    delay = os.environ.get("PT_TUI_INSTALL_STEP_DELAY")
    if delay:
        sys.stderr.write(f"pt-tui-step {name}\n")
        sys.stderr.flush()
        time.sleep(float(delay))


class Store:
    """The installed plugins under one plugins dir, and the lockfile that mirrors them.

    Every change holds an exclusive ``flock`` on ``plugins/.lock``, so two processes never interleave.
    """

    def __init__(self, root: Path | None = None, lockfile: Path | None = None) -> None:
        self.root = root or plugins_dir()  # the links the host discovers
        self.versions = self.root.parent / INSTALLED  # the version folders they point into
        self.lockfile = lockfile or lockfile_path()
        self._depth = 0
        self._lock_fd = -1

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the plugins dir's write lock (re-entrant within this Store)."""
        if self._depth == 0:
            self.root.mkdir(parents=True, exist_ok=True)
            self.versions.mkdir(parents=True, exist_ok=True)
            self._lock_fd = os.open(self.versions / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
            if self._depth == 0:
                os.close(self._lock_fd)  # closing releases the flock
                self._lock_fd = -1

    # --- reading ---------------------------------------------------------------------------------
    def plugin_dir(self, name: str) -> Path:
        """``installed/<name>``: the plugin's version folders."""
        if not NAME_RE.match(name):
            raise RegistryError(f"invalid plugin name {name!r}")
        return self.versions / name

    def current_link(self, name: str) -> Path:
        """``plugins/<name>``: the folder the host loads (a symlink to the active version folder)."""
        if not NAME_RE.match(name):
            raise RegistryError(f"invalid plugin name {name!r}")
        return self.root / name

    def current(self, name: str) -> Current | None:
        link = self.current_link(name)
        try:
            target = os.readlink(link)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise RegistryError(f"{link}: not an install pointer: {exc.strerror}") from exc
        return self._record(link.parent / target / RECORD)

    def _record(self, path: Path) -> Current:
        try:
            return msgspec.convert(tomlkit.parse(path.read_text(encoding="utf-8")).unwrap(), Current)
        except (OSError, UnicodeDecodeError, tomlkit.exceptions.ParseError, msgspec.ValidationError) as exc:
            raise RegistryError(f"{path}: unreadable install record: {exc}") from exc

    def require(self, name: str) -> Current:
        state = self.current(name)
        if state is None:
            raise RegistryError(f"{name} is not installed")
        return state

    def installed(self) -> list[Current]:
        out: list[Current] = []
        for folder in self.installed_folders():
            state = self.current(folder.name)
            if state is not None:
                out.append(state)
        return out

    def folder(self, pointer: Pointer) -> Path:
        return self.versions / pointer.name / pointer.dir

    def verify(self, pointer: Pointer) -> list[str]:
        """Re-hash every artifact of an installed version; one line per problem (empty: all good)."""
        folder = self.folder(pointer)
        if not folder.is_dir():
            return [f"{pointer.name}@{pointer.version}: folder {folder} is missing"]
        problems: list[str] = []
        for kind, expected in sorted(pointer.artifacts.items()):
            try:
                actual = self._artifact_sha(folder, kind)
            except (OSError, RegistryError) as exc:
                problems.append(f"{pointer.name}@{pointer.version}: {kind} artifact: {exc}")
                continue
            if actual != expected:
                problems.append(
                    str(SHA256Mismatch(f"{pointer.name}@{pointer.version} {kind}", expected, actual))
                )
        return problems

    def check_load(self, name: str) -> tuple[Pointer, Path]:
        """What a load of ``name`` must run: the active pointer and folder, its sha256 re-checked.

        Raises :class:`SHA256Mismatch` (both hashes shown) if the artifact changed on disk.
        """
        pointer = self.require(name).current
        folder = self.folder(pointer)
        actual = self._artifact_sha(folder, _kind_for(pointer))
        if actual != pointer.sha256:
            raise SHA256Mismatch(f"{name}@{pointer.version} ({pointer.tier})", pointer.sha256, actual)
        return pointer, folder

    def _artifact_sha(self, folder: Path, kind: str) -> str:
        manifest = load_manifest(folder)
        if kind == "python":
            return artifact_sha256(folder)
        rel = manifest.artifact.wasm if kind == "wasm" else manifest.artifact.native
        if not rel:
            raise RegistryError(f"the manifest names no {kind} artifact")
        return artifact_sha256(folder / rel)

    # --- writing ---------------------------------------------------------------------------------
    def install(
        self,
        entry: IndexEntry,
        files: Iterable[tuple[str, bytes, bool]],
        *,
        tier: str,
        registry: str,
        url: str,
        commit: str,
    ) -> Current:
        """Install ``entry`` from its folder's files; return the new state (old one kept as previous)."""
        with self.locked():
            return self._install(entry, files, tier=tier, registry=registry, url=url, commit=commit)

    def set_current(self, pointer: Pointer, *, previous: Pointer | bool | None = True) -> Current:
        """Point ``name`` at ``pointer`` (the atomic commit point), then sweep and sync the lockfile.

        ``previous=True`` keeps the old current as previous (when it is another folder or tier).
        """
        with self.locked():
            return self._set_current(pointer, previous=previous)

    def uninstall(self, name: str) -> Current:
        with self.locked():
            return self._uninstall(name)

    def rollback(self, name: str) -> Current:
        """Make the previous version current again (and the current one previous)."""
        with self.locked():
            return self._rollback(name)

    def _install(
        self,
        entry: IndexEntry,
        files: Iterable[tuple[str, bytes, bool]],
        *,
        tier: str,
        registry: str,
        url: str,
        commit: str,
    ) -> Current:
        self.sweep()
        staging_root = self.versions / STAGING
        staging_root.mkdir(parents=True, exist_ok=True)
        staging = staging_root / f"{entry.name}-{entry.version}-{uuid.uuid4().hex[:8]}"
        try:
            staging.mkdir()
            _step("staging")
            for rel, data, executable in files:
                target = staging / rel
                if not target.resolve().is_relative_to(staging.resolve()) or target == staging:
                    raise IntegrityError(
                        f"{entry.spec}: refused file name {rel!r} (leaves the plugin folder)"
                    )
                target.parent.mkdir(parents=True, exist_ok=True)
                with open(target, "xb") as handle:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                if executable:
                    target.chmod(0o755)
            _step("written")
            artifacts = self._check_staged(entry, staging)
            fsync_dir(staging)
            _step("verified")
            active = _active_kind(entry, tier)
            pointer = Pointer(
                name=entry.name,
                version=entry.version,
                dir=self._place(entry, staging, artifacts, tier),
                tier=tier,
                sha256=artifacts[active],
                artifacts=artifacts,
                registry=registry,
                url=url,
                commit=commit,
            )
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        _step("placed")
        return self._set_current(pointer)

    def _check_staged(self, entry: IndexEntry, staging: Path) -> dict[str, str]:
        manifest = load_manifest(staging)
        if (manifest.name, manifest.version) != (entry.name, entry.version):
            raise IntegrityError(
                f"{entry.spec}: the plugin folder's manifest is {manifest.name}@{manifest.version}"
            )
        artifacts: dict[str, str] = {}
        for kind, artifact in entry.artifacts.items():
            path = staging if kind == "python" else staging / artifact.path
            if not path.exists():
                raise IntegrityError(
                    f"{entry.spec}: {kind} artifact {artifact.path!r} is not in the plugin folder"
                )
            actual = artifact_sha256(path)
            if actual != artifact.sha256:
                raise SHA256Mismatch(f"{entry.spec} {kind} artifact {artifact.path}", artifact.sha256, actual)
            artifacts[kind] = actual
        return artifacts

    def _place(self, entry: IndexEntry, staging: Path, artifacts: dict[str, str], tier: str) -> str:
        """Rename the staged folder into ``plugins/<name>/``; an identical existing one is reused."""
        parent = self.plugin_dir(entry.name)
        parent.mkdir(parents=True, exist_ok=True)
        dirname = entry.version if tier == entry.default_tier else f"{entry.version}+{tier}"
        existing = parent / dirname
        if existing.exists():
            if not self._differs(existing, artifacts):
                shutil.rmtree(staging, ignore_errors=True)
                return dirname
            dirname = f"{entry.version}+{uuid.uuid4().hex[:8]}"  # never overwrite a folder in use
        os.rename(staging, parent / dirname)
        fsync_dir(parent)
        return dirname

    def _differs(self, folder: Path, artifacts: dict[str, str]) -> bool:
        try:
            return any(self._artifact_sha(folder, kind) != sha for kind, sha in artifacts.items())
        except Exception:  # an unreadable leftover: treat as different, never reuse it
            return True

    def _set_current(self, pointer: Pointer, *, previous: Pointer | bool | None = True) -> Current:
        old = self.current(pointer.name)
        if previous is True:
            prev = old.current if old is not None else None
            if prev is not None and prev.dir == pointer.dir:
                prev = old.previous if old is not None else None
        elif previous is False:
            prev = None
        else:
            prev = previous
        state = Current(current=pointer, previous=prev)
        folder = self.folder(pointer)
        write_atomic(folder / RECORD, _dump(state))  # the target is not current yet: harmless
        _step("recorded")
        link = self.current_link(pointer.name)
        tmp = link.with_name(f".{pointer.name}.{uuid.uuid4().hex[:8]}")
        os.symlink(os.path.relpath(folder, link.parent), tmp)
        os.replace(tmp, link)  # the commit point
        fsync_dir(link.parent)
        _step("pointed")
        self._sweep(pointer.name)
        self.sync_lockfile()
        return state

    def _uninstall(self, name: str) -> Current:
        state = self.require(name)
        self.current_link(name).unlink()  # the commit point: installed, or gone
        fsync_dir(self.root)
        _step("unlinked")
        shutil.rmtree(self.plugin_dir(name), ignore_errors=True)
        self.sync_lockfile()
        return state

    def _rollback(self, name: str) -> Current:
        state = self.require(name)
        if state.previous is None:
            raise RegistryError(f"{name}: no previous version to roll back to")
        if not self.folder(state.previous).is_dir():
            raise RegistryError(f"{name}: the previous version's folder is gone")
        return self._set_current(state.previous, previous=state.current)

    def sweep(self, name: str | None = None) -> None:
        """Remove staging leftovers and version folders no pointer names (crash leftovers, old versions)."""
        with self.locked():
            self._sweep(name)

    def _sweep(self, name: str | None) -> None:
        staging = self.versions / STAGING
        if name is None and staging.is_dir():
            for item in staging.iterdir():
                shutil.rmtree(item, ignore_errors=True)
        if self.root.is_dir():
            for item in self.root.iterdir():  # links made by a killed switch
                if (
                    item.name.startswith(".")
                    and item.is_symlink()
                    and (name is None or item.name.startswith(f".{name}."))
                ):
                    item.unlink(missing_ok=True)
        folders = [self.plugin_dir(name)] if name else self.installed_folders()
        for parent in folders:
            if not parent.is_dir():
                continue
            state = self.current(parent.name)
            if state is None:  # nothing points here: a killed first install, or an uninstall's rest
                shutil.rmtree(parent, ignore_errors=True)
                continue
            keep = {state.current.dir} | ({state.previous.dir} if state.previous is not None else set())
            for item in parent.iterdir():
                if item.name not in keep:
                    shutil.rmtree(item, ignore_errors=True)

    def installed_folders(self) -> list[Path]:
        """``installed/<name>`` folders (installed, or leftovers of a killed operation)."""
        if not self.versions.is_dir():
            return []
        return sorted(p for p in self.versions.iterdir() if p.is_dir() and NAME_RE.match(p.name))

    def lock(self) -> Lockfile:
        return Lockfile(plugin=[state.current.lock() for state in self.installed()])

    def sync_lockfile(self) -> Path:
        """Rewrite the lockfile from the pointers (a no-op when it already matches)."""
        return write_lockfile(self.lock(), self.lockfile)


def _active_kind(entry: IndexEntry, tier: str) -> str:
    found = entry.artifact_for(tier)
    if found is None:
        raise RegistryError(f"{entry.spec} has no artifact for tier {tier!r}")
    return found[0]


def _kind_for(pointer: Pointer) -> str:
    for kind, sha in pointer.artifacts.items():
        if sha == pointer.sha256:
            return kind
    raise RegistryError(f"{pointer.name}: install record names no artifact with sha256 {pointer.sha256}")


def _dump(state: Current) -> bytes:
    doc = tomlkit.document()
    doc.add(tomlkit.comment("pt-tui install record: the active version and the one rollback returns to"))
    doc.update(msgspec.to_builtins(state))
    return tomlkit.dumps(doc).encode("utf-8")


def check_folder(folder: Path) -> None:
    """For a loader: if ``folder`` is an installed version (it holds an install record), re-hash its
    active artifact and raise :class:`SHA256Mismatch` (both hashes) when it changed on disk.

    Folders without a record (a developer's own plugin folder) are left alone.
    """
    path = Path(folder).resolve()
    record = path / RECORD
    if not record.is_file():
        return
    store = Store()
    pointer = store._record(record).current
    actual = store._artifact_sha(path, _kind_for(pointer))
    if actual != pointer.sha256:
        raise SHA256Mismatch(f"{pointer.name}@{pointer.version} ({pointer.tier})", pointer.sha256, actual)
