"""Where pt-tui keeps per-project state: one folder per indexed root under the user's cache dir.

``PT_TUI_CACHE_DIR`` overrides the base folder (tests and read-only installs use it).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from pt_tui.core.userdirs import cache_dir

CACHE_ENV = "PT_TUI_CACHE_DIR"


def cache_root() -> Path:
    """The base cache folder: ``$PT_TUI_CACHE_DIR`` or the platform's user cache dir for pt-tui."""
    return cache_dir()


def root_digest(root: str | Path) -> str:
    """A short, stable digest of a resolved root path (the name of its cache folder)."""
    resolved = str(Path(root).resolve())
    return hashlib.blake2b(resolved.encode("utf-8", "surrogateescape"), digest_size=10).hexdigest()


def project_dir(root: str | Path) -> Path:
    """The cache folder of one indexed root (not created)."""
    return cache_root() / "projects" / root_digest(root)
