"""Entity lookup: qualname, short name, suffix at separators, case folding, ambiguity, suggestions."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from query_graphs import GraphBuilder, money, shop

from pt_tui.core.isg import ISG
from pt_tui.core.lang.base import FileFacts
from pt_tui.core.model import NodeKind
from pt_tui.core.query import AmbiguousEntity, EntityNotFound, QueryError, index_for, prepare, run_query
from pt_tui.core.query.errors import MAX_LISTED
from pt_tui.core.query.indexes import segment_starts
from pt_tui.core.query.lookup import candidates, find_entity

SHOP, N = shop()
MONEY, M = money()


def lookup(name: str, isg: ISG = SHOP) -> str:
    return find_entity(index_for(isg), name, 1).qualname


def test_segments_respect_angle_brackets() -> None:
    name = "pricing::money::<Money as fmt::Display>::fmt"
    starts = segment_starts(name)
    assert [name[s:] for s in starts][1:] == [
        "money::<Money as fmt::Display>::fmt",
        "<Money as fmt::Display>::fmt",
        "fmt",
    ]
    assert segment_starts("a.b.<lambda1>") == [0, 2, 4]
    assert segment_starts("f<T: Fn() -> u8>::g") == [0, 18]


@pytest.mark.parametrize(
    ("name", "qualname"),
    [
        ("shop.pricing.price", "shop.pricing.price"),  # exact qualname
        ("price", "shop.pricing.price"),  # exact short name
        ("pricing.price", "shop.pricing.price"),  # suffix at a separator
        ("Entity.__init__", "shop.models.Entity.__init__"),
        ("models.Product", "shop.models.Product"),
        ("SHOP.PRICING.PRICE", "shop.pricing.price"),  # case-insensitive qualname
        ("Place_Order", "shop.orders.place_order"),  # case-insensitive name
        ("Orders.Place_Order", "shop.orders.place_order"),  # case-insensitive suffix
    ],
)
def test_lookup_order(name: str, qualname: str) -> None:
    assert lookup(name) == qualname


def test_exact_qualname_wins_over_short_names() -> None:
    b = GraphBuilder()
    m = b.node(NodeKind.MODULE, "util", "util.py", 1, 10)
    b.node(NodeKind.FUNCTION, "pkg.util", "pkg.py", 1, 2)  # short name 'util' too
    b.node(NodeKind.FUNCTION, "util.helper", "util.py", 2, parent=m)
    isg = b.build()
    assert lookup("util", isg) == "util"
    assert lookup("helper", isg) == "util.helper"


def test_case_sensitive_match_wins_over_insensitive() -> None:
    b = GraphBuilder()
    m = b.node(NodeKind.MODULE, "m", "m.py", 1, 10)
    b.node(NodeKind.CLASS, "m.Node", "m.py", 2, parent=m)
    b.node(NodeKind.FUNCTION, "m.node", "m.py", 5, parent=m)
    isg = b.build()
    assert lookup("Node", isg) == "m.Node"
    assert lookup("node", isg) == "m.node"
    with pytest.raises(AmbiguousEntity):
        lookup("NODE", isg)


def test_rust_names_with_double_colons_and_trait_impls() -> None:
    assert lookup("Money::new", MONEY) == "pricing::money::Money::new"
    assert lookup("<Money as Display>::fmt", MONEY) == "pricing::money::<Money as Display>::fmt"
    assert lookup("money::<Money as Debug>::fmt", MONEY) == "pricing::money::<Money as Debug>::fmt"
    assert lookup("<impl Display for Money>", MONEY) == "pricing::money::<impl Display for Money>"
    result = run_query(MONEY, "callers <Money as Display>::fmt")
    assert [r.node.qualname for r in result.rows] == ["pricing::engine::quote"]


def test_ambiguous_short_name_lists_candidates() -> None:
    with pytest.raises(AmbiguousEntity) as info:
        run_query(MONEY, "callers fmt")
    error = info.value
    assert error.column == 9
    assert [n.qualname for n in error.candidates] == [
        "pricing::money::<Money as Debug>::fmt",
        "pricing::money::<Money as Display>::fmt",
    ]
    assert "pricing::money::<Money as Debug>::fmt (method, src/money.rs:33)" in str(error)
    assert "\n" not in str(error)


def test_ambiguity_lists_ten_and_counts_the_rest() -> None:
    b = GraphBuilder()
    for i in range(14):
        m = b.node(NodeKind.MODULE, f"m{i:02}", f"m{i:02}.py", 1, 5)
        b.node(NodeKind.FUNCTION, f"m{i:02}.run", f"m{i:02}.py", 2, parent=m)
    with pytest.raises(AmbiguousEntity) as info:
        run_query(b.build(), "show run")
    message = str(info.value)
    assert "14 entities match" in message
    assert message.count("(function, ") == MAX_LISTED
    assert message.endswith("; and 4 more")


def test_unknown_entity_suggests_close_names() -> None:
    with pytest.raises(EntityNotFound) as info:
        run_query(SHOP, "callers --depth 2 plce_order")
    assert info.value.column == 19
    assert info.value.suggestions[0] == "place_order"
    assert "did you mean 'place_order'" in str(info.value)


def test_unknown_qualified_entity_suggests_qualnames() -> None:
    with pytest.raises(EntityNotFound) as info:
        run_query(SHOP, "show shop.pricing.prise")
    assert info.value.suggestions[0] == "shop.pricing.price"


def test_unknown_entity_with_nothing_close() -> None:
    with pytest.raises(EntityNotFound) as info:
        run_query(SHOP, "show zzzzzzzz")
    assert str(info.value) == "query error at column 6: no entity named 'zzzzzzzz'"


def test_second_argument_error_has_its_column() -> None:
    with pytest.raises(EntityNotFound) as info:
        run_query(SHOP, "path main nowhere")
    assert info.value.column == 11


def test_unknown_and_ambiguous_files() -> None:
    with pytest.raises(
        QueryError, match=re.escape("no indexed file 'shop/model.py' (did you mean 'shop/models.py'")
    ):
        run_query(SHOP, "file shop/model.py")
    b = GraphBuilder()
    b.node(NodeKind.MODULE, "a.util", "a/util.py", 1, 2)
    b.node(NodeKind.MODULE, "b.util", "b/util.py", 1, 2)
    with pytest.raises(QueryError, match=re.escape("'util.py' matches 2 files: a/util.py, b/util.py")):
        run_query(b.build(), "file util.py")


def test_index_follows_graph_changes() -> None:
    b = GraphBuilder()
    m = b.node(NodeKind.MODULE, "m", "m.py", 1, 10)
    isg = b.build()
    assert candidates(index_for(isg), "late") == []
    late = GraphBuilder().node(NodeKind.FUNCTION, "m.late", "m2.py", 3, parent=m)
    isg.add_file(FileFacts(path="m2.py", language="python", module="", nodes=[late], edges=[]))
    assert [n.qualname for n in candidates(index_for(isg), "late")] == ["m.late"]
    assert [n.qualname for n in candidates(index_for(isg), "m.LATE")] == ["m.late"]


def test_prepare_builds_the_indexes_up_front() -> None:
    isg, _ = shop()
    prepare(isg)
    index = index_for(isg)
    assert {"_tails", "_folded_tails", "folded_names", "names", "qualnames"} <= set(vars(index))
    assert index_for(isg) is index


def _reference_starts(qualname: str) -> list[int]:
    """Segment starts by the plain rule: after ``.`` or ``::`` followed by something, outside ``<>``."""
    starts, depth, i = [0], 0, 0
    while i < len(qualname):
        ch = qualname[i]
        if ch == "<":
            depth += 1
        elif ch == ">" and depth and qualname[i - 1] != "-":
            depth -= 1
        elif depth == 0 and ch == "." and i + 1 < len(qualname):
            starts.append(i + 1)
        elif depth == 0 and qualname.startswith("::", i) and i + 2 < len(qualname):
            starts.append(i + 2)
            i += 1
        i += 1
    return starts


_qualnames = st.text(alphabet=st.sampled_from(list("ab.:<> -_#")), max_size=16)


@given(_qualnames)
def test_segment_starts_agrees_with_the_reference(qualname: str) -> None:
    assert segment_starts(qualname) == _reference_starts(qualname)


def test_suffix_lookup_needs_a_separator_outside_angle_brackets() -> None:
    b = GraphBuilder("rust")
    m = b.node(NodeKind.MODULE, "c::m", "m.rs", 1, 9)
    b.node(NodeKind.METHOD, "c::m::<Foo as a::Display>::fmt", "m.rs", 2, parent=m)
    b.node(NodeKind.FUNCTION, "c::m::xfmt", "m.rs", 5, parent=m)
    index = index_for(b.build())
    assert [index.isg.nodes[i].qualname for i in index.by_suffix("<Foo as a::Display>::fmt")] == [
        "c::m::<Foo as a::Display>::fmt"
    ]
    assert index.by_suffix("Display>::fmt") == []  # '::' inside <...> is no separator
    assert index.by_suffix("m::<FOO AS A::DISPLAY>::FMT", folded=True) != []
    assert [index.isg.nodes[i].qualname for i in index.by_suffix("m::xfmt")] == ["c::m::xfmt"]
