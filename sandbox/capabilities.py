"""Capability grants, per artifact sha256, in ``grants.toml`` in the user's config dir.

A plugin gets a capability only if its manifest declares it *and* the user granted it for exactly
that artifact (a changed artifact asks again). The file is rewritten atomically with tomlkit, so the
user's comments survive::

    [grants.3f5a...e1]            # the artifact's sha256
    plugin = "dead-code"          # for the reader only
    capabilities = ["graph.read", "log"]
"""

from __future__ import annotations

import threading
import tomllib
from collections.abc import Iterable
from pathlib import Path

import tomlkit

from pt_tui.sandbox.api import Capability
from pt_tui.sandbox.configdir import config_dir, write_atomic
from pt_tui.sandbox.errors import CapabilityRefused, PluginError

GRANTS_FILE = "grants.toml"
_HEADER = "pt-tui capability grants, keyed by artifact sha256 (`pt-tui plugin grant` / `revoke`)."


def grants_path() -> Path:
    return config_dir() / GRANTS_FILE


def parse_capability(plugin: str, value: str) -> Capability:
    try:
        return Capability(value)
    except ValueError:
        known = ", ".join(c.value for c in Capability)
        raise CapabilityRefused(plugin, value, f"unknown capability (known: {known})") from None


class Grants:
    """The grants file. Reads are cached and refreshed when the file changes on disk."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path if path is not None else grants_path()
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._table: dict[str, tuple[str, frozenset[Capability]]] = {}

    def _refresh(self) -> None:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            self._stamp, self._table = None, {}
            return
        stamp = (st.st_mtime_ns, st.st_size)
        if stamp == self._stamp:
            return
        try:
            data = tomllib.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise PluginError(f"{self.path}: unreadable grants file: {exc}") from None
        table: dict[str, tuple[str, frozenset[Capability]]] = {}
        grants = data.get("grants", {})
        if not isinstance(grants, dict):
            raise PluginError(f"{self.path}: grants: expected a table")
        for sha, entry in grants.items():
            caps = entry.get("capabilities", []) if isinstance(entry, dict) else None
            if not isinstance(caps, list):
                raise PluginError(f"{self.path}: grants.{sha}.capabilities: expected a list")
            plugin = str(entry.get("plugin", ""))
            known = frozenset(Capability(c) for c in caps if c in Capability.__members__.values())
            table[sha] = (plugin, known)
        self._stamp, self._table = stamp, table

    def granted(self, sha256: str) -> frozenset[Capability]:
        with self._lock:
            self._refresh()
            entry = self._table.get(sha256)
        return entry[1] if entry else frozenset()

    def entries(self) -> dict[str, tuple[str, frozenset[Capability]]]:
        """sha256 -> (plugin name, granted capabilities)."""
        with self._lock:
            self._refresh()
            return dict(self._table)

    def grant(
        self, sha256: str, capabilities: Iterable[Capability], *, plugin: str = ""
    ) -> frozenset[Capability]:
        """Add grants for an artifact; returns everything now granted to it."""
        return self._update(sha256, plugin, add=frozenset(capabilities), remove=None)

    def revoke(self, sha256: str, capabilities: Iterable[Capability] | None = None) -> frozenset[Capability]:
        """Remove some grants of an artifact (all of them when ``capabilities`` is None)."""
        remove = None if capabilities is None else frozenset(capabilities)
        return self._update(
            sha256, "", add=frozenset(), remove=remove if remove is not None else frozenset(Capability)
        )

    def _update(
        self, sha256: str, plugin: str, *, add: frozenset[Capability], remove: frozenset[Capability] | None
    ) -> frozenset[Capability]:
        with self._lock:
            self._refresh()
            try:
                text = self.path.read_text(encoding="utf-8")
            except FileNotFoundError:
                text = ""
            doc = tomlkit.parse(text) if text else tomlkit.document()
            if not text:
                doc.add(tomlkit.comment(_HEADER))
            grants = doc.get("grants")
            if grants is None:
                grants = tomlkit.table(is_super_table=True)
                doc["grants"] = grants
            old_plugin, old = self._table.get(sha256, ("", frozenset()))
            now = (old | add) - (remove or frozenset())
            if now:
                entry = tomlkit.table()
                entry["plugin"] = plugin or old_plugin
                entry["capabilities"] = sorted(c.value for c in now)
                grants[sha256] = entry
            elif sha256 in grants:
                del grants[sha256]
            write_atomic(self.path, tomlkit.dumps(doc).encode("utf-8"))
            self._stamp = None
            self._refresh()
        return now


def resolve_grants(
    plugin: str, tier: str, declared: frozenset[Capability], granted: frozenset[Capability]
) -> frozenset[Capability]:
    """The capabilities a plugin may use, or :class:`CapabilityRefused` naming the first one missing."""
    for cap in sorted(declared):
        if tier == "wasm" and not cap.wasm_allowed:
            raise CapabilityRefused(plugin, cap.value, "never granted to a wasm plugin")
        if cap not in granted:
            raise CapabilityRefused(plugin, cap.value, "declared but not granted (pt-tui plugin grant)")
    return declared


def require(
    plugin: str, capability: Capability, declared: frozenset[Capability], granted: frozenset[Capability]
) -> None:
    """Refuse a use of ``capability`` the plugin did not declare or was not granted."""
    if capability not in declared:
        raise CapabilityRefused(plugin, capability.value, "not declared in plugin.toml")
    if capability not in granted:
        raise CapabilityRefused(plugin, capability.value, "not granted for this artifact")
