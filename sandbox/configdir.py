"""The plugin host's files in the user's config dir, and atomic writes (both from core.userdirs)."""

from __future__ import annotations

from pt_tui.core.userdirs import config_dir, write_atomic

__all__ = ["config_dir", "write_atomic"]
