"""What the ``pt-tui plugin`` registry commands do, without any UI: install, update, promote, ...

Each change returns a :class:`Change` and, when a live plugin manager is attached (``live``), is
applied to the running process through its hot-swap, so install, update, promote and rollback take
effect without a restart.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import msgspec
import tomlkit

from pt_tui.sandbox.api import Capability
from pt_tui.sandbox.capabilities import Grants, parse_capability
from pt_tui.sandbox.errors import PluginError
from pt_tui.sandbox.manifest import MANIFEST_FILE, load_manifest
from pt_tui.sandbox.registry.catalog import Catalog, Offer, parse_spec
from pt_tui.sandbox.registry.config import RegistryConfig, RegistrySource, load_config
from pt_tui.sandbox.registry.errors import RegistryError, SHA256Mismatch
from pt_tui.sandbox.registry.gitrepo import Snapshot, fetch_commit
from pt_tui.sandbox.registry.index import IndexEntry, version_key
from pt_tui.sandbox.registry.lockfile import read_lockfile
from pt_tui.sandbox.registry.scan import ScanReport, scan_plugin
from pt_tui.sandbox.registry.store import Current, Pointer, Store
from pt_tui.sandbox.registry.trustpolicy import ReviewTrustPolicy
from pt_tui.sandbox.trust import TrustDecision


class LiveSwap(Protocol):
    """The running process's plugin manager, as the registry layer drives it."""

    def swap(self, name: str, folder: Path, *, sha256: str, action: str) -> None:
        """Load ``folder`` as plugin ``name`` in place of the running version (or as a new one)."""

    def remove(self, name: str, *, action: str) -> None:
        """Unload ``name`` (after an uninstall)."""


@dataclass(frozen=True)
class Change:
    """One change to the installed set: what it was and what it is now."""

    action: str  # install | update | promote | rollback | uninstall | unchanged
    name: str
    old: str | None  # "version (tier)" before, None when it was not installed
    new: str | None  # after, None when removed
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "name": self.name,
            "old": self.old,
            "new": self.new,
            "detail": self.detail,
        }

    def __str__(self) -> str:
        what = {
            "install": f"installed {self.name} {self.new}",
            "update": f"updated {self.name} {self.old} -> {self.new}",
            "promote": f"promoted {self.name} {self.old} -> {self.new}",
            "rollback": f"rolled {self.name} back {self.old} -> {self.new}",
            "uninstall": f"uninstalled {self.name} {self.old}",
        }.get(self.action, f"{self.name} {self.new}: unchanged")
        return f"{what}{f' ({self.detail})' if self.detail else ''}"


def _label(pointer: Pointer | None) -> str | None:
    return None if pointer is None else f"{pointer.version} ({pointer.tier})"


@dataclass
class Promotion:
    """What ``promote`` found: the scans, the trust decision, and the change if it went ahead."""

    name: str
    version: str
    sha256: str
    scans: list[ScanReport]
    decision: TrustDecision
    change: Change | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "sha256": self.sha256,
            "scans": [s.as_dict() for s in self.scans],
            "decision": msgspec.to_builtins(self.decision),
            "change": self.change.as_dict() if self.change else None,
        }


