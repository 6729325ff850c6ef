"""All configured registries, each read at its pinned commit, with precedence by order.

The first registry listed wins for the same ``name@version``; a later one's copy is reported as
shadowed by ``info``. Malformed entries are collected (file + key) and skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pt_tui.sandbox.registry.config import RegistryConfig, RegistrySource, load_config, save_config
from pt_tui.sandbox.registry.errors import EntryError, RegistryError
from pt_tui.sandbox.registry.gitrepo import Snapshot, fetch, normalize_url, remove_cache, snapshot
from pt_tui.sandbox.registry.index import IndexEntry, version_key


@dataclass(frozen=True)
class Offer:
    """One entry as offered by one registry snapshot."""

    entry: IndexEntry
    snapshot: Snapshot

    @property
    def registry(self) -> str:
        return self.snapshot.source.name


@dataclass
class Catalog:
    config: RegistryConfig
    snapshots: list[Snapshot] = field(default_factory=list)
    errors: list[RegistryError] = field(default_factory=list)  # unreadable registries, malformed entries

    @classmethod
    def load(cls, config: RegistryConfig | None = None) -> Catalog:
        """Read every registry from the cache at its pinned commit (no network)."""
        config = config or load_config()
        catalog = cls(config=config)
        for source in config.registries:
            try:
                snap = snapshot(source)
            except RegistryError as exc:
                catalog.errors.append(exc)
                continue
            catalog.snapshots.append(snap)
            catalog.errors.extend(snap.entries()[1])
        return catalog

    @property
    def entry_errors(self) -> list[EntryError]:
        return [e for e in self.errors if isinstance(e, EntryError)]

    def offers(self, name: str | None = None) -> list[Offer]:
        """Every offer in precedence order (registry order, then newest version first)."""
        out: list[Offer] = []
        for snap in self.snapshots:
            entries = [e for e in snap.entries()[0] if name is None or e.name == name]
            entries.sort(key=lambda e: version_key(e.version), reverse=True)
            out.extend(Offer(e, snap) for e in entries)
        return out

    def winners(self) -> list[Offer]:
        """One offer per name@version: the first registry's."""
        seen: set[tuple[str, str]] = set()
        out: list[Offer] = []
        for offer in self.offers():
            key = (offer.entry.name, offer.entry.version)
            if key not in seen:
                seen.add(key)
                out.append(offer)
        return out

    def find(self, name: str, version: str | None = None) -> Offer:
        """The offer for ``name@version`` (the newest version when None), by precedence."""
        offers = self.offers(name)
        if not offers:
            raise RegistryError(f"no plugin named {name!r} in any registry (try `pt-tui plugin search`)")
        if version is None:
            newest = max(offers, key=lambda o: version_key(o.entry.version)).entry.version
            version = newest
        for offer in offers:
            if offer.entry.version == version:
                return offer
        known = ", ".join(sorted({o.entry.version for o in offers}, key=version_key))
        raise RegistryError(f"{name}@{version} is in no registry (versions: {known})")

    def shadowed(self, offer: Offer) -> list[Offer]:
        """Copies of the same name@version in later registries, hidden by ``offer``."""
        return [
            o
            for o in self.offers(offer.entry.name)
            if o.entry.version == offer.entry.version and o.snapshot is not offer.snapshot
        ]

    def search(self, text: str = "") -> list[Offer]:
        """The newest winning version of each plugin whose name, description or verbs match ``text``."""
        needle = text.lower()
        best: dict[str, Offer] = {}
        for offer in self.winners():
            e = offer.entry
            haystack = " ".join((e.name, e.description, *e.query_types)).lower()
            if needle and needle not in haystack:
                continue
            held = best.get(e.name)
            if held is None or version_key(e.version) > version_key(held.entry.version):
                best[e.name] = offer
        return [best[n] for n in sorted(best)]


def parse_spec(spec: str) -> tuple[str, str | None]:
    """``name`` or ``name@version``."""
    name, sep, version = spec.partition("@")
    if sep and not version:
        raise RegistryError(f"{spec!r}: give a version after '@'")
    return name, (version or None)


def add_registry(config: RegistryConfig, name: str, url: str, *, branch: str = "") -> RegistrySource:
    """Add a registry, fetch it and pin its commit; the config is saved only if the fetch worked."""
    source = config.add(name, normalize_url(url), branch=branch)
    try:
        source.commit = fetch(source)
    except RegistryError:
        config.registries.remove(source)
        raise
    save_config(config)
    return source


def update_registries(config: RegistryConfig, name: str | None = None) -> list[tuple[str, str, str, str]]:
    """Fetch one or every registry and move its pin: (name, old commit, new commit, error or "")."""
    sources = [config.get(name)] if name else list(config.registries)
    results: list[tuple[str, str, str, str]] = []
    for source in sources:
        old = source.commit
        try:
            source.commit = fetch(source)
            results.append((source.name, old, source.commit, ""))
        except RegistryError as exc:
            results.append((source.name, old, old, str(exc)))
    save_config(config)
    return results


def remove_registry(config: RegistryConfig, name: str) -> RegistrySource:
    source = config.remove(name)
    save_config(config)
    remove_cache(source)
    return source
