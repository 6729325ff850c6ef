"""Each built-in verb on hand-made graphs with known answers."""

from __future__ import annotations

import msgspec
import pytest
from query_graphs import GraphBuilder, money, shop

from pt_tui.core.isg import ISG
from pt_tui.core.model import EdgeKind, Node, NodeKind
from pt_tui.core.query import QueryResult, run_query

SHOP, N = shop()
MONEY, M = money()


def rows(result: QueryResult) -> list[tuple[str, int | None]]:
    return [(r.node.qualname, r.distance) for r in result.rows]


def names(result: QueryResult) -> list[str]:
    return [r.node.qualname for r in result.rows]


# -- callers / callees ------------------------------------------------------------------------------


def test_callers_default_depth_is_one_with_call_sites() -> None:
    result = run_query(SHOP, "callers shop.pricing.log")
    assert rows(result) == [("shop.pricing.apply_discount", 1)]
    assert result.rows[0].via == "CALLS"
    assert result.rows[0].detail == "shop/pricing.py:31, shop/pricing.py:33"
    assert result.verb == "callers" and result.query == "callers shop.pricing.log"
    assert result.elapsed_us > 0


def test_callers_depth_limits_the_walk() -> None:
    assert rows(run_query(SHOP, "callers log --depth 2")) == [
        ("shop.pricing.apply_discount", 1),
        ("shop.pricing.price", 2),
    ]
    result = run_query(SHOP, "callers log --depth 10")
    assert rows(result) == [
        ("shop.pricing.apply_discount", 1),
        ("shop.pricing.price", 2),
        ("shop.orders.place_order", 3),
        ("shop.cli.main", 4),
    ]
    assert result.rows[2].detail == "via shop.pricing.price at shop/orders.py:7"


def test_callees_transitive() -> None:
    assert rows(run_query(SHOP, "callees main --depth 2")) == [
        ("shop.cli.parse", 1),
        ("shop.orders.place_order", 1),
        ("shop.orders.validate", 2),
        ("shop.pricing.price", 2),
    ]


def test_ambiguous_edges_are_marked_in_the_detail() -> None:
    result = run_query(SHOP, "callees validate")
    assert {r.detail for r in result.rows} == {"shop/orders.py:16 (ambiguous)"}


def test_self_recursion_reports_the_entity_as_its_own_caller() -> None:
    assert rows(run_query(SHOP, "callers fact")) == [("shop.orders.fact", 1)]


def test_mutual_recursion_terminates() -> None:
    assert rows(run_query(SHOP, "callers render_tree --depth 5")) == [
        ("shop.orders.render_node", 1),
        ("shop.orders.render_tree", 2),
    ]


def test_no_callers_is_an_empty_result() -> None:
    result = run_query(SHOP, "callers main")
    assert result.rows == [] and result.notes == []


# -- blast radius ------------------------------------------------------------------------------------


def test_blast_radius_of_a_class_follows_subclasses_users_and_member_callers() -> None:
    result = run_query(SHOP, "blast-radius shop.models.Entity")
    got = {(r.node.qualname, r.distance, r.via) for r in result.rows}
    assert got == {
        ("shop.models.Product", 1, "IMPLEMENTS"),
        ("shop.models.Product.__init__", 1, "CALLS"),  # calls the member Entity.__init__
        ("shop.models.Book", 2, "IMPLEMENTS"),
        ("shop.orders.place_order", 2, "USES"),
        ("shop.pricing.price", 2, "USES"),
        ("shop.cli.main", 3, "CALLS"),
    }
    member_row = next(r for r in result.rows if r.node.qualname == "shop.models.Product.__init__")
    assert member_row.detail == "via member shop.models.Entity.__init__ at shop/models.py:18"


def test_blast_radius_depth_and_importers() -> None:
    assert rows(run_query(SHOP, "blast-radius Entity --depth 1")) == [
        ("shop.models.Product", 1),
        ("shop.models.Product.__init__", 1),
    ]
    result = run_query(SHOP, "blast-radius shop.models --depth 2")
    assert {(r.node.qualname, r.via) for r in result.rows} == {
        ("shop.orders", "IMPORTS"),
        ("shop.pricing", "IMPORTS"),
        ("shop.cli", "IMPORTS"),
    }