@dataclass
class RegistryService:
    config: RegistryConfig = field(default_factory=load_config)
    store: Store = field(default_factory=Store)
    live: LiveSwap | None = None
    on_change: Callable[[Change], None] | None = None  # events for a dashboard
    _catalog: Catalog | None = None

    # --- reading ---------------------------------------------------------------------------------
    @property
    def catalog(self) -> Catalog:
        if self._catalog is None:
            self._catalog = Catalog.load(self.config)
        return self._catalog

    def reload(self) -> None:
        self._catalog = None

    def trust_policy(self) -> ReviewTrustPolicy:
        return ReviewTrustPolicy(self.catalog)

    def info(self, spec: str) -> dict[str, Any]:
        name, version = parse_spec(spec)
        offer = self.catalog.find(name, version)
        entry = offer.entry
        data: dict[str, Any] = msgspec.to_builtins(entry)
        data["registry"] = offer.registry
        data["commit"] = offer.snapshot.sha
        data["versions"] = sorted({o.entry.version for o in self.catalog.offers(name)}, key=version_key)
        data["shadowed"] = [f"{o.registry}@{o.snapshot.sha[:12]}" for o in self.catalog.shadowed(offer)]
        policy = self.trust_policy()
        trust: dict[str, Any] = {}
        for kind, artifact in entry.artifacts.items():
            decision = policy.check(entry.name, entry.version, artifact.sha256)
            trust[kind] = msgspec.to_builtins(decision)
        data["trust"] = trust
        state = self.store.current(name)
        data["installed"] = _label(state.current) if state else None
        return data

    # --- changes ---------------------------------------------------------------------------------
    def _emit(self, change: Change) -> Change:
        if self.on_change is not None:
            self.on_change(change)
        return change

    def _apply_live(self, state: Current, action: str) -> str:
        """Hot-swap the running process; returns "" or why the running version stayed (the change on
        disk is done either way, and the manager records the failure in its events)."""
        if self.live is None:
            return ""
        try:
            pointer, folder = self.store.check_load(state.current.name)
            self.live.swap(pointer.name, folder, sha256=pointer.sha256, action=action)
        except PluginError as exc:
            return f"not swapped into the running process: {exc}"
        return ""

    def _install_offer(self, offer: Offer, *, tier: str | None = None, action: str = "install") -> Change:
        entry = offer.entry
        old = self.store.current(entry.name)
        wanted = tier
        tier = tier or entry.default_tier
        if old is not None and self._same(old.current, entry, wanted or old.current.tier, offer.snapshot.sha):
            return Change("unchanged", entry.name, _label(old.current), _label(old.current))
        if tier == "native" and entry.default_tier != "native":
            raise RegistryError(f"{entry.spec}: install it, then `pt-tui plugin promote {entry.name}`")
        files = offer.snapshot.folder_files(entry.path, f"{offer.registry}:{entry.spec}")
        state = self.store.install(
            entry,
            files,
            tier=tier,
            registry=offer.registry,
            url=offer.snapshot.source.url,
            commit=offer.snapshot.sha,
        )
        if old is not None and action == "install":
            action = "update" if version_key(entry.version) > version_key(old.current.version) else "install"
        detail = self._apply_live(state, action)
        return self._emit(
            Change(action, entry.name, _label(old.current) if old else None, _label(state.current), detail)
        )

    def _same(self, pointer: Pointer, entry: IndexEntry, tier: str, commit: str) -> bool:
        """Already installed from that commit, at that tier, and intact."""
        same = (pointer.version, pointer.tier, pointer.commit) == (entry.version, tier, commit)
        return same and not self.store.verify(pointer)

    def install(self, spec: str) -> Change:
        name, version = parse_spec(spec)
        return self._install_offer(self.catalog.find(name, version))

    def update(self, name: str | None = None) -> list[Change]:
        """Move installed plugins to the newest version their registries offer (at the pinned commits)."""
        names = [name] if name else [s.current.name for s in self.store.installed()]
        changes: list[Change] = []
        for plugin in names:
            state = self.store.require(plugin)
            if not self.catalog.offers(plugin) and name is None:
                detail = "in no configured registry"
                changes.append(
                    Change("unchanged", plugin, _label(state.current), _label(state.current), detail)
                )
                continue
            offer = self.catalog.find(plugin)
            if version_key(offer.entry.version) <= version_key(state.current.version):
                changes.append(Change("unchanged", plugin, _label(state.current), _label(state.current)))
                continue
            changes.append(self._install_offer(offer, action="update"))
        return changes

    def uninstall(self, name: str) -> Change:
        state = self.store.uninstall(name)
        if self.live is not None:
            self.live.remove(name, action="uninstall")
        return self._emit(Change("uninstall", name, _label(state.current), None))

    def rollback(self, name: str) -> Change:
        before = self.store.require(name)
        state = self.store.rollback(name)
        detail = self._apply_live(state, "rollback")
        return self._emit(Change("rollback", name, _label(before.current), _label(state.current), detail))

    def _source_for(self, url: str, name: str) -> RegistrySource:
        """The configured registry with that URL, else one read from (or fetched into) the cache."""
        found = next((s for s in self.config.registries if s.url == url), None)
        return found if found is not None else RegistrySource(name=name, url=url)

    def install_locked(self, lockfile: Path | None = None) -> list[Change]:
        """Reproduce a lockfile exactly: same versions, tiers, sha256s, from the same registry commits."""
        lock = read_lockfile(lockfile or self.store.lockfile)
        changes: list[Change] = []
        for item in lock.plugin:
            snap = fetch_commit(self._source_for(item.url, item.registry), item.commit)
            entry = _entry_in(snap, item.name, item.version)
            found = entry.artifact_for(item.tier) if item.tier != "core" else None
            if found is None:
                raise RegistryError(f"{entry.spec}: no {item.tier} artifact at {item.commit[:12]}")
            if found[1].sha256 != item.sha256:
                raise SHA256Mismatch(
                    f"{entry.spec} ({item.tier}) in the lockfile", item.sha256, found[1].sha256
                )
            offer = Offer(entry, snap)
            if item.tier == "native" and entry.default_tier != "native":
                self._install_offer(offer, tier=entry.default_tier)
                promotion = self.promote(item.name)
                if promotion.change is None:
                    raise RegistryError(f"{entry.spec}: locked as native but {promotion.decision.reason}")
                changes.append(promotion.change)
            else:
                changes.append(self._install_offer(offer, tier=item.tier))
        wanted = {p.name for p in lock.plugin}
        for state in self.store.installed():
            if state.current.name not in wanted:
                changes.append(self.uninstall(state.current.name))
        return changes

    # --- integrity -------------------------------------------------------------------------------
    def verify(self) -> list[str]:
        """Re-hash every installed artifact against its install record, the lockfile and the index."""
        problems: list[str] = []
        lock = read_lockfile(self.store.lockfile)
        for state in self.store.installed():
            p = state.current
            problems += self.store.verify(p)
            locked = lock.get(p.name)
            if locked is None:
                problems.append(f"{p.name}: installed but not in the lockfile {self.store.lockfile}")
            elif locked.sha256 != p.sha256:
                problems.append(
                    str(SHA256Mismatch(f"{p.name}: lockfile vs installed", locked.sha256, p.sha256))
                )
            try:
                entry = _entry_in(
                    fetch_commit(self._source_for(p.url, p.registry), p.commit), p.name, p.version
                )
            except RegistryError as exc:
                problems.append(f"{p.name}: {exc}")
                continue
            for kind, artifact in entry.artifacts.items():
                have = p.artifacts.get(kind)
                if have is not None and have != artifact.sha256:
                    problems.append(
                        str(SHA256Mismatch(f"{p.name} {kind}: index vs installed", artifact.sha256, have))
                    )
        for name in {p.name for p in lock.plugin} - {s.current.name for s in self.store.installed()}:
            problems.append(f"{name}: in the lockfile but not installed")
        return problems

    # --- promotion -------------------------------------------------------------------------------
    def promote(self, name: str, *, dry_run: bool = False) -> Promotion:
        """WASM -> native: scan, check the reviews for the native artifact's sha256, then swap.

        Returns the scans and the decision; ``change`` is None when the gate refused (or dry run).
        """
        state = self.store.require(name)
        pointer = state.current
        if pointer.tier == "native":
            raise RegistryError(f"{name} {pointer.version} already runs native")
        native_sha = pointer.artifacts.get("native")
        if native_sha is None:
            raise RegistryError(f"{name} {pointer.version} has no native build to promote to")
        folder = self.store.folder(pointer)
        problems = self.store.verify(pointer)
        if problems:
            raise RegistryError(problems[0])
        manifest = load_manifest(folder)
        scans = scan_plugin(folder, manifest)
        decision = self.trust_policy().check(name, pointer.version, native_sha)
        promotion = Promotion(name, pointer.version, native_sha, scans, decision)
        if dry_run or not decision.approved:
            return promotion
        files = _promoted_files(folder)
        entry = _pointer_entry(pointer, manifest.artifact.native or "", manifest.artifact.wasm or "")
        new = self.store.install(
            entry, files, tier="native", registry=pointer.registry, url=pointer.url, commit=pointer.commit
        )
        grants = Grants()  # the reviewed native build keeps what the user granted to its wasm build
        granted = grants.granted(pointer.sha256) & manifest.capabilities
        if granted:
            grants.grant(native_sha, granted, plugin=name)
        live = self._apply_live(new, "promote")
        reason = f"{decision.reason}; {live}" if live else decision.reason
        promotion.change = self._emit(Change("promote", name, _label(pointer), _label(new.current), reason))
        return promotion

    # --- grants ----------------------------------------------------------------------------------
    def grant(self, name: str, capabilities: list[str], *, revoke: bool = False) -> frozenset[Capability]:
        """Grant (or revoke) capabilities to the installed artifact of ``name`` (keyed by its sha256)."""
        pointer = self.store.require(name).current
        caps = [parse_capability(name, c) for c in capabilities]
        grants = Grants()
        if revoke:
            return grants.revoke(pointer.sha256, caps or None)
        declared = load_manifest(self.store.folder(pointer)).capabilities
        undeclared = [c.value for c in caps if c not in declared]
        if undeclared:
            raise RegistryError(f"{name} does not declare {', '.join(undeclared)}")
        return grants.grant(pointer.sha256, caps or declared, plugin=name)


