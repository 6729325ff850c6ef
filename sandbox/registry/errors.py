"""Errors of the registry layer; each message is one line fit to show the user."""

from __future__ import annotations

from pt_tui.sandbox.errors import PluginError


class RegistryError(PluginError):
    """A registry, install or review operation failed."""


class EntryError(RegistryError):
    """A malformed index entry: the message names the file and the key."""

    def __init__(self, source: str, key: str, detail: str) -> None:
        super().__init__(f"{source}: {key}: {detail}" if key else f"{source}: {detail}")
        self.source = source
        self.key = key
        self.detail = detail


class IntegrityError(RegistryError):
    """An artifact's sha256 differs from the one recorded (both are shown), or a path/size bound broke."""


class SHA256Mismatch(IntegrityError):
    def __init__(self, what: str, expected: str, actual: str) -> None:
        super().__init__(f"{what}: sha256 mismatch: expected {expected}, got {actual}")
        self.expected = expected
        self.actual = actual


class PathEscape(IntegrityError):
    """A path in an index leaves the registry checkout (``..``, absolute, or a symlink out)."""
