"""Language support, discovered: every module here that defines ``LANGUAGE`` is registered."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from pt_tui.core.lang.base import ExtractContext, FileFacts, Language, Resolver

__all__ = ["ExtractContext", "FileFacts", "Language", "Resolver", "language_for", "languages"]


@cache
def languages() -> dict[str, Language]:
    """All languages by name, discovered from the modules of this package."""
    found: dict[str, Language] = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name == "base" or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        language = getattr(module, "LANGUAGE", None)
        if isinstance(language, Language):
            found[language.name] = language
    return found


@cache
def _by_extension() -> dict[str, Language]:
    return {ext: lang for lang in languages().values() for ext in lang.extensions}


def language_for(filename: str) -> Language | None:
    """The language of a file by its extension, or None."""
    dot = filename.rfind(".")
    if dot < 0:
        return None
    return _by_extension().get(filename[dot:].lower())
