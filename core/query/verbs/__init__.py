"""The built-in verbs, registered in the verb registry on import."""

from __future__ import annotations

from pt_tui.core.query.registry import VERBS, VerbSpec, register_verb
from pt_tui.core.query.verbs import context, info, search, traverse

BUILTIN: tuple[VerbSpec, ...] = (*traverse.SPECS, *search.SPECS, *info.SPECS, *context.SPECS)


def register_builtins() -> None:
    """Register every built-in verb not registered yet (idempotent)."""
    for spec in BUILTIN:
        if spec.name not in VERBS:
            register_verb(spec)


register_builtins()
