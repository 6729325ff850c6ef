"""pt-tui: an Interface Signature Graph engine, its headless CLI and a Textual dashboard.

The import root assembles the folders at the repository root: ``pt_tui.core`` (the engine, no UI),
``pt_tui.sandbox`` (plugins), ``pt_tui.app`` (the CLI and the Textual UI) and ``pt_tui.themes``.
``__version__`` is read from the installed metadata on first use (importlib.metadata costs tens of
milliseconds, which every start of the dashboard would otherwise pay).
"""

from __future__ import annotations

from functools import cache

__all__ = ["__version__"]


@cache
def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("pt-tui")
    except PackageNotFoundError:  # pragma: no cover - running from an uninstalled tree
        return "0.0.0"


def __getattr__(name: str) -> str:
    if name == "__version__":
        return _version()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
