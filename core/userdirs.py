"""The user's pt-tui folders and atomic file writes, shared by the engine, the plugin host and the app.

Each folder is the platform's (``platformdirs``) unless an environment variable names another:
``PT_TUI_CONFIG_DIR`` (config, grants, keymap, registries, lockfile), ``PT_TUI_CACHE_DIR``
(snapshots, compiled WASM, registry clones), ``PT_TUI_DATA_DIR`` (installed plugins, history).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import platformdirs

APP = "pt-tui"


def _dir(env: str, default: Path) -> Path:
    value = os.environ.get(env)
    return Path(value).expanduser() if value else default


def config_dir() -> Path:
    return _dir("PT_TUI_CONFIG_DIR", platformdirs.user_config_path(APP))


def cache_dir() -> Path:
    return _dir("PT_TUI_CACHE_DIR", platformdirs.user_cache_path(APP))


def data_dir() -> Path:
    return _dir("PT_TUI_DATA_DIR", platformdirs.user_data_path(APP))


def fsync_dir(path: Path) -> None:
    """Make a rename in ``path`` durable (a no-op where directories cannot be opened, e.g. Windows)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes, *, mode: int | None = None) -> None:
    """Write ``data`` so a reader sees the old file or the new one, never a part of either.

    ``mode`` sets the permissions (the temp file starts private, 0600, and keeps that without it).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)