def test_blast_radius_of_a_rust_struct_reaches_impl_methods_callers() -> None:
    result = run_query(MONEY, "blast-radius Money --depth 1")
    got = {(r.node.qualname, r.via) for r in result.rows}
    assert ("pricing::engine::quote", "USES") in got  # a user of the type
    assert ("pricing::money::<impl Money>", "USES") in got  # impls use their self type
    # quote calls Money::new, a member through the inherent impl: reached once, at distance 1
    assert [r.distance for r in result.rows if r.node.qualname == "pricing::engine::quote"] == [1]


# -- what-implements / uses ------------------------------------------------------------------------


def test_what_implements_is_transitive_by_default_and_depth_limited() -> None:
    assert rows(run_query(SHOP, "what-implements Entity")) == [
        ("shop.models.Product", 1),
        ("shop.models.Book", 2),
    ]
    assert rows(run_query(SHOP, "what-implements Entity --depth 1")) == [("shop.models.Product", 1)]


def test_what_implements_a_trait() -> None:
    assert names(run_query(MONEY, "what-implements pricing::fmt::Display")) == ["pricing::money::Money"]


def test_uses() -> None:
    result = run_query(SHOP, "uses Product")
    assert rows(result) == [("shop.orders.place_order", 1), ("shop.pricing.price", 1)]
    assert [r.detail for r in result.rows] == ["shop/orders.py:5", "shop/pricing.py:10"]


# -- cycles --------------------------------------------------------------------------------------------


def test_cycles_of_calls_include_self_loops_largest_first() -> None:
    result = run_query(SHOP, "cycles")
    assert [(r.node.qualname, r.group) for r in result.rows] == [
        ("shop.orders.render_node", 1),
        ("shop.orders.render_tree", 1),
        ("shop.orders.fact", 2),
    ]
    assert result.data == {"cycles": 2, "sizes": [2, 1]}


def test_cycles_of_imports() -> None:
    result = run_query(SHOP, "cycles imports")
    assert [(r.node.qualname, r.group, r.via) for r in result.rows] == [
        ("shop.orders", 1, "IMPORTS"),
        ("shop.pricing", 1, "IMPORTS"),
    ]


def _ring(size: int, extra_self_loop: bool = False) -> ISG:
    b = GraphBuilder()
    mod = b.node(NodeKind.MODULE, "big", "big.py", 1, size + 2)
    fns = [b.node(NodeKind.FUNCTION, f"big.f{i}", "big.py", i + 2, parent=mod) for i in range(size)]
    for i, fn in enumerate(fns):
        b.edge(fn, fns[(i + 1) % size])
    if extra_self_loop:
        b.edge(mod, mod)
    return b.build()


def test_cycles_on_a_deep_ring_need_no_recursion() -> None:
    result = run_query(_ring(20_000, extra_self_loop=True), "cycles")
    assert result.data["sizes"] == [20_000, 1]
    assert result.rows[-1].node.qualname == "big" and result.rows[-1].group == 2


def test_cycles_are_recomputed_when_the_graph_grows() -> None:
    b = GraphBuilder()
    mod = b.node(NodeKind.MODULE, "m", "m.py", 1, 9)
    f = b.node(NodeKind.FUNCTION, "m.f", "m.py", 2, parent=mod)
    g = b.node(NodeKind.FUNCTION, "m.g", "m.py", 4, parent=mod)
    b.edge(f, g)
    isg = b.build()
    assert run_query(isg, "cycles").rows == []
    isg.add_edges([msgspec.structs.replace(b.edges[0], src=g.id, dst=f.id)])
    assert names(run_query(isg, "cycles")) == ["m.f", "m.g"]


# -- path --------------------------------------------------------------------------------------------


def test_path_is_the_shortest_calls_path_with_sites() -> None:
    result = run_query(SHOP, "path main log")
    assert rows(result) == [
        ("shop.cli.main", 0),
        ("shop.orders.place_order", 1),
        ("shop.pricing.price", 2),
        ("shop.pricing.apply_discount", 3),
        ("shop.pricing.log", 4),
    ]
    assert [r.detail for r in result.rows] == [
        "shop/cli.py:3",
        "shop/cli.py:4",
        "shop/orders.py:7",
        "shop/pricing.py:12",
        "shop/pricing.py:31",
    ]


