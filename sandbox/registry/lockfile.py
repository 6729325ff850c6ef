"""``pt-tui.lock``: what is installed, pinned to the registry commit it came from.

The lockfile lives in the config dir (next to ``registries.toml``); commands that read one from
elsewhere (``install --locked --lockfile PATH``) take a path. It is always rewritten whole and
atomically, from the installed plugins' ``current.toml`` pointers (the source of truth), so a process
killed between the two writes leaves a lockfile that the next command brings back in line.
"""

from __future__ import annotations

from pathlib import Path

import msgspec
import tomlkit

from pt_tui.sandbox.registry.errors import RegistryError
from pt_tui.sandbox.registry.paths import lockfile_path, write_atomic

LOCK_VERSION = 1
HEADER = (
    "pt-tui.lock: installed plugins pinned to their registry commit. Written by pt-tui;\n"
    "`pt-tui plugin install --locked` reproduces exactly this set."
)


class LockedPlugin(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    name: str
    version: str
    tier: str  # the tier it runs in (native after a promotion)
    sha256: str  # the artifact of that tier
    registry: str  # the registry's name when it was installed
    url: str
    commit: str
    artifacts: dict[str, str] = {}  # every artifact of the entry: kind -> sha256


class Lockfile(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    lock_version: int = LOCK_VERSION
    plugin: list[LockedPlugin] = []

    def get(self, name: str) -> LockedPlugin | None:
        return next((p for p in self.plugin if p.name == name), None)


def read_lockfile(path: Path | None = None) -> Lockfile:
    path = path or lockfile_path()
    if not path.exists():
        return Lockfile()
    try:
        raw = tomlkit.parse(path.read_text(encoding="utf-8")).unwrap()
        lock = msgspec.convert(raw, Lockfile)
    except (OSError, UnicodeDecodeError, tomlkit.exceptions.ParseError, msgspec.ValidationError) as exc:
        raise RegistryError(f"{path}: invalid lockfile: {exc}") from exc
    if lock.lock_version != LOCK_VERSION:
        raise RegistryError(
            f"{path}: lock_version {lock.lock_version} is not supported (expected {LOCK_VERSION})"
        )
    return lock


def dump_lockfile(lock: Lockfile) -> bytes:
    doc = tomlkit.document()
    for line in HEADER.splitlines():
        doc.add(tomlkit.comment(line))
    doc["lock_version"] = lock.lock_version
    plugins = tomlkit.aot()
    for item in sorted(lock.plugin, key=lambda p: p.name):
        table = tomlkit.table()
        for key, value in msgspec.to_builtins(item).items():
            if key == "artifacts":
                inline = tomlkit.inline_table()
                inline.update(dict(sorted(value.items())))
                table[key] = inline
            else:
                table[key] = value
        plugins.append(table)
    if len(plugins):
        doc["plugin"] = plugins
    return tomlkit.dumps(doc).encode("utf-8")


def write_lockfile(lock: Lockfile, path: Path | None = None) -> Path:
    path = path or lockfile_path()
    data = dump_lockfile(lock)
    if path.exists() and path.read_bytes() == data:
        return path
    write_atomic(path, data)
    return path
