"""The query lexer and parser: tokens, typed values, pipelines, errors with columns (unit + Hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from query_graphs import shop

from pt_tui.core.query import VERBS, Pipeline, QueryError, VerbFailed, parse_query, render_caret, run_query
from pt_tui.core.query.lexer import TokenKind, tokenize
from pt_tui.core.query.parser import MAX_QUERY_CHARS
from pt_tui.core.query.syntax import quote
from pt_tui.core.query.types import Choice, Entity, FilePath, Integer, Kinds, Text

# -- lexer ------------------------------------------------------------------------------------------


def test_tokens_words_strings_options_and_pipes() -> None:
    tokens = tokenize("""search "a b" --kind=function --limit 3 | callers 'it\\'s' """)
    assert [(t.kind, t.text) for t in tokens] == [
        (TokenKind.WORD, "search"),
        (TokenKind.STRING, "a b"),
        (TokenKind.OPTION, "kind"),
        (TokenKind.OPTION, "limit"),
        (TokenKind.WORD, "3"),
        (TokenKind.PIPE, "|"),
        (TokenKind.WORD, "callers"),
        (TokenKind.STRING, "it's"),
    ]
    assert tokens[2].value == "function"
    assert tokens[2].value_column == len('search "a b" --kind=') + 1
    assert [t.column for t in tokens[:2]] == [1, 8]


def test_escapes_in_strings() -> None:
    (token,) = tokenize(r'"a\"b\\c\nd\te\qf"')
    assert token.text == 'a"b\\c\nd\te\\qf'


def test_angle_brackets_group_spaces_into_one_word() -> None:
    tokens = tokenize("show <Money as Display>::fmt | callers")
    assert tokens[1].text == "<Money as Display>::fmt"
    assert tokens[2].kind is TokenKind.PIPE


def test_unbalanced_angle_bracket_is_an_ordinary_character() -> None:
    assert [t.text for t in tokenize("search <lambda x")] == ["search", "<lambda", "x"]


def test_pipe_ends_a_word() -> None:
    assert [t.text for t in tokenize("stats|stats")] == ["stats", "|", "stats"]


# -- parser -----------------------------------------------------------------------------------------


def test_parse_converts_values_and_fills_the_fed_parameter() -> None:
    pipeline = parse_query("search parse* --kind function,METHOD | callers --depth 2")
    first, second = pipeline.stages
    assert first.verb == "search"
    assert first.arg("pattern") is not None and first.arg("pattern").value == "parse*"  # type: ignore[union-attr]
    assert first.arg("kind").value == ("function", "method")  # type: ignore[union-attr]
    assert first.fed is None
    assert second.verb == "callers"
    assert second.fed == "entity"
    assert second.arg("depth").value == 2  # type: ignore[union-attr]
    assert second.args == ()


def test_fed_parameter_of_path_is_the_source() -> None:
    stage = parse_query("search main | path log").stages[1]
    assert stage.fed == "source"
    assert [(a.name, a.value) for a in stage.args] == [("target", "log")]


def test_explicit_argument_in_a_later_stage_is_not_fed() -> None:
    stage = parse_query("search x | callers price").stages[1]
    assert stage.fed is None and stage.args[0].value == "price"


def test_optional_positional_parameter() -> None:
    assert parse_query("cycles").stages[0].args == ()
    assert parse_query("cycles imports").stages[0].args[0].value == "imports"


def test_render_is_canonical_and_reparses_equal() -> None:
    pipeline = parse_query("search   'a b'   --limit=5|callers --depth 02")
    assert pipeline.render() == 'search "a b" --limit 5 | callers --depth 02'
    assert parse_query(pipeline.render()) == pipeline


@pytest.mark.parametrize(
    ("query", "column", "fragment"),
    [
        ("", 1, "empty query"),
        ("   ", 4, "empty query"),
        ("calers x", 1, "unknown verb 'calers' (did you mean 'callers'"),
        ("zzzz", 1, "(verbs: "),
        ("callers price --dept 2", 15, "unknown option '--dept' for 'callers' (did you mean '--depth'?)"),
        ("callers price --depth x", 23, "bad value for '--depth': expected an integer, got 'x'"),
        ("callers price --depth 0", 23, "must be at least 1"),
        ("callers price --depth", 15, "option '--depth' of 'callers' needs a value"),
        ("callers price --depth --depth 2", 15, "needs a value"),
        ("callers price --depth 1 --depth 2", 25, "given twice"),
        ("callers", 8, "missing argument ENTITY for 'callers' (usage: callers ENTITY [--depth INT])"),
        ("path a", 7, "missing argument TARGET"),
        ("callers a b", 11, "unexpected argument 'b': 'callers' takes 1 argument"),
        ("search 'abc", 8, "unterminated string"),
        ('search "abc', 8, 'missing closing "'),
        ("stats | | stats", 9, "empty stage after '|'"),
        ("| stats", 1, "empty stage before the first '|'"),
        ("stats |", 8, "empty stage after '|'"),
        ("search x --kind fnction", 17, "unknown kind 'fnction' (did you mean 'function'?)"),
        ("search x --kind function,bogus", 17, "unknown kind 'bogus'"),
        ("cycles call", 8, "expected one of calls, imports; got 'call' (did you mean 'calls'?)"),
        ("--depth 3", 1, "expected a verb before option '--depth'"),
        ("search x --=3", 10, "empty option name"),
        ("callers x | stats", 13, "'stats' does not take input from a previous stage"),
        ("stats --depth 2", 7, "(it takes no options)"),
        ("search x --bogus 1", 10, "(options: --kind, --limit)"),
    ],
)
def test_errors_name_the_problem_and_its_column(query: str, column: int, fragment: str) -> None:
    with pytest.raises(QueryError) as info:
        parse_query(query)
    assert fragment in info.value.message
    assert info.value.column == column
    assert str(info.value) == f"query error at column {column}: {info.value.message}"
    assert "\n" not in str(info.value)


