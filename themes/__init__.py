"""The dashboard's themes as :class:`textual.theme.Theme` objects: dark, light, high contrast, monochrome.

``.tcss`` files use the theme's variables (``$primary``, ``$panel``, ``$border``...), never literal
colours, so every pane follows the theme. ``NO_COLOR`` selects :data:`MONOCHROME`.
"""

from __future__ import annotations

from textual.theme import Theme

DARK = Theme(
    name="pt-dark",
    primary="#5FAFFF",
    secondary="#87D7AF",
    accent="#FFAF5F",
    foreground="#D0D0D0",
    background="#121417",
    surface="#1B1E23",
    panel="#252A31",
    warning="#FFD75F",
    error="#FF5F5F",
    success="#87D787",
    dark=True,
)

LIGHT = Theme(
    name="pt-light",
    primary="#005FAF",
    secondary="#007F5F",
    accent="#AF5F00",
    foreground="#1C1C1C",
    background="#F7F7F5",
    surface="#EDEDEA",
    panel="#E0E0DC",
    warning="#8A6D00",
    error="#C0262D",
    success="#2E7D32",
    dark=False,
)

HIGH_CONTRAST = Theme(
    name="pt-high-contrast",
    primary="#FFFF00",
    secondary="#00FFFF",
    accent="#FF00FF",
    foreground="#FFFFFF",
    background="#000000",
    surface="#000000",
    panel="#1A1A1A",
    warning="#FFFF00",
    error="#FF3030",
    success="#00FF00",
    dark=True,
    variables={"border": "#FFFFFF", "border-blurred": "#BBBBBB"},
)

MONOCHROME = Theme(
    name="pt-monochrome",
    primary="#E0E0E0",
    secondary="#B0B0B0",
    accent="#FFFFFF",
    foreground="#E0E0E0",
    background="#000000",
    surface="#101010",
    panel="#202020",
    warning="#FFFFFF",
    error="#FFFFFF",
    success="#C0C0C0",
    dark=True,
)

#: Short names (as written in the config file) -> themes.
THEMES: dict[str, Theme] = {
    "dark": DARK,
    "light": LIGHT,
    "high-contrast": HIGH_CONTRAST,
    "monochrome": MONOCHROME,
}

DEFAULT_THEME = "dark"


def theme_name(short_or_full: str) -> str | None:
    """The registered name of a theme given by its short (``dark``) or full (``pt-dark``) name."""
    if short_or_full in THEMES:
        return THEMES[short_or_full].name
    names = {t.name for t in THEMES.values()}
    return short_or_full if short_or_full in names else None


__all__ = ["DARK", "DEFAULT_THEME", "HIGH_CONTRAST", "LIGHT", "MONOCHROME", "THEMES", "theme_name"]