def _entry_in(snap: Snapshot, name: str, version: str) -> IndexEntry:
    for entry in snap.entries()[0]:
        if (entry.name, entry.version) == (name, version):
            return entry
    raise RegistryError(f"{name}@{version} is not in {snap.source.name} at {snap.sha[:12]}")


def _promoted_files(folder: Path) -> list[tuple[str, bytes, bool]]:
    """The installed folder's files, with ``tier = "native"`` in its manifest."""
    files: list[tuple[str, bytes, bool]] = []
    for path in sorted(folder.rglob("*")):
        rel_parts = path.relative_to(folder).parts
        if (
            not path.is_file()
            or path.is_symlink()
            or any(p.startswith(".") or p == "__pycache__" for p in rel_parts)
        ):
            continue
        rel = path.relative_to(folder).as_posix()
        data = path.read_bytes()
        if rel == MANIFEST_FILE:
            doc = tomlkit.parse(data.decode("utf-8"))
            doc["tier"] = "native"
            data = tomlkit.dumps(doc).encode("utf-8")
            tomllib.loads(data.decode("utf-8"))
        files.append((rel, data, bool(path.stat().st_mode & 0o111)))
    return files


def _pointer_entry(pointer: Pointer, native: str, wasm: str) -> IndexEntry:
    """An index entry describing an installed wasm plugin's artifacts (to re-install it as native)."""
    artifacts: dict[str, Any] = {}
    for kind, rel in (("native", native), ("wasm", wasm)):
        if kind in pointer.artifacts and rel:
            artifacts[kind] = {"path": rel, "sha256": pointer.artifacts[kind], "size": 0}
    return msgspec.convert(
        {
            "name": pointer.name,
            "version": pointer.version,
            "path": ".",
            "tiers": ["wasm", "native"],
            "artifacts": artifacts,
        },
        IndexEntry,
    )