def test_too_long_query_is_refused() -> None:
    with pytest.raises(QueryError, match="too long"):
        parse_query("stats " + "x" * MAX_QUERY_CHARS)


def test_caret_points_at_the_column() -> None:
    with pytest.raises(QueryError) as info:
        parse_query("callers price --dept 2")
    query_line, caret_line = info.value.caret("callers price --dept 2").split("\n")
    assert query_line == "callers price --dept 2"
    assert caret_line == " " * 14 + "^"
    assert render_caret("a\tb", 3) == "a b\n  ^"


# -- Hypothesis -------------------------------------------------------------------------------------

_FRAGMENTS = [
    *VERBS,
    "--depth", "--depth=", "--kind", "--limit", "--format", "--max-tokens", "--", "-", "=",
    "3", "0", "-1", "x", "'", '"', "\\", "<", ">", "|", "||", " ", "  ", "\t", "*", "[", "]", "?",
    "function", "calls", "imports", "md", "json", "price", "parse", "Entity.__init__", "::", ".",
]  # fmt: skip

_query_like = st.one_of(
    st.text(max_size=60),
    st.lists(st.sampled_from(_FRAGMENTS), max_size=12).map(" ".join),
    st.lists(st.sampled_from(_FRAGMENTS), max_size=12).map("".join),
)


def _check_column(error: QueryError, text: str) -> None:
    assert 1 <= error.column <= len(text) + 1
    assert "\n" not in str(error)


@settings(max_examples=400, deadline=None)
@given(_query_like)
def test_arbitrary_text_only_ever_raises_query_error(text: str) -> None:
    try:
        parse_query(text)
    except QueryError as exc:
        _check_column(exc, text)


_SHOP, _ = shop()


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_query_like)
def test_arbitrary_text_runs_or_raises_query_error_on_a_graph(text: str) -> None:
    try:
        result = run_query(_SHOP, text)
    except VerbFailed:  # a handler crashed: that is a bug, not a bad query
        raise
    except QueryError as exc:
        _check_column(exc, text)
    else:
        assert result.elapsed_us > 0


_word = st.text(min_size=1, max_size=12).filter(lambda s: "\x00" not in s)


def _value_text(kind: object) -> st.SearchStrategy[str]:
    if isinstance(kind, Integer):
        low = kind.minimum if kind.minimum is not None else -5
        return st.integers(low, low + 1000).map(str)
    if isinstance(kind, Choice):
        return st.sampled_from(kind.options)
    if isinstance(kind, Kinds):
        return st.lists(st.sampled_from(list(kind.choices())), min_size=1, max_size=3, unique=True).map(
            ",".join
        )
    assert isinstance(kind, Text | Entity | FilePath)
    return _word


@st.composite
def _stage(draw: st.DrawFn, first: bool) -> tuple[str, list[str], list[tuple[str, str]]]:
    names = sorted(n for n, s in VERBS.items() if first or s.accepts_input)
    spec = VERBS[draw(st.sampled_from(names))]
    feed = not first and spec.feeds is not None and draw(st.booleans())
    params = [p for p in spec.params if not (feed and p.name == spec.feeds)]
    count = sum(1 for p in params if p.required)
    count = draw(st.integers(count, len(params)))
    args = [draw(_value_text(p.type)) for p in params[:count]]
    chosen = draw(st.lists(st.sampled_from(spec.options), unique_by=lambda o: o.name)) if spec.options else []
    options = [(o.name, draw(_value_text(o.type))) for o in chosen]
    return spec.name, args, options


@st.composite
def _pipeline(draw: st.DrawFn) -> list[tuple[str, list[str], list[tuple[str, str]]]]:
    stages = [draw(_stage(True))]
    stages += draw(st.lists(_stage(False), max_size=3))
    return stages


def _text(stages: list[tuple[str, list[str], list[tuple[str, str]]]], inline: bool) -> str:
    parts = []
    for verb, args, options in stages:
        words = [verb, *(quote(a) for a in args)]
        for name, value in options:
            words.append(f"--{name}={quote(value)}" if inline and not value.startswith("-") else f"--{name}")
            if not (inline and not value.startswith("-")):
                words.append(quote(value))
        parts.append(" ".join(words))
    return " | ".join(parts)


@settings(max_examples=300, deadline=None)
@given(_pipeline(), st.booleans())
def test_valid_generated_queries_round_trip(
    stages: list[tuple[str, list[str], list[tuple[str, str]]]], inline: bool
) -> None:
    text = _text(stages, inline)
    pipeline = parse_query(text)
    assert isinstance(pipeline, Pipeline)
    assert [s.verb for s in pipeline.stages] == [s[0] for s in stages]
    for stage, (_, args, options) in zip(pipeline.stages, stages, strict=True):
        assert [a.text for a in stage.args] == args
        assert [(o.name, o.text) for o in stage.options] == options
        for opt in stage.options:
            if isinstance(VERBS[stage.verb].option_map[opt.name].type, Integer):
                assert opt.value == int(opt.text)
    rendered = pipeline.render()
    assert parse_query(rendered) == pipeline
    assert parse_query(rendered).render() == rendered


@given(st.text(max_size=30))
def test_quote_reads_back_as_one_token(value: str) -> None:
    tokens = tokenize(quote(value))
    assert len(tokens) == 1
    assert tokens[0].kind in (TokenKind.WORD, TokenKind.STRING)
    assert tokens[0].text == value
