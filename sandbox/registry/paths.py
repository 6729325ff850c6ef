"""Where the registry layer keeps its files, and atomic writes.

- config: ``platformdirs.user_config_path("pt-tui")`` (``PT_TUI_CONFIG_DIR`` overrides): the
  registries list, trusted reviewers, the reviewer key, the lockfile ``pt-tui.lock``.
- cache: ``platformdirs.user_cache_path("pt-tui")`` (``PT_TUI_CACHE_DIR`` overrides): bare clones of
  the registries under ``registries/``, the demo registry's git repository.
- data: ``platformdirs.user_data_path("pt-tui")`` (``PT_TUI_DATA_DIR`` overrides): installed plugins
  under ``plugins/<name>/<version>/``.
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


def plugins_dir() -> Path:
    return data_dir() / "plugins"


def registries_cache() -> Path:
    return cache_dir() / "registries"


def config_file() -> Path:
    return config_dir() / "registries.toml"


def lockfile_path() -> Path:
    return config_dir() / "pt-tui.lock"


def fsync_dir(path: Path) -> None:
    """Make a rename in ``path`` durable (a no-op where directories cannot be opened)."""
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


def write_atomic(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` so a reader sees the old file or the new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)
