"""The plugin host's files in the user's config dir, and atomic writes.

The folder is ``platformdirs.user_config_path("pt-tui")`` unless ``PT_TUI_CONFIG_DIR`` names another.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import platformdirs


def config_dir() -> Path:
    value = os.environ.get("PT_TUI_CONFIG_DIR")
    return Path(value).expanduser() if value else platformdirs.user_config_path("pt-tui")


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` so a reader sees the old file or the new one, never a part of either."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
