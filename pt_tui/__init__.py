"""pt-tui: an Interface Signature Graph engine, its headless CLI and a Textual dashboard.

The import root assembles the folders at the repository root: ``pt_tui.core`` (the engine, no UI),
``pt_tui.sandbox`` (plugins), ``pt_tui.app`` (the CLI and the Textual UI) and ``pt_tui.themes``.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("pt-tui")
except PackageNotFoundError:  # pragma: no cover - running from an uninstalled tree
    __version__ = "0.0.0"

__all__ = ["__version__"]