def test_path_prefers_the_shortest_route() -> None:
    b = GraphBuilder()
    mod = b.node(NodeKind.MODULE, "m", "m.py", 1, 20)
    a, x, y, z = (
        b.node(NodeKind.FUNCTION, f"m.{c}", "m.py", i + 2, parent=mod) for i, c in enumerate("axyz")
    )
    b.edge(a, x)
    b.edge(x, y)
    b.edge(y, z)
    b.edge(a, z, line=9)
    assert names(run_query(b.build(), "path m.a m.z")) == ["m.a", "m.z"]


def test_no_path_says_so_and_hints_at_the_other_direction() -> None:
    result = run_query(SHOP, "path log main")
    assert result.rows == []
    assert result.notes == [
        "no CALLS path from shop.pricing.log to shop.cli.main",
        "a path exists in the other direction (swap the arguments)",
    ]


def test_path_to_itself() -> None:
    assert rows(run_query(SHOP, "path main main")) == [("shop.cli.main", 0)]


# -- search ------------------------------------------------------------------------------------------


def test_search_substring_ranks_exact_then_prefix_then_shorter() -> None:
    result = run_query(SHOP, "search pr")
    assert names(result) == ["shop.pricing.price", "shop.models.Product", "shop.pricing"]
    assert {r.via for r in result.rows} == {"substring"}
    assert names(run_query(SHOP, "search price"))[0] == "shop.pricing.price"


def test_search_smart_case() -> None:
    assert names(run_query(SHOP, "search product")) == ["shop.models.Product"]
    assert names(run_query(SHOP, "search Product")) == ["shop.models.Product"]
    result = run_query(SHOP, "search PRODUCT")
    assert result.rows and {r.via for r in result.rows} == {"fuzzy"}


def test_search_glob_and_kind_filter() -> None:
    assert names(run_query(SHOP, "search render_*")) == ["shop.orders.render_node", "shop.orders.render_tree"]
    assert names(run_query(SHOP, "search *init*")) == [
        "shop.models.Entity.__init__",
        "shop.models.Product.__init__",
    ]
    assert names(run_query(SHOP, "search p* --kind class")) == ["shop.models.Product"]
    assert names(run_query(SHOP, "search p* --kind module,class")) == ["shop.models.Product", "shop.pricing"]
    assert names(run_query(SHOP, "search [a-f]*ct")) == ["shop.orders.fact"]


def test_search_qualified_pattern_matches_qualnames() -> None:
    assert names(run_query(SHOP, "search models.*.__init__")) == [
        "shop.models.Entity.__init__",
        "shop.models.Product.__init__",
    ]


def test_search_limit_reports_truncation() -> None:
    result = run_query(SHOP, "search e --limit 3")
    assert len(result.rows) == 3
    total = result.data["matches"]
    assert total > 3
    assert result.notes == [f"showing 3 of {total} matches (raise --limit to see more)"]


def test_search_fuzzy_fallback() -> None:
    result = run_query(SHOP, "search rndr")
    assert names(result) == ["shop.orders.render_node", "shop.orders.render_tree"]
    assert result.notes == ["no substring match for 'rndr': fuzzy matches"]
    assert "shop.pricing.price" in names(run_query(SHOP, "search prise"))


def test_search_nothing() -> None:
    assert run_query(SHOP, "search qqqqqq").rows == []


def test_search_in_a_later_stage_filters_its_input() -> None:
    result = run_query(SHOP, "callers log --depth 9 | search p*")
    assert names(result) == ["shop.pricing.price", "shop.orders.place_order"]


# -- pipelines ---------------------------------------------------------------------------------------


def test_pipeline_feeds_entities_to_the_next_stage() -> None:
    result = run_query(SHOP, "search render* --kind function | callers")
    assert rows(result) == [("shop.orders.render_node", 1), ("shop.orders.render_tree", 1)]
    three = run_query(SHOP, "search apply_discount | callers | callers")
    assert rows(three) == [("shop.orders.place_order", 1)]


def test_pipeline_into_path_feeds_the_source() -> None:
    assert names(run_query(SHOP, "search main | path price")) == [
        "shop.cli.main",
        "shop.orders.place_order",
        "shop.pricing.price",
    ]


