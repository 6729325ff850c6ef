"""The user's registry configuration: ``registries.toml`` in the config dir, written atomically.

Registries are kept in order: the first one listed wins when two offer the same ``name@version``.
Each records the commit every read is pinned to (moved by ``registry update``). Trusted reviewer keys
and the number of approving reviews a promotion needs live in the same file. tomlkit keeps the
user's comments and layout when the file is rewritten.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.items import AoT, Table

from pt_tui.sandbox.registry.errors import RegistryError
from pt_tui.sandbox.registry.paths import config_file, write_atomic

REGISTRY_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
DEFAULT_REQUIRED_REVIEWS = 2

HEADER = (
    "pt-tui plugin registries. The first registry listed wins for the same name@version.\n"
    "`commit` is the commit every read is pinned to; `pt-tui plugin registry update` moves it."
)


@dataclass
class RegistrySource:
    name: str
    url: str
    branch: str = ""  # empty: the repository's default branch (HEAD)
    commit: str = ""  # the pinned commit ("" until the first fetch)


@dataclass
class TrustedReviewer:
    name: str
    public_key: str  # base64 of the raw 32-byte ed25519 public key


@dataclass
class RegistryConfig:
    registries: list[RegistrySource] = field(default_factory=list)
    reviewers: list[TrustedReviewer] = field(default_factory=list)
    required_reviews: int = DEFAULT_REQUIRED_REVIEWS
    path: Path | None = None
    _doc: tomlkit.TOMLDocument | None = None

    def get(self, name: str) -> RegistrySource:
        for source in self.registries:
            if source.name == name:
                return source
        raise RegistryError(f"no registry named {name!r} (see `pt-tui plugin registry list`)")

    def add(self, name: str, url: str, *, branch: str = "") -> RegistrySource:
        if not REGISTRY_NAME_RE.match(name):
            raise RegistryError(f"invalid registry name {name!r}: letters, digits, '_', '.', '-'")
        if any(s.name == name for s in self.registries):
            raise RegistryError(f"a registry named {name!r} already exists")
        source = RegistrySource(name=name, url=url, branch=branch)
        self.registries.append(source)
        return source

    def remove(self, name: str) -> RegistrySource:
        source = self.get(name)
        self.registries.remove(source)
        return source

    def trust(self, name: str, public_key: str) -> None:
        self.reviewers = [r for r in self.reviewers if r.public_key != public_key and r.name != name]
        self.reviewers.append(TrustedReviewer(name=name, public_key=public_key))

    def untrust(self, name_or_key: str) -> bool:
        before = len(self.reviewers)
        self.reviewers = [r for r in self.reviewers if name_or_key not in (r.name, r.public_key)]
        return len(self.reviewers) != before


def _str(table: dict[str, Any], key: str, where: str, default: str | None = None) -> str:
    value = table.get(key, default)
    if not isinstance(value, str):
        raise RegistryError(f"{where}: {key}: expected a string")
    return value


def load_config(path: Path | None = None) -> RegistryConfig:
    """Read the configuration (an empty one if the file does not exist)."""
    path = path or config_file()
    if not path.exists():
        return RegistryConfig(path=path)
    try:
        doc = tomlkit.parse(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomlkit.exceptions.ParseError) as exc:
        raise RegistryError(f"{path}: cannot read: {exc}") from exc
    raw = doc.unwrap()
    config = RegistryConfig(path=path, _doc=doc)
    required = raw.get("required_reviews", DEFAULT_REQUIRED_REVIEWS)
    if not isinstance(required, int) or isinstance(required, bool) or required < 1:
        raise RegistryError(f"{path}: required_reviews: expected an integer >= 1")
    config.required_reviews = required
    for i, item in enumerate(raw.get("registry", [])):
        where = f"{path}: registry[{i}]"
        if not isinstance(item, dict):
            raise RegistryError(f"{where}: expected a table")
        config.registries.append(
            RegistrySource(
                name=_str(item, "name", where),
                url=_str(item, "url", where),
                branch=_str(item, "branch", where, ""),
                commit=_str(item, "commit", where, ""),
            )
        )
    for i, item in enumerate(raw.get("reviewer", [])):
        where = f"{path}: reviewer[{i}]"
        if not isinstance(item, dict):
            raise RegistryError(f"{where}: expected a table")
        config.reviewers.append(
            TrustedReviewer(name=_str(item, "name", where), public_key=_str(item, "public_key", where))
        )
    return config


def save_config(config: RegistryConfig) -> Path:
    """Write the configuration atomically, keeping the comments of the file it was read from."""
    path = config.path or config_file()
    doc = config._doc if config._doc is not None else tomlkit.document()
    if config._doc is None:
        for line in HEADER.splitlines():
            doc.add(tomlkit.comment(line))
    doc["required_reviews"] = config.required_reviews
    registries = AoT([])
    for source in config.registries:
        table: Table = tomlkit.table()
        table["name"] = source.name
        table["url"] = source.url
        if source.branch:
            table["branch"] = source.branch
        table["commit"] = source.commit
        registries.append(table)
    reviewers = AoT([])
    for reviewer in config.reviewers:
        table = tomlkit.table()
        table["name"] = reviewer.name
        table["public_key"] = reviewer.public_key
        reviewers.append(table)
    for key, value in (("registry", registries), ("reviewer", reviewers)):
        if key in doc:
            del doc[key]
        if len(value):
            doc[key] = value
    write_atomic(path, tomlkit.dumps(doc).encode("utf-8"))
    config.path = path
    config._doc = doc
    return path
