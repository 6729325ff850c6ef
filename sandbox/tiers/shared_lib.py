"""Shared-library natives: the same C / Rust plugin source built for the host, loaded with ctypes.

A reviewed WASM plugin is promoted to this tier (the trust check is the loader's): the library
exports the same ``pt_alloc`` / ``pt_free`` / ``pt_columns`` / ``pt_query`` (or ``pt_context``) as
its wasm build, and the adapter is the same :class:`~pt_tui.sandbox.wasm.adapter.AbiPlugin`, so
requests and results use the same bytes and the same untrusted-result decoder.

Differences from the wasm tier: the graph view is not copied - the request carries the address of
the host's view bytes, shared by every native plugin (read-only by contract: a native plugin is
trusted code that could write anywhere in the process anyway). The result's length is capped and
its contents bounds-checked, but its address cannot be (there is no sandbox); nothing pre-empts the
call, so the manager measures it and quarantines a plugin that keeps overrunning.
"""

from __future__ import annotations

import ctypes
import hashlib
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from pt_tui.sandbox.api import Capability, PerformanceBudget
from pt_tui.sandbox.errors import PluginError, PluginViolation, ViolationKind
from pt_tui.sandbox.wasm import abi
from pt_tui.sandbox.wasm.adapter import AbiPlugin
from pt_tui.sandbox.wasm.host import ENTRY_EXPORTS

if TYPE_CHECKING:
    from pt_tui.sandbox.manifest import Manifest
    from pt_tui.sandbox.wasm.view import ViewImage

__all__ = ["SharedLibrary", "load"]


_locks: dict[Path, threading.Lock] = {}
_locks_guard = threading.Lock()


def _lock_for(path: Path) -> threading.Lock:
    """One lock per library file: two loads of one file share its statics (dlopen returns one handle)."""
    with _locks_guard:
        return _locks.setdefault(path, threading.Lock())


class SharedLibrary:
    """The backend of a native ABI plugin: one library handle, calls serialised per library file."""

    def __init__(self, name: str, path: Path, kind: str) -> None:
        self.name = name
        self.path = path
        self.lock = _lock_for(path)
        self.source_reader: Callable[[int], bytes | None] | None = None
        try:
            self._lib = ctypes.CDLL(str(path))
        except OSError as exc:
            raise PluginError(f"{name}: cannot load {path.name}: {exc}") from None
        entry = ENTRY_EXPORTS[kind]
        missing = [f for f in ("pt_alloc", entry) if not hasattr(self._lib, f)]
        if missing:
            raise PluginError(f"{name}: {path.name} does not export {', '.join(missing)}")
        self._entry = getattr(self._lib, entry)
        self._entry.restype = ctypes.c_int64
        self._entry.argtypes = [ctypes.c_void_p, ctypes.c_uint32]
        self._columns = getattr(self._lib, "pt_columns", None)
        if self._columns is not None:
            self._columns.restype = ctypes.c_int64
            self._columns.argtypes = []
        self._request = ctypes.create_string_buffer(4096)
        self._view_ref: bytes = b""

    def columns_mask(self) -> int:
        if self._columns is None:
            return abi.WANT_ALL
        with self.lock:
            return int(self._columns()) & abi.WANT_ALL

    def discard(self) -> None:
        """Nothing to re-create: a native library has no instance state the host owns."""

    def call(
        self,
        kind: str,
        view: object | None,
        image: ViewImage | None,
        build_request: Callable[[int, int], bytes],
    ) -> bytes:
        del kind, view  # one entry per library (its manifest's kind); the view is passed by address
        view_bytes = image.blob() if image is not None else b""  # the shared host bytes, joined once
        with self.lock:
            self._view_ref = view_bytes  # keeps the buffer alive for the call
            view_addr = ctypes.cast(ctypes.c_char_p(view_bytes), ctypes.c_void_p).value or 0
            request = build_request(view_addr if view_bytes else 0, len(view_bytes))
            if len(request) > len(self._request):
                self._request = ctypes.create_string_buffer(1 << (len(request) - 1).bit_length())
            buf = self._request
            ctypes.memmove(buf, request, len(request))
            status = int(self._entry(ctypes.addressof(buf), len(request)))
            addr, length = abi.RESULT_SLOT.unpack_from(
                buf.raw[: abi.RESULT_SLOT_OFFSET + 12], abi.RESULT_SLOT_OFFSET
            )
            if status != 0:
                raise PluginError(f"{self.name}: the plugin failed with code {status}")
            if length > abi.MAX_RESULT_BYTES:
                detail = f"result of {length} bytes, over the {abi.MAX_RESULT_BYTES}-byte cap"
                raise PluginViolation(self.name, ViolationKind.MALFORMED, detail)
            if length and not addr:
                raise PluginViolation(self.name, ViolationKind.MALFORMED, "result at address 0")
            return ctypes.string_at(addr, length) if length else b""


def load(
    manifest: Manifest,
    folder: str | Path,
    *,
    granted: frozenset[Capability],
    budget: PerformanceBudget | None = None,
    tracker: object | None = None,
    root: Path | Callable[[], Path | None] | None = None,
) -> AbiPlugin:
    """Load ``artifact.native`` of a wasm or native manifest with ctypes (trust is the caller's check)."""
    del tracker
    started = time.perf_counter()
    if manifest.artifact.native is None:
        raise PluginError(f"{manifest.name}: the manifest names no artifact.native")
    path = (Path(folder) / manifest.artifact.native).resolve()
    try:
        sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:
        raise PluginError(f"{manifest.name}: cannot read {path}: {exc.strerror or exc}") from None
    backend = SharedLibrary(manifest.name, path, manifest.kind)
    effective = budget or manifest.performance_budget()
    plugin = AbiPlugin(
        manifest, backend, granted=granted, budget=effective, tier="native", sha256=sha256, root=root
    )
    plugin.prepare()
    plugin.load_source = "dlopen"
    plugin.load_ms = (time.perf_counter() - started) * 1e3
    return plugin
