"""The registry index format: ``index/<name>/<version>.toml``, one file per plugin version.

Each file is validated with msgspec; a malformed one becomes an :class:`EntryError` naming the file
and the key, and the rest of the index still works. See docs/registry.md for the format.
"""

from __future__ import annotations

import re
import tomllib
from typing import Literal

import msgspec

from pt_tui.sandbox.api import Capability, PerformanceBudget
from pt_tui.sandbox.registry.errors import EntryError

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
SEMVER_RE = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?(?:\+([0-9A-Za-z.-]+))?$"
)
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")

Tier = Literal["wasm", "native", "core"]
ArtifactKind = Literal["wasm", "native", "python"]
Verdict = Literal["approve", "reject"]


class Artifact(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One file of a plugin: ``path`` is relative to the entry's plugin folder."""

    path: str
    sha256: str
    size: int


class Artifacts(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    wasm: Artifact | None = None  # the WASM module
    native: Artifact | None = None  # the same source built as a host shared library (promotion target)
    python: Artifact | None = None  # a native Python plugin's entry module

    def items(self) -> list[tuple[ArtifactKind, Artifact]]:
        out: list[tuple[ArtifactKind, Artifact]] = []
        if self.wasm is not None:
            out.append(("wasm", self.wasm))
        if self.native is not None:
            out.append(("native", self.native))
        if self.python is not None:
            out.append(("python", self.python))
        return out


class Review(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A signed statement over (name, version, sha256, verdict); see :mod:`.reviews`."""

    reviewer: str  # key id: the first 16 hex digits of sha256(raw ed25519 public key)
    verdict: Verdict
    sha256: str  # the artifact the review covers
    signature: str  # base64 of the ed25519 signature over the canonical bytes


class IndexEntry(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    name: str
    version: str
    path: str  # the plugin folder in the repository (plugin.toml + artifacts)
    tiers: tuple[Tier, ...]
    artifacts: Artifacts
    description: str = ""
    authors: tuple[str, ...] = ()
    license: str = ""
    abi_version: int | None = None
    capabilities: tuple[Capability, ...] = ()
    budget: PerformanceBudget = PerformanceBudget()
    query_types: tuple[str, ...] = ()
    reviews: tuple[Review, ...] = ()

    @property
    def spec(self) -> str:
        return f"{self.name}@{self.version}"

    def artifact_for(self, tier: str) -> tuple[ArtifactKind, Artifact] | None:
        """The artifact a tier loads: wasm -> the module; native -> the shared library or Python entry."""
        if tier == "wasm" and self.artifacts.wasm is not None:
            return "wasm", self.artifacts.wasm
        if tier == "native":
            if self.artifacts.native is not None:
                return "native", self.artifacts.native
            if self.artifacts.python is not None:
                return "python", self.artifacts.python
        return None

    @property
    def default_tier(self) -> Tier:
        """The tier an install starts on: wasm when there is a module (promotion moves it to native)."""
        return "wasm" if "wasm" in self.tiers else self.tiers[0]


def version_key(version: str) -> tuple[int, int, int, int, str]:
    """Semver ordering (a pre-release sorts before its release)."""
    match = SEMVER_RE.match(version)
    if match is None:
        return (-1, -1, -1, -1, version)
    major, minor, patch, pre, _build = match.groups()
    return (int(major), int(minor), int(patch), 0 if pre else 1, pre or "")


def _path_loc(path: str) -> str:
    # msgspec reports `$.artifacts.wasm.sha256` / `$.reviews[0]`: show it as a TOML key
    return path.removeprefix("$").removeprefix(".") or "(top level)"


def parse_entry(data: bytes, source: str) -> IndexEntry:
    """Decode and check one index file; raise :class:`EntryError` naming ``source`` and the key."""
    try:
        raw = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise EntryError(source, "", f"not UTF-8: {exc.reason}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise EntryError(source, "", f"invalid TOML: {exc}") from exc
    try:
        entry = msgspec.convert(raw, IndexEntry, strict=False)
    except msgspec.ValidationError as exc:
        message, _, loc = str(exc).partition(" - at `")
        key = _path_loc(loc.rstrip("`")) if loc else ""
        for prefix, text in (
            ("Object contains unknown field `", "unknown key"),
            ("Object missing required field `", "missing required key"),
        ):
            if message.startswith(prefix):
                field = message.split("`")[1]
                key = f"{key}.{field}" if key else field
                message = text
        raise EntryError(source, key, message) from exc
    _check(entry, source)
    return entry


def _check(entry: IndexEntry, source: str) -> None:
    if not NAME_RE.match(entry.name):
        raise EntryError(source, "name", f"invalid plugin name {entry.name!r}")
    if not SEMVER_RE.match(entry.version):
        raise EntryError(source, "version", f"not a semantic version: {entry.version!r}")
    if not entry.tiers:
        raise EntryError(source, "tiers", "at least one tier is needed")
    if not entry.artifacts.items():
        raise EntryError(source, "artifacts", "no artifact")
    for kind, artifact in entry.artifacts.items():
        if not SHA256_RE.match(artifact.sha256):
            raise EntryError(source, f"artifacts.{kind}.sha256", "not a lowercase hex sha256")
        if artifact.size < 0:
            raise EntryError(source, f"artifacts.{kind}.size", "negative")
    for tier in entry.tiers:
        if tier != "core" and entry.artifact_for(tier) is None:
            raise EntryError(source, "artifacts", f"no artifact for tier {tier!r}")
    if "wasm" in entry.tiers:
        bad = [c.value for c in entry.capabilities if not c.wasm_allowed]
        if bad and "native" not in entry.tiers:
            raise EntryError(source, "capabilities", f"not allowed in the wasm tier: {', '.join(bad)}")
    for i, review in enumerate(entry.reviews):
        if not SHA256_RE.match(review.sha256):
            raise EntryError(source, f"reviews[{i}].sha256", "not a lowercase hex sha256")


def entry_filename(name: str, version: str) -> str:
    return f"index/{name}/{version}.toml"
