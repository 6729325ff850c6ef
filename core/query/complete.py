"""Completion for an interactive query line: verbs, options, choices, kinds, entity names, paths."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from pt_tui.core.isg import ISG
from pt_tui.core.query.errors import QueryError
from pt_tui.core.query.indexes import Search, has_separator, index_for
from pt_tui.core.query.lexer import Token, TokenKind, tokenize
from pt_tui.core.query.registry import VERBS, VerbSpec
from pt_tui.core.query.types import Entity, FilePath, ValueType


def complete(
    text: str, isg: ISG | None = None, *, limit: int = 20, verbs: Mapping[str, VerbSpec] | None = None
) -> list[str]:
    """Candidates for the token being typed at the end of ``text`` (the text after the last
    whitespace or ``|``); each candidate replaces that token. Entity names need ``isg``."""
    registry = VERBS if verbs is None else verbs
    start = len(text)
    while start > 0 and not text[start - 1].isspace() and text[start - 1] != "|":
        start -= 1
    partial = text[start:]
    try:
        before = tokenize(text[:start])
    except QueryError:
        return []
    stage = _current_stage(before)
    if not stage:
        return sorted(v for v in registry if v.startswith(partial))[:limit]
    spec = registry.get(stage[0].text)
    if spec is None:
        return []
    if partial.startswith("-"):
        return [f"--{o}" for o in spec.option_map if f"--{o}".startswith(partial)][:limit]
    kind = _expected(spec, stage[1:])
    if kind is None:
        return []
    if isinstance(kind, Entity):
        return _entities(isg, partial, limit) if isg is not None else []
    if isinstance(kind, FilePath):
        return sorted(f for f in isg.files if partial in f)[:limit] if isg is not None else []
    return [c for c in kind.choices() if c.startswith(partial)][:limit]


def _current_stage(tokens: Sequence[Token]) -> list[Token]:
    stage: list[Token] = []
    for token in tokens:
        stage = [] if token.kind is TokenKind.PIPE else [*stage, token]
    return stage


def _expected(spec: VerbSpec, args: Sequence[Token]) -> ValueType | None:
    """The type of the value that comes next after ``args``."""
    positional = 0
    i = 0
    while i < len(args):
        token = args[i]
        if token.kind is TokenKind.OPTION:
            option = spec.option_map.get(token.text)
            if token.value is None:
                if i == len(args) - 1:
                    return option.type if option else None
                i += 1
        else:
            positional += 1
        i += 1
    return spec.params[positional].type if positional < len(spec.params) else None


def _entities(isg: ISG, prefix: str, limit: int) -> list[str]:
    index = index_for(isg)
    table = index.qualnames if has_separator(prefix) else index.names
    found = table.with_prefix(prefix, limit)
    if not found and prefix:
        found = table.matching(Search(re.compile("\n" + re.escape(prefix.lower())), folded=True))[:limit]
    return found
