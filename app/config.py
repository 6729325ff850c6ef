"""The dashboard's configuration: a TOML file in the user's config dir, validated strictly.

``config.toml`` holds the theme, the keymap (binding id -> keys), plugin registries, trusted reviewers
and per-plugin budgets; an optional ``keymap.toml`` (binding id -> keys) overrides the keymap table.
The folder is ``platformdirs.user_config_path("pt-tui")`` unless ``PT_TUI_CONFIG_DIR`` names another.
Unknown keys are errors that name the key; a bad file yields the defaults plus one clear message.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import msgspec

from pt_tui.core import userdirs
from pt_tui.themes import DEFAULT_THEME, THEMES, theme_name

if TYPE_CHECKING:
    from pt_tui.sandbox.api import PerformanceBudget

CONFIG_FILE = "config.toml"
KEYMAP_FILE = "keymap.toml"


class RegistryConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A plugin registry: a git repository (URL or local path)."""

    name: str
    url: str


class ReviewerConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A reviewer whose signed reviews count, by public key (ed25519, hex or base64)."""

    name: str
    key: str


Positive = msgspec.Meta(gt=0)


class BudgetConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A user's tighter budget for one plugin: each field set is the most that plugin may take,
    whatever its manifest says (the plugin manager keeps the tighter of the two, field by field)."""

    max_query_time_us: Annotated[int, Positive] | None = None
    max_memory_mb: Annotated[float, Positive] | None = None
    max_cpu_percent: Annotated[float, Positive] | None = None

    def as_override(self) -> PerformanceBudget:
        """The override the plugin manager applies (``ManagerConfig.budgets``): unset fields do not
        tighten anything."""
        from pt_tui.sandbox.api import PerformanceBudget

        return PerformanceBudget(
            max_query_time_us=sys.maxsize if self.max_query_time_us is None else self.max_query_time_us,
            max_memory_mb=math.inf if self.max_memory_mb is None else self.max_memory_mb,
            max_cpu_percent=math.inf if self.max_cpu_percent is None else self.max_cpu_percent,
        )


class Config(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    theme: str = DEFAULT_THEME
    keymap: dict[str, str] = {}
    registries: list[RegistryConfig] = []
    trusted_reviewers: list[ReviewerConfig] = []
    budgets: dict[str, BudgetConfig] = {}


@dataclass
class LoadedConfig:
    """The config in force and the problems found reading it (each one line, naming file and key)."""

    config: Config = field(default_factory=Config)
    errors: list[str] = field(default_factory=list)

    def budget_overrides(self) -> dict[str, PerformanceBudget]:
        """The ``budgets`` table as the plugin manager takes it (plugin name -> override)."""
        return {name: budget.as_override() for name, budget in self.config.budgets.items()}


def config_dir() -> Path:
    return userdirs.config_dir()


def data_dir() -> Path:
    return userdirs.data_dir()


def _decode(path: Path, kind: Any) -> Any:
    try:
        return msgspec.toml.decode(path.read_bytes(), type=kind)
    except msgspec.ValidationError as exc:
        raise ConfigError(f"{path}: {_where(_name_budget(path, str(exc)))}") from None
    except msgspec.DecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None


def _name_budget(path: Path, message: str) -> str:
    """msgspec says ``budgets[...]`` for a bad value in a plugin's budget: name the plugin."""
    if "`$.budgets[...]" not in message:
        return message
    raw = msgspec.toml.decode(path.read_bytes())
    budgets = raw.get("budgets") if isinstance(raw, dict) else None
    for name, value in (budgets or {}).items():
        try:
            msgspec.convert(value, BudgetConfig)
        except msgspec.ValidationError:
            return message.replace("`$.budgets[...]", f"`$.budgets.{name}")
    return message


def _where(message: str) -> str:
    """msgspec says ``... - at `$.budgets.x` ``; show the key path the way a TOML user writes it."""
    return message.replace("`$.", "`").replace(" - at `$`", "")


class ConfigError(Exception):
    pass


def load_config(folder: Path | None = None) -> LoadedConfig:
    """Read ``config.toml`` and ``keymap.toml`` from ``folder`` (default: :func:`config_dir`)."""
    folder = config_dir() if folder is None else folder
    loaded = LoadedConfig()
    path = folder / CONFIG_FILE
    if path.is_file():
        try:
            loaded.config = _decode(path, Config)
        except ConfigError as exc:
            loaded.errors.append(f"{exc}; using the defaults")
    if theme_name(loaded.config.theme) is None:
        known = ", ".join(THEMES)
        loaded.errors.append(f"{path}: unknown theme {loaded.config.theme!r} (one of {known})")
        loaded.config = msgspec.structs.replace(loaded.config, theme=DEFAULT_THEME)
    keymap_path = folder / KEYMAP_FILE
    if keymap_path.is_file():
        try:
            extra = _decode(keymap_path, dict[str, str])
        except ConfigError as exc:
            loaded.errors.append(f"{exc}; keymap.toml ignored")
        else:
            loaded.config = msgspec.structs.replace(loaded.config, keymap={**loaded.config.keymap, **extra})
    return loaded