def test_pipeline_with_empty_input_says_so() -> None:
    result = run_query(SHOP, "callers main | callers")
    assert result.rows == []
    assert result.notes == ["'callers' received no entities: the previous stage found none"]


# -- show, file, stats ----------------------------------------------------------------------------------


def test_show_describes_the_entity() -> None:
    result = run_query(SHOP, "show price")
    assert names(result) == ["shop.pricing.price"]
    assert result.text.splitlines() == [
        "function shop.pricing.price",
        "  signature: def price(product: Product) -> float",
        "  at: shop/pricing.py:10-20 (python, public)",
        "  doc: Price a product.",
        "  in: module shop.pricing",
        "  edges in: CALLS 1, IMPLEMENTS 0, USES 0, CONTAINS 1, IMPORTS 0",
        "  edges out: CALLS 2, IMPLEMENTS 0, USES 1, CONTAINS 0, IMPORTS 0",
    ]
    (entity,) = result.data["entities"]
    assert entity["in"]["CALLS"] == 1 and entity["out"]["USES"] == 1


def test_show_many_from_a_pipeline() -> None:
    result = run_query(SHOP, "search render* | show")
    assert result.text.count("function shop.orders.render_") == 2


def test_file_lists_entities_in_line_order_with_nesting() -> None:
    result = run_query(SHOP, "file shop/models.py")
    assert [(r.node.qualname, r.distance) for r in result.rows] == [
        ("shop.models", 0),
        ("shop.models.Entity", 1),
        ("shop.models.Entity.__init__", 2),
        ("shop.models.Entity.describe", 2),
        ("shop.models.Product", 1),
        ("shop.models.Product.__init__", 2),
        ("shop.models.Book", 1),
    ]
    assert result.data["language"] == "python"
    assert names(run_query(SHOP, "file models.py")) == names(result)  # a unique suffix
    assert names(run_query(SHOP, "file ./shop/models.py")) == names(result)
    assert names(run_query(SHOP, "file shop.models")) == names(result)  # an entity's file


def test_stats_counts() -> None:
    result = run_query(SHOP, "stats")
    assert result.data["nodes"] == SHOP.node_count == 22
    assert result.data["edges"] == SHOP.edge_count
    assert result.data["files"] == 5
    assert result.data["node_kinds"] == {"class": 3, "function": 11, "method": 3, "module": 5}
    assert result.data["edge_kinds"]["CALLS"] == 14
    assert result.data["languages"] == {"python": 5}
    assert result.text.startswith("22 nodes, ")


def test_results_serialise_with_msgspec() -> None:
    result = run_query(SHOP, "callers log --depth 2")
    decoded = msgspec.json.decode(msgspec.json.encode(result), type=QueryResult)
    assert decoded == result
    assert isinstance(decoded.rows[0].node, Node)


@pytest.mark.parametrize("kind", [EdgeKind.CALLS, EdgeKind.IMPORTS])
def test_empty_graph(kind: EdgeKind) -> None:
    empty = ISG()
    assert run_query(empty, f"cycles {kind.lower()}").rows == []
    assert run_query(empty, "stats").data["nodes"] == 0
    assert run_query(empty, "search x").rows == []
    assert run_query(empty, "search *").rows == []


def test_broad_search_stops_scanning_but_keeps_exact_matches(monkeypatch: pytest.MonkeyPatch) -> None:
    from pt_tui.core.query.verbs import search as search_verb

    monkeypatch.setattr(search_verb, "MAX_SCAN", 3)
    b = GraphBuilder()
    mod = b.node(NodeKind.MODULE, "m", "m.py", 1, 99)
    for i, name in enumerate(["arun", "brun", "crun", "drun", "run_x", "zz"]):
        b.node(NodeKind.FUNCTION, f"m.{name}", "m.py", i + 2, parent=mod)
    b.node(NodeKind.FUNCTION, "m.run", "m.py", 20, parent=mod)
    isg = b.build()
    result = run_query(isg, "search run --limit 2")
    # the scan stops after arun, brun, crun; the exact match is added although it sorts later
    assert names(result) == ["m.run", "m.arun"]
    assert result.data["complete"] is False
    assert result.notes == ["more than 3 names match 'run': ranked the first 3 (alphabetically) only"]
    assert run_query(isg, "search zz").data == {"matches": 1, "complete": True}
