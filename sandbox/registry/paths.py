"""Where the registry layer keeps its files, and atomic writes.

- config: ``platformdirs.user_config_path("pt-tui")`` (``PT_TUI_CONFIG_DIR`` overrides): the
  registries list, trusted reviewers, the reviewer key, the lockfile ``pt-tui.lock``.
- cache: ``platformdirs.user_cache_path("pt-tui")`` (``PT_TUI_CACHE_DIR`` overrides): bare clones of
  the registries under ``registries/``, the demo registry's git repository.
- data: ``platformdirs.user_data_path("pt-tui")`` (``PT_TUI_DATA_DIR`` overrides): installed plugins
  under ``plugins/<name>/<version>/``.
"""

from __future__ import annotations

from pathlib import Path

from pt_tui.core import userdirs
from pt_tui.core.userdirs import APP, cache_dir, config_dir, data_dir, fsync_dir

__all__ = [
    "APP",
    "cache_dir",
    "config_dir",
    "config_file",
    "data_dir",
    "fsync_dir",
    "lockfile_path",
    "plugins_dir",
    "registries_cache",
    "write_atomic",
]


def plugins_dir() -> Path:
    return data_dir() / "plugins"


def registries_cache() -> Path:
    return cache_dir() / "registries"


def config_file() -> Path:
    return config_dir() / "registries.toml"


def lockfile_path() -> Path:
    return config_dir() / "pt-tui.lock"


def write_atomic(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` so a reader sees the old file or the new one, never a part."""
    userdirs.write_atomic(path, data, mode=mode)
