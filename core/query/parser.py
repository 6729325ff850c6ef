"""Parse query text into a typed :class:`Pipeline`, validated against the verb registry."""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence

from pt_tui.core.query.errors import QueryError
from pt_tui.core.query.lexer import Token, TokenKind, tokenize
from pt_tui.core.query.registry import VERBS, Option, Param, VerbSpec
from pt_tui.core.query.syntax import Arg, Pipeline, Stage
from pt_tui.core.query.types import ValueType

#: Longer queries are refused rather than lexed.
MAX_QUERY_CHARS = 4096


def parse_query(text: str, verbs: Mapping[str, VerbSpec] | None = None) -> Pipeline:
    """The pipeline of ``text``. Raises :class:`QueryError` with the column of the first problem."""
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(
            f"query too long ({len(text)} characters, at most {MAX_QUERY_CHARS})", MAX_QUERY_CHARS + 1
        )
    registry = VERBS if verbs is None else verbs
    tokens = tokenize(text)
    if not tokens:
        raise QueryError("empty query: expected a verb" + _verb_list(registry), len(text) + 1)
    stages: list[Stage] = []
    group: list[Token] = []
    for token in [*tokens, None]:
        if token is not None and token.kind is not TokenKind.PIPE:
            group.append(token)
            continue
        end = token.column if token is not None else len(text) + 1
        if not group:
            where = "before the first '|'" if not stages and token is not None else "after '|'"
            raise QueryError(f"empty stage {where}: expected a verb", end)
        stages.append(_stage(group, registry, first=not stages))
        group = []
    return Pipeline(tuple(stages))


def _stage(tokens: list[Token], registry: Mapping[str, VerbSpec], *, first: bool) -> Stage:
    head = tokens[0]
    if head.kind is TokenKind.OPTION:
        raise QueryError(f"expected a verb before option '--{head.text}'", head.column)
    spec = registry.get(head.text)
    if spec is None:
        close = difflib.get_close_matches(head.text, list(registry), n=3, cutoff=0.6)
        hint = f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else _verb_list(registry)
        raise QueryError(f"unknown verb {head.text!r}{hint}", head.column)
    if not first and not spec.accepts_input:
        raise QueryError(f"{spec.name!r} does not take input from a previous stage", head.column)
    end = tokens[-1].end
    positional: list[Token] = []
    options: dict[str, Arg] = {}
    i = 1
    while i < len(tokens):
        token = tokens[i]
        i += 1
        if token.kind is not TokenKind.OPTION:
            positional.append(token)
            continue
        option = _option_spec(spec, token)
        if token.value is not None:
            raw, column = token.value, token.value_column
        elif i < len(tokens) and tokens[i].kind is not TokenKind.OPTION:
            raw, column = tokens[i].text, tokens[i].column
            i += 1
        else:
            raise QueryError(f"option '--{option.name}' of {spec.name!r} needs a value", token.column)
        if option.name in options:
            raise QueryError(f"option '--{option.name}' given twice", token.column)
        options[option.name] = _convert(option.type, option.name, f"'--{option.name}'", raw, column)
    args, fed = _bind(spec, positional, first=first, end=end)
    return Stage(spec.name, tuple(args), tuple(options.values()), fed, head.column, end)


def _option_spec(spec: VerbSpec, token: Token) -> Option:
    option = spec.option_map.get(token.text)
    if option is not None:
        return option
    close = difflib.get_close_matches(token.text, list(spec.option_map), n=1, cutoff=0.5)
    if close:
        hint = f" (did you mean '--{close[0]}'?)"
    elif spec.option_map:
        hint = f" (options: {', '.join('--' + o for o in spec.option_map)})"
    else:
        hint = " (it takes no options)"
    raise QueryError(f"unknown option '--{token.text}' for {spec.name!r}{hint}", token.column)


def _bind(spec: VerbSpec, given: Sequence[Token], *, first: bool, end: int) -> tuple[list[Arg], str | None]:
    """Assign positional tokens to parameters; a later stage may omit the ``feeds`` parameter."""
    required = sum(1 for p in spec.params if p.required)
    fed = None
    params: list[Param] = list(spec.params)
    if not first and spec.feeds is not None and len(given) < required:
        fed = spec.feeds
        params = [p for p in params if p.name != fed]
    if len(given) > len(params):
        extra = given[len(params)]
        takes = f"takes {len(params)} argument{'s' if len(params) != 1 else ''}"
        raise QueryError(
            f"unexpected argument {extra.text!r}: {spec.name!r} {takes} (usage: {spec.usage()})", extra.column
        )
    args: list[Arg] = []
    for param, token in zip(params, given, strict=False):
        label = f"argument {param.name.upper()}"
        args.append(_convert(param.type, param.name, label, token.text, token.column))
    for param in params[len(given) :]:
        if param.required:
            usage = f"usage: {spec.usage()}"
            raise QueryError(f"missing argument {param.name.upper()} for {spec.name!r} ({usage})", end)
    return args, fed


def _convert(kind: ValueType, name: str, label: str, raw: str, column: int) -> Arg:
    try:
        value = kind.convert(raw)
    except ValueError as exc:
        raise QueryError(f"bad value for {label}: {exc}", column) from None
    return Arg(name, value, raw, column)


def _verb_list(registry: Mapping[str, VerbSpec]) -> str:
    return f" (verbs: {', '.join(sorted(registry))})" if registry else ""
