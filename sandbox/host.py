"""Host services a native Python plugin may use, each behind a capability check.

A plugin class whose constructor takes one argument receives a :class:`PluginHost`. Every service
checks the capability (declared in plugin.toml and granted for the artifact) and raises
:class:`CapabilityRefused` naming it otherwise; the manager turns that into a ``capability``
violation of the query. In-process Python is not a sandbox: these checks hold the plugin to its
contract, they do not confine it (the WASM tier does).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

from pt_tui.core.model import Node
from pt_tui.sandbox.api import Capability
from pt_tui.sandbox.capabilities import require
from pt_tui.sandbox.errors import CapabilityRefused

log = logging.getLogger("pt_tui.plugins")
MAX_READ_BYTES = 4 * 1024 * 1024


class PluginHost:
    def __init__(
        self,
        plugin: str,
        *,
        declared: frozenset[Capability],
        granted: frozenset[Capability],
        root: Callable[[], Path | None] = lambda: None,
    ) -> None:
        self.plugin = plugin
        self.declared = declared
        self.granted = granted
        self._root = root
        self.lines: list[str] = []  # the latest log lines (bounded)

    def require(self, capability: Capability) -> None:
        require(self.plugin, capability, self.declared, self.granted)

    def allowed(self, capability: Capability) -> bool:
        return capability in self.declared and capability in self.granted

    def log(self, message: str) -> None:
        self.require(Capability.LOG)
        log.info("%s: %s", self.plugin, message)
        self.lines.append(message)
        del self.lines[:-100]

    def clock(self) -> float:
        """Monotonic seconds."""
        self.require(Capability.CLOCK)
        return time.monotonic()

    def source(self, node: Node) -> str:
        """The entity's source lines, read from the indexed root."""
        self.require(Capability.SOURCE_READ)
        data = self._read(node.file, Capability.SOURCE_READ)
        lines = data.decode("utf-8", "replace").splitlines()
        return "\n".join(lines[node.line - 1 : node.end_line])

    def read_file(self, relative: str) -> bytes:
        """A file under the indexed root (native plugins with ``fs.read`` only)."""
        self.require(Capability.FS_READ)
        return self._read(relative, Capability.FS_READ)

    def _read(self, relative: str, capability: Capability) -> bytes:
        root = self._root()
        if root is None:
            raise CapabilityRefused(self.plugin, capability.value, "no indexed root to read from")
        base = root.resolve()
        path = (base / relative).resolve()
        if not path.is_relative_to(base):
            raise CapabilityRefused(
                self.plugin, capability.value, f"{relative!r} is outside the indexed root"
            )
        with path.open("rb") as handle:
            return handle.read(MAX_READ_BYTES)
