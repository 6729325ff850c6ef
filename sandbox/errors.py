"""Errors of the plugin host. Every one carries a one-line message fit to show the user."""

from __future__ import annotations

from enum import StrEnum


class PluginError(Exception):
    """Base of every plugin-host error."""


class ManifestError(PluginError):
    """An invalid ``plugin.toml``: the message names the key (``budget.max_query_time_us: ...``)."""


class CapabilityRefused(PluginError):
    """A plugin asked for a capability it did not declare or the user did not grant."""

    def __init__(self, plugin: str, capability: str, reason: str) -> None:
        super().__init__(f"{plugin}: capability {capability!r} refused: {reason}")
        self.plugin = plugin
        self.capability = capability


class TrustError(PluginError):
    """A native load was refused: the artifact's sha256 lacks the approvals it needs."""


class BudgetRejected(PluginError):
    """The budget is over the tier's ceiling, or calibration measured the plugin far over it."""


class ViolationKind(StrEnum):
    TIMEOUT = "timeout"  # deadline (epoch / fuel) hit, or a measured overrun for native and core
    MEMORY = "memory"  # store limit hit, or measured memory over budget
    TRAP = "trap"  # the plugin crashed (wasm trap, exception, dead worker)
    MALFORMED = "malformed"  # the result failed to decode or broke a bound
    CAPABILITY = "capability"  # the plugin used something it was not granted


class PluginViolation(PluginError):
    """One call broke the plugin's contract. The query fails cleanly; the host keeps running.

    The manager counts violations per plugin and quarantines one that keeps breaking its budget.
    """

    def __init__(self, plugin: str, kind: ViolationKind, detail: str) -> None:
        super().__init__(f"{plugin}: {kind.value}: {detail}")
        self.plugin = plugin
        self.kind = kind
        self.detail = detail


class Quarantined(PluginError):
    """The plugin is quarantined (disabled after repeated violations); the message gives the reason."""
