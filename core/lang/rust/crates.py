"""Which crate a ``.rs`` file belongs to and its module path, from the file's place in the tree.

The crate name comes from the nearest ``Cargo.toml`` above the file that has a ``[package]`` (a
workspace-only manifest is skipped); ``[lib] name`` wins over the package name, ``-`` becomes ``_``.
Without a manifest inside the indexed root, the root folder's name is the crate name. Module paths
are purely path based, so they are deterministic and need no other file.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path, PurePosixPath
from typing import NamedTuple

from pt_tui.core.lang.base import ExtractContext

#: Package folders whose files are separate crates named after the folder (``tests/x.rs``).
_TARGET_DIRS = ("tests", "examples", "benches")
_CRATE_ROOTS = ("lib", "main")
_SUBCRATE_ROOTS = ("main", "mod")


class CrateInfo(NamedTuple):
    name: str  # the crate's identifier (``regex_syntax``)
    package_dir: str  # posix path relative to the indexed root ("" for the root itself)


class ModulePath(NamedTuple):
    module: str  # qualified name of the file's module (``regex_syntax::ast::parse``)
    crate_root: str  # qualified name ``crate::`` stands for in this file


def ident(name: str) -> str:
    """A crate or folder name as a Rust identifier."""
    cleaned = re.sub(r"\W", "_", name.replace("-", "_"))
    return cleaned if cleaned and not cleaned[0].isdigit() else f"_{cleaned}"


def _manifest_crate(manifest: Path) -> str | None:
    """The crate name a ``Cargo.toml`` declares, or None for a workspace-only or unreadable one."""
    try:
        with manifest.open("rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return None
    package = data.get("package")
    if not isinstance(package, dict):
        return None
    lib = data.get("lib")
    name = lib.get("name") if isinstance(lib, dict) else None
    if not isinstance(name, str):
        name = package.get("name")
    return ident(name) if isinstance(name, str) and name else None


def crate_of(rel_dir: str, ctx: ExtractContext) -> CrateInfo:
    """The crate owning the folder ``rel_dir`` (posix, relative to the root), cached per folder."""
    return ctx.memo("rust.crate", rel_dir, lambda: _find_crate(rel_dir, ctx))


def _find_crate(rel_dir: str, ctx: ExtractContext) -> CrateInfo:
    name = _manifest_crate(ctx.root / rel_dir / "Cargo.toml")
    if name is not None:
        return CrateInfo(name, rel_dir)
    if rel_dir in ("", "."):
        return CrateInfo(ident(ctx.root.name or "crate"), "")
    parent = str(PurePosixPath(rel_dir).parent)
    return crate_of("" if parent == "." else parent, ctx)


def module_path(relpath: str, ctx: ExtractContext) -> ModulePath:
    """The module qualified name of the file ``relpath`` and the qualified name of its crate root."""
    rel = PurePosixPath(relpath)
    parent = str(rel.parent)
    crate = crate_of("" if parent == "." else parent, ctx)
    *dirs, filename = rel.relative_to(crate.package_dir).parts if crate.package_dir else rel.parts
    stem = filename.removesuffix(".rs")
    name = crate.name
    if dirs[:2] == ["src", "bin"]:
        sub = dirs[2:]
        root = ident(sub[0] if sub else stem)
        return ModulePath(_module(root, sub[1:], stem, _SUBCRATE_ROOTS) if sub else root, root)
    if dirs[:1] == ["src"]:
        if len(dirs) == 1 and filename == "main.rs" and _has_lib(ctx, crate.package_dir):
            return ModulePath(f"{name}::main", name)
        return ModulePath(_module(name, dirs[1:], stem, _CRATE_ROOTS), name)
    if dirs and dirs[0] in _TARGET_DIRS:
        top = f"{name}::{dirs[0]}"
        if len(dirs) == 1:
            module = f"{top}::{ident(stem)}"
            return ModulePath(module, module)
        root = f"{top}::{ident(dirs[1])}"
        return ModulePath(_module(root, dirs[2:], stem, _SUBCRATE_ROOTS), root)
    if not dirs and stem == "build":
        return ModulePath(f"{name}::build", f"{name}::build")
    return ModulePath(_module(name, dirs, stem, _CRATE_ROOTS), name)


def _module(base: str, dirs: list[str], stem: str, roots: tuple[str, ...]) -> str:
    """``base::dirs::stem``, where ``mod.rs`` names its folder and a root file (``lib.rs``) the base."""
    segments = [base, *(ident(d) for d in dirs)]
    if not ((dirs and stem == "mod") or (not dirs and stem in roots)):
        segments.append(ident(stem))
    return "::".join(segments)


def _has_lib(ctx: ExtractContext, package_dir: str) -> bool:
    """Whether the package also has ``src/lib.rs`` (then ``src/main.rs`` is ``name::main``)."""
    return ctx.memo(
        "rust.has-lib", package_dir, lambda: (ctx.root / package_dir / "src" / "lib.rs").is_file()
    )
