"""``plugin.toml``: the strict, typed manifest every plugin folder holds.

:func:`load_manifest` either returns a fully validated :class:`Manifest` or raises
:class:`ManifestKeyError` (a :class:`ManifestError`) whose message names the offending key
(``budget.max_query_time_us: 2000 is over the wasm ceiling of 850``). There is no partial result.

Artifacts are identified by sha256 (:func:`artifact_sha256`): the file's bytes for a ``.wasm`` or a
shared library, and for a Python plugin a hash over its folder's files in a canonical order
(:func:`tree_sha256`). Grants and trust decisions are keyed by that digest.
"""

from __future__ import annotations

import hashlib
import math
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Final, Literal

import msgspec
import msgspec.inspect

from pt_tui.sandbox.api import Capability, ParamSpec, PerformanceBudget, PluginCapabilities, QueryType
from pt_tui.sandbox.ceilings import CEILINGS, Tier
from pt_tui.sandbox.errors import ManifestError

MANIFEST_FILE: Final = "plugin.toml"
#: ABI versions of the WASM / shared-library bulk ABI this host speaks (docs/plugin-abi.md).
SUPPORTED_ABI_VERSIONS: Final = frozenset({1})
PARAM_TYPES: Final = ("entity", "text", "int", "kind")
#: Context formats built into ``context``; a plugin may not take them over.
BUILTIN_FORMATS: Final = frozenset({"md", "json"})
MAX_MANIFEST_BYTES: Final = 256 * 1024
MAX_QUERY_TYPES: Final = 64
MAX_PARAMS: Final = 16

