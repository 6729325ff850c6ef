"""Live effect: installed-plugin changes reach a running :class:`~pt_tui.sandbox.manager.PluginManager`.

- :class:`ManagerLive` is what :class:`~pt_tui.sandbox.registry.service.RegistryService` drives when it
  runs inside the process that hosts the plugins (``RegistryService(live=ManagerLive(manager))``):
  every install, update, promote and rollback hot-swaps at once.
- :class:`InstallWatcher` keeps a running manager in step with changes made by another process (the
  CLI): it compares the ``current`` pointers with what it last saw and hot-swaps what moved, either
  when called (:meth:`InstallWatcher.sync`) or from a thread watching the plugins dir.

Before any swap the active artifact is re-hashed against its install record (a mismatch is refused,
both hashes shown). The manager records every swap, failure and removal in its tracker's events.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from pt_tui.sandbox.errors import PluginError
from pt_tui.sandbox.registry.store import Store

if TYPE_CHECKING:
    from pt_tui.sandbox.manager import PluginManager


class ManagerLive:
    """The registry layer's hot-swap hook, over the host's plugin manager."""

    def __init__(self, manager: PluginManager) -> None:
        self.manager = manager

    def swap(self, name: str, folder: Path, *, sha256: str, action: str) -> None:
        if name in self.manager.records:
            self.manager.swap(name, folder)  # loads and checks the new one; the old keeps running on failure
        else:
            self.manager.add(folder)  # registered now, loaded on first use

    def remove(self, name: str, *, action: str) -> None:
        if name in self.manager.records:
            self.manager.remove(name)


class InstallWatcher:
    """Apply changes of the installed set (by any process) to a running manager."""

    def __init__(self, manager: PluginManager, store: Store | None = None) -> None:
        self.live = ManagerLive(manager)
        self.store = store or Store()
        self.seen: dict[str, tuple[str, str]] = {}  # name -> (version folder, sha256)
        self.errors: list[str] = []
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def sync(self) -> list[str]:
        """Hot-swap every plugin whose pointer moved since the last sync; returns what changed."""
        changed: list[str] = []
        now: dict[str, tuple[str, str]] = {}
        for state in self.store.installed():
            p = state.current
            now[p.name] = (p.dir, p.sha256)
            if self.seen.get(p.name) == now[p.name]:
                continue
            try:
                _pointer, folder = self.store.check_load(p.name)
                self.live.swap(p.name, folder, sha256=p.sha256, action="sync")
                changed.append(f"{p.name} {p.version} ({p.tier})")
            except PluginError as exc:  # recorded by the manager (swap-failed); retried on the next sync
                self.errors.append(str(exc))
                if p.name in self.seen:
                    now[p.name] = self.seen[p.name]
                else:
                    del now[p.name]
        for name in self.seen.keys() - {s.current.name for s in self.store.installed()}:
            self.live.remove(name, action="uninstall")
            changed.append(f"{name} removed")
            now.pop(name, None)
        self.seen = now
        return changed

    def start(self, on_change: Callable[[list[str]], None] | None = None) -> None:
        """Sync now, then again whenever the plugins dir changes, or the config dir (a grant or an
        approval lets a refused swap through): a daemon thread."""
        import watchfiles

        from pt_tui.sandbox.registry.paths import config_dir

        self.sync()
        watched = [self.store.root, config_dir()]
        for path in watched:
            path.mkdir(parents=True, exist_ok=True)

        def run() -> None:
            for _changes in watchfiles.watch(*watched, stop_event=self._stop, debounce=200):
                changed = self.sync()
                if changed and on_change is not None:
                    on_change(changed)

        self._thread = threading.Thread(target=run, name="pt-tui-install-watcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
