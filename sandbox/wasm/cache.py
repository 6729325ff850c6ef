"""The compiled-artifact cache: compile a module once, deserialize it on later loads.

Entries live in ``<cache base>/wasm/`` (``platformdirs.user_cache_path("pt-tui")``, or
``$PT_TUI_CACHE_DIR``), keyed by (artifact sha256, wasmtime version, engine config digest). An entry
is ``sha256(payload) + payload`` written atomically (:func:`pt_tui.core.userdirs.write_atomic`); on
load the digest is checked before wasmtime sees the bytes, and any mismatch or deserialize error
recompiles and rewrites the entry. (The digest guards against corruption - torn writes, truncation,
bit rot. Anyone who can write the user's cache dir can also edit the user's shell profile, so it is
not a signature.)
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Literal

import wasmtime

from pt_tui.core import userdirs
from pt_tui.sandbox.wasm import runtime

_DIGEST = 32

Source = Literal["cache", "compiled"]


def cache_dir() -> Path:
    return userdirs.cache_dir() / "wasm"


def entry_path(sha256: str) -> Path:
    key = f"{sha256}-wasmtime{runtime.WASMTIME_VERSION}-{runtime.config_digest()}"
    return cache_dir() / f"{key}.cwasm"


def load_module(wasm: bytes, sha256: str, *, use_cache: bool = True) -> tuple[wasmtime.Module, Source]:
    """The compiled module for ``wasm`` and where it came from. Raises WasmtimeError if invalid."""
    eng = runtime.engine()
    path = entry_path(sha256)
    if use_cache:
        module = _read(eng, path)
        if module is not None:
            return module, "cache"
    module = wasmtime.Module(eng, wasm)
    if use_cache:
        _write(path, bytes(module.serialize()))
    return module, "compiled"


def _read(eng: wasmtime.Engine, path: Path) -> wasmtime.Module | None:
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    digest, payload = raw[:_DIGEST], raw[_DIGEST:]
    if len(raw) <= _DIGEST or hashlib.sha256(payload).digest() != digest:
        return None
    try:
        return wasmtime.Module.deserialize(eng, payload)
    except wasmtime.WasmtimeError:
        return None


def _write(path: Path, payload: bytes) -> None:
    """Atomic write; a cache that cannot be written (read-only home, full disk) is skipped."""
    try:
        userdirs.write_atomic(path, hashlib.sha256(payload).digest() + payload)
    except OSError:
        return
