"""The verb registry (plugin verbs, spec validation, failing handlers) and completion."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from query_graphs import money, shop

from pt_tui.core.query import (
    VERBS,
    Call,
    Option,
    Output,
    Param,
    QueryError,
    ResultRow,
    VerbFailed,
    VerbSpec,
    complete,
    parse_query,
    register_verb,
    run_query,
    unregister_verb,
)
from pt_tui.core.query.types import Entity, Integer, Text

SHOP, N = shop()


def _siblings(call: Call) -> Output:
    """A plugin-style verb: the entities sharing the entity's parent, at most --limit."""
    rows = []
    for node in call.nodes("entity"):
        parent = node.parent
        rows += [ResultRow(node=n, via="sibling") for n in call.isg.nodes.values() if n.parent == parent]
    return Output(rows=rows[: call.integer("limit")], notes=[f"tag={call.text('tag')}"])


@pytest.fixture
def siblings() -> Iterator[VerbSpec]:
    spec = VerbSpec(
        "siblings",
        _siblings,
        (Param("entity", Entity()), Param("tag", Text(), required=False, default="none")),
        (Option("limit", Integer(minimum=1), 100),),
        "entities with the same parent",
        feeds="entity",
    )
    register_verb(spec)
    yield spec
    unregister_verb("siblings")


def test_a_registered_verb_parses_runs_and_pipes(siblings: VerbSpec) -> None:
    result = run_query(SHOP, "siblings render_tree --limit 2")
    assert len(result.rows) == 2 and result.notes == ["tag=none"]
    piped = run_query(SHOP, "search fact | siblings | callers")
    assert piped.notes[0] == "tag=none"
    assert piped.verb == "callers"
    assert [r.node.qualname for r in piped.rows] == [  # callers of the functions of shop.orders
        "shop.cli.main",
        "shop.orders.fact",
        "shop.orders.place_order",
        "shop.orders.render_node",
        "shop.orders.render_tree",
    ]
    # with as many arguments as it requires, a later stage names its entity itself
    assert run_query(SHOP, "search fact | siblings fact t1").notes == ["tag=t1"]
    with pytest.raises(
        QueryError, match="unknown option '--limt' for 'siblings' \\(did you mean '--limit'\\?\\)"
    ):
        parse_query("siblings x --limt 2")


def test_registering_twice_needs_replace(siblings: VerbSpec) -> None:
    with pytest.raises(ValueError, match="already registered"):
        register_verb(siblings)
    register_verb(siblings, replace=True)
    assert VERBS["siblings"] is siblings


@pytest.mark.parametrize("bad", ["", "two words", "--x", "a|b"])
def test_verb_names_are_validated(bad: str) -> None:
    with pytest.raises(ValueError, match="invalid verb name"):
        register_verb(VerbSpec(bad, _siblings))


def test_specs_are_validated() -> None:
    with pytest.raises(ValueError, match="duplicate"):
        VerbSpec("v", _siblings, (Param("a", Text()),), (Option("a", Text()),))
    with pytest.raises(ValueError, match="after an optional"):
        VerbSpec("v", _siblings, (Param("a", Text(), required=False), Param("b", Text())))
    with pytest.raises(ValueError, match="feeds must name an entity parameter"):
        VerbSpec("v", _siblings, (Param("a", Text()),), feeds="a")


def test_a_crashing_handler_becomes_a_query_error() -> None:
    def broken(call: Call) -> Output:
        raise ZeroDivisionError("boom")

    register_verb(VerbSpec("broken", broken))
    try:
        with pytest.raises(VerbFailed) as info:
            run_query(SHOP, "broken")
        assert str(info.value) == "query error at column 1: 'broken' failed: ZeroDivisionError: boom"
        assert isinstance(info.value.__cause__, ZeroDivisionError)
    finally:
        unregister_verb("broken")


def test_a_private_registry_can_be_passed() -> None:
    only = {"stats": VERBS["stats"]}
    assert run_query(SHOP, "stats", verbs=only).data["nodes"] == 22
    with pytest.raises(QueryError, match="unknown verb 'callers'"):
        run_query(SHOP, "callers main", verbs=only)


def test_usage_lines() -> None:
    assert VERBS["callers"].usage() == "callers ENTITY [--depth INT]"
    assert VERBS["cycles"].usage() == "cycles [KIND]"
    assert VERBS["search"].usage() == "search PATTERN [--kind KIND] [--limit INT]"


# -- completion ------------------------------------------------------------------------------------


def test_complete_verbs() -> None:
    assert complete("") == sorted(VERBS)
    assert complete("ca") == ["callees", "callers"]
    assert complete("search x | w") == ["what-implements"]


def test_complete_options_and_values() -> None:
    assert complete("callers x --d") == ["--depth"]
    assert complete("search x --") == ["--kind", "--limit"]
    assert complete("search x --kind m") == ["module", "method", "macro"]  # NodeKind order
    assert complete("cycles i") == ["imports"]
    assert complete("context x --format ") == ["md", "json"]


def test_complete_entities_and_files() -> None:
    assert complete("callers re", SHOP) == ["render_node", "render_tree"]
    assert complete("callers shop.orders.re", SHOP) == ["shop.orders.render_node", "shop.orders.render_tree"]
    assert complete("callers RE", SHOP) == ["render_node", "render_tree"]  # case-insensitive fallback
    assert complete("path main ap", SHOP) == ["apply_discount"]
    assert complete("callers re") == []  # no graph, no entities
    assert complete("file model", SHOP) == ["shop/models.py"]
    isg, _ = money()
    assert complete("show pricing::money::<M", isg) == [
        "pricing::money::<Money as Debug>::fmt",
        "pricing::money::<Money as Display>::fmt",
    ]


def test_complete_never_raises() -> None:
    assert complete("search 'unterminated") == []
    assert complete("nope x") == []
    assert complete("stats x y") == []