NAME_RE: Final = re.compile(r"[a-z0-9][a-z0-9-]{0,62}\Z")
VERB_RE: Final = re.compile(r"[a-z][a-z0-9_-]{0,62}\Z")
WORD_RE: Final = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}\Z")
# https://semver.org/#is-there-a-suggested-regular-expression-regex-to-check-a-semver-string
SEMVER_RE: Final = re.compile(
    r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?\Z"
)
_IDENT_RE: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_MSGSPEC_AT: Final = re.compile(r"^(?P<msg>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.S)
_FIELD_IN_MSG: Final = re.compile(r"(missing required|unknown) field `(?P<field>[^`]*)`")


class ManifestKeyError(ManifestError):
    """An invalid manifest: ``key`` is the dotted key at fault (``query_types[0].params[1].type``)."""

    def __init__(self, source: str, key: str, detail: str) -> None:
        super().__init__(f"{source}: {key}: {detail}" if source else f"{key}: {detail}")
        self.source = source
        self.key = key
        self.detail = detail


class ManifestParam(ParamSpec, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A verb parameter or option as written in the manifest (type: entity, text, int or kind)."""


class ManifestQueryType(QueryType, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A verb the plugin adds (a :class:`QueryType`, so it can be handed to the host as is)."""

    params: tuple[ManifestParam, ...] = ()
    options: tuple[ManifestParam, ...] = ()


class Artifact(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Paths relative to the manifest's folder; ``entry`` is ``module:Class`` for Python plugins."""

    wasm: str | None = None
    native: str | None = None
    entry: str | None = None


class ManifestBudget(PerformanceBudget, frozen=True, kw_only=True, forbid_unknown_fields=True):
    max_query_time_us: int


class Manifest(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A validated ``plugin.toml``. ``run_in`` chooses in-process or the out-of-process worker."""

    name: str
    version: str
    description: str = ""
    tier: Tier
    kind: Literal["query", "context"] = "query"
    abi_version: int | None = None
    capabilities: frozenset[Capability] = frozenset()
    query_types: tuple[ManifestQueryType, ...] = ()
    context_formats: tuple[str, ...] = ()
    artifact: Artifact = msgspec.field(default_factory=Artifact)
    budget: ManifestBudget
    run_in: Literal["process", "worker"] = "process"

    @property
    def is_python(self) -> bool:
        """A Python class (``artifact.entry``) rather than a wasm module or a shared library."""
        return self.tier == "core" or (self.tier == "native" and self.artifact.entry is not None)

    @property
    def verbs(self) -> tuple[str, ...]:
        return tuple(q.name for q in self.query_types)

    def performance_budget(self) -> PerformanceBudget:
        b = self.budget
        return PerformanceBudget(
            max_query_time_us=b.max_query_time_us,
            max_memory_mb=b.max_memory_mb,
            max_cpu_percent=b.max_cpu_percent,
        )

    def declared(self) -> PluginCapabilities:
        return PluginCapabilities(declared=self.capabilities)

    def artifact_path(self, folder: Path) -> Path:
        """The file (wasm, shared library) or folder (Python plugin) that identifies this plugin."""
        if self.tier == "wasm" and self.artifact.wasm:
            return folder / self.artifact.wasm
        if self.tier == "native" and self.artifact.native and not self.artifact.entry:
            return folder / self.artifact.native
        return folder

    def sha256(self, folder: Path) -> str:
        """The digest grants and trust are keyed by (see :func:`artifact_sha256`)."""
        return artifact_sha256(self.artifact_path(folder))


# msgspec resolves a Struct's annotations on first use (tens of ms); do it at import, not in a load.
msgspec.inspect.type_info(Manifest)


def manifest_file(path: str | Path) -> Path:
    """``path`` itself if it is a file, else ``path/plugin.toml``."""
    p = Path(path)
    return p / MANIFEST_FILE if p.is_dir() else p


def load_manifest(path: str | Path) -> Manifest:
    """Read and validate a manifest (a ``plugin.toml`` or the folder holding one).

    Artifact paths are checked against the manifest's folder: they must stay inside it and exist.
    """
    file = manifest_file(path)
    source = str(file)
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise ManifestKeyError(source, "plugin.toml", f"cannot read: {exc.strerror or exc}") from None
    if len(raw) > MAX_MANIFEST_BYTES:
        raise ManifestKeyError(source, "plugin.toml", f"larger than {MAX_MANIFEST_BYTES} bytes")
    return parse_manifest(raw, folder=file.parent, source=source)


def parse_manifest(raw: bytes | str, *, folder: Path | None = None, source: str = "") -> Manifest:
    """Validate manifest text. Without ``folder`` the artifact files are not looked up."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        data = tomllib.loads(text)
    except UnicodeDecodeError as exc:
        raise ManifestKeyError(source, "plugin.toml", f"not UTF-8: {exc.reason}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ManifestKeyError(source, "plugin.toml", f"invalid TOML: {exc}") from None
    try:
        manifest = msgspec.convert(data, Manifest)
    except msgspec.ValidationError as exc:
        key, detail = _msgspec_key(str(exc))
        raise ManifestKeyError(source, key, detail) from None
    for key, detail in _problems(manifest, folder):
        raise ManifestKeyError(source, key, detail)
    return manifest


def _msgspec_key(message: str) -> tuple[str, str]:
    """``Expected `int`, got `str` - at `$.budget.x``` -> (``budget.x``, ``expected int, got str``)."""
    match = _MSGSPEC_AT.match(message)
    assert match is not None  # the pattern matches any string
    detail, path = match["msg"], (match["path"] or "").lstrip(".")
    field = _FIELD_IN_MSG.search(detail)
    if field is not None:
        path = f"{path}.{field['field']}" if path else field["field"]
        detail = "missing" if field.group(1).startswith("missing") else "unknown key"
    elif detail.startswith("Invalid enum value") and path.startswith("capabilities"):
        detail += f" (known: {', '.join(c.value for c in Capability)})"
    elif detail.startswith("Invalid enum value"):
        detail = detail.replace("Invalid enum value", "expected one of the documented values, got")
    return (path or "plugin.toml"), detail.replace("`", "")


def _problems(m: Manifest, folder: Path | None) -> Iterator[tuple[str, str]]:
    """Every semantic problem, as (key, detail); the first one is reported."""
    if not NAME_RE.match(m.name):
        yield "name", f"{m.name!r} is not [a-z0-9][a-z0-9-]{{0,62}}"
    if not SEMVER_RE.match(m.version):
        yield "version", f"{m.version!r} is not a semantic version (MAJOR.MINOR.PATCH)"
    if len(m.description) > 500:
        yield "description", "longer than 500 characters"
    yield from _tier_problems(m, folder)
    yield from _budget_problems(m)
    if m.kind == "query" and not m.query_types:
        yield "query_types", "a query plugin adds at least one verb"
    if m.kind == "context" and not m.context_formats:
        yield "context_formats", "a context plugin adds at least one format"
    if m.kind == "query" and m.context_formats:
        yield "context_formats", "only for kind = 'context'"
    if len(m.query_types) > MAX_QUERY_TYPES:
        yield "query_types", f"more than {MAX_QUERY_TYPES} verbs"
    seen: set[str] = set()
    for i, fmt in enumerate(m.context_formats):
        if not WORD_RE.match(fmt):
            yield f"context_formats[{i}]", f"{fmt!r} is not [a-z0-9][a-z0-9_-]*"
        if fmt in BUILTIN_FORMATS:
            yield f"context_formats[{i}]", f"{fmt!r} is built into context"
        if fmt in seen:
            yield f"context_formats[{i}]", f"{fmt!r} given twice"
        seen.add(fmt)
    verbs: set[str] = set()
    for i, q in enumerate(m.query_types):
        yield from _verb_problems(f"query_types[{i}]", q)
        if q.name in verbs:
            yield f"query_types[{i}].name", f"verb {q.name!r} given twice"
        verbs.add(q.name)


def _tier_problems(m: Manifest, folder: Path | None) -> Iterator[tuple[str, str]]:
    art = m.artifact
    if m.tier == "wasm":
        for cap in sorted(m.capabilities):
            if not cap.wasm_allowed:
                yield "capabilities", f"{cap.value!r} is never granted to a wasm plugin"
        if art.entry is not None:
            yield "artifact.entry", "only for Python plugins (tier native or core)"
        if not art.wasm:
            yield "artifact.wasm", "missing: a wasm plugin names its .wasm file"
        else:
            yield from _file_problems("artifact.wasm", art.wasm, folder)
        if art.native:  # the promotion target may not be built yet: only its path is checked
            yield from _file_problems("artifact.native", art.native, None)
    elif m.tier == "native":
        if art.wasm:
            yield from _file_problems("artifact.wasm", art.wasm, None)
        if art.entry and art.native:
            yield "artifact", "give entry (a Python class) or native (a shared library), not both"
        elif art.entry:
            yield from _entry_problems("artifact.entry", art.entry, folder, dotted_root=False)
        elif art.native:
            yield from _file_problems("artifact.native", art.native, folder)
        else:
            yield "artifact", "missing: a native plugin names entry = 'module:Class' or native = 'lib.so'"
    else:  # core: shipped inside the package, so its entry must be an importable pt_tui module
        if art.wasm or art.native:
            yield "artifact", "a core plugin has only an entry"
        if not art.entry:
            yield "artifact.entry", "missing: a core plugin names entry = 'pt_tui.module:Class'"
        else:
            yield from _entry_problems("artifact.entry", art.entry, None, dotted_root=True)
    uses_abi = m.tier == "wasm" or (m.tier == "native" and art.native and not art.entry)
    if uses_abi:
        if m.abi_version is None:
            yield "abi_version", f"missing (supported: {sorted(SUPPORTED_ABI_VERSIONS)})"
        elif m.abi_version not in SUPPORTED_ABI_VERSIONS:
            supported = sorted(SUPPORTED_ABI_VERSIONS)
            yield "abi_version", f"{m.abi_version} is not supported (supported: {supported})"
    elif m.abi_version is not None:
        yield "abi_version", "only for wasm and shared-library plugins"


def _budget_problems(m: Manifest) -> Iterator[tuple[str, str]]:
    b, ceiling = m.budget, CEILINGS[m.tier]
    if b.max_query_time_us <= 0:
        yield "budget.max_query_time_us", "must be positive"
    elif b.max_query_time_us > ceiling.max_query_time_us:
        yield (
            "budget.max_query_time_us",
            f"{b.max_query_time_us} is over the {m.tier} ceiling of {ceiling.max_query_time_us} us",
        )
    if not math.isfinite(b.max_memory_mb) or b.max_memory_mb <= 0:
        yield "budget.max_memory_mb", "must be a positive number"
    elif b.max_memory_mb > ceiling.max_memory_mb:
        over = f"{b.max_memory_mb} is over the {m.tier} ceiling of {ceiling.max_memory_mb} MB"
        yield "budget.max_memory_mb", over
    if not math.isfinite(b.max_cpu_percent) or not 0 < b.max_cpu_percent <= ceiling.max_cpu_percent:
        yield "budget.max_cpu_percent", f"must be in (0, {ceiling.max_cpu_percent:g}]"


def _verb_problems(key: str, q: ManifestQueryType) -> Iterator[tuple[str, str]]:
    if not VERB_RE.match(q.name):
        yield f"{key}.name", f"{q.name!r} is not a verb name ([a-z][a-z0-9_-]*)"
    if len(q.params) + len(q.options) > MAX_PARAMS:
        yield key, f"more than {MAX_PARAMS} parameters and options"
    names: set[str] = set()
    optional_seen = False
    for group, specs in (("params", q.params), ("options", q.options)):
        for i, p in enumerate(specs):
            where = f"{key}.{group}[{i}]"
            if not WORD_RE.match(p.name):
                yield f"{where}.name", f"{p.name!r} is not [a-z0-9][a-z0-9_-]*"
            if p.name in names:
                yield f"{where}.name", f"{p.name!r} given twice"
            names.add(p.name)
            if p.type not in PARAM_TYPES:
                yield f"{where}.type", f"{p.type!r} is not one of {', '.join(PARAM_TYPES)}"
            elif p.default is not None and not _default_fits(p.type, p.default):
                yield f"{where}.default", f"{p.default!r} is not a {p.type}"
            if group == "params":
                if not p.required:
                    optional_seen = True
                elif optional_seen:
                    yield f"{where}.required", "a required parameter cannot follow an optional one"
    if q.feeds is not None:
        fed = next((p for p in q.params if p.name == q.feeds), None)
        if fed is None or fed.type != "entity":
            yield f"{key}.feeds", f"{q.feeds!r} is not an entity parameter of this verb"


def _default_fits(kind: str, value: str | int) -> bool:
    if kind == "int":
        return isinstance(value, int)
    return kind != "entity" and isinstance(value, str)


def _entry_problems(
    key: str, entry: str, folder: Path | None, *, dotted_root: bool
) -> Iterator[tuple[str, str]]:
    module, sep, cls = entry.partition(":")
    parts = module.split(".")
    if not sep or not _IDENT_RE.match(cls) or not all(_IDENT_RE.match(p) for p in parts):
        yield key, f"{entry!r} is not 'module:Class'"
        return
    if dotted_root and parts[0] != "pt_tui":
        yield key, "a core plugin's module is inside the pt_tui package"
        return
    if folder is not None:
        as_file = "/".join(parts) + ".py"
        as_package = "/".join(parts) + "/__init__.py"
        if not any(_inside(folder, rel) for rel in (as_file, as_package)):
            yield key, f"module {module!r} not found in {folder} (no {as_file} or {as_package})"


def _file_problems(key: str, rel: str, folder: Path | None) -> Iterator[tuple[str, str]]:
    pure = PurePosixPath(rel)
    if not rel or pure.is_absolute() or "\\" in rel or ".." in pure.parts or "\0" in rel:
        yield key, f"{rel!r} must be a relative path inside the plugin folder"
    elif folder is not None and not _inside(folder, rel):
        yield key, f"{rel!r}: no such file inside {folder}"


def _inside(folder: Path, rel: str) -> bool:
    """``folder/rel`` exists as a file and, symlinks resolved, is still inside ``folder``."""
    try:
        target = (folder / rel).resolve(strict=True)
        return target.is_file() and target.is_relative_to(folder.resolve(strict=True))
    except (OSError, RuntimeError):
        return False


# -- artifact identity ---------------------------------------------------------------------------


def artifact_sha256(path: str | Path) -> str:
    """sha256 (hex) of a file's bytes, or of a folder's files (:func:`tree_sha256`)."""
    p = Path(path)
    if p.is_dir():
        return tree_sha256(p)
    with p.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _tree_files(folder: Path) -> list[tuple[str, Path]]:
    files: list[tuple[str, Path]] = []
    for path in folder.rglob("*"):
        rel = path.relative_to(folder)
        if any(part.startswith(".") or part == "__pycache__" for part in rel.parts):
            continue
        if path.suffix in (".pyc", ".pyo") or not path.is_file():
            continue
        files.append((rel.as_posix(), path))
    files.sort(key=lambda item: item[0].encode("utf-8", "surrogateescape"))
    return files


def tree_sha256(folder: str | Path) -> str:
    """The identity of a Python plugin: sha256 over ``path NUL sha256(file) LF`` for every file.

    Files are taken in order of their UTF-8 relative posix path; hidden files and folders,
    ``__pycache__`` and ``.pyc`` files are left out (they change without the source changing).
    """
    digest = hashlib.sha256(b"pt-tui-tree-v1\n")
    for rel, path in _tree_files(Path(folder)):
        digest.update(rel.encode("utf-8", "surrogateescape") + b"\0")
        digest.update(artifact_sha256(path).encode("ascii") + b"\n")
    return digest.hexdigest()
