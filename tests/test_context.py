"""LLM context: contents, the source excerpt from disk, the token bound and what trimming says."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from query_graphs import SHOP_SOURCES, GraphBuilder, shop, write_sources

from pt_tui.core.context import build_context, estimate_tokens
from pt_tui.core.isg import ISG
from pt_tui.core.model import EdgeKind, Node, NodeKind
from pt_tui.core.query import run_query

SHOP, N = shop()


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("shop")
    write_sources(path, SHOP_SOURCES)
    return path


def test_markdown_context_has_every_part(root: Path) -> None:
    result = run_query(SHOP, "context Product", root=root)
    text = result.text
    assert text.startswith("# class `shop.models.Product`\n")
    assert "- location: `shop/models.py:14-19` (python, public)" in text
    assert "- in: module `shop.models`" in text
    assert "- signature: `class Product(Entity)`" in text
    assert "- doc: Something to sell." in text
    assert "## Bases / implements (1)\n- `shop.models.Entity` (class, shop/models.py:4)" in text
    assert "## Implementors / subclasses (1)\n- `shop.models.Book` (class, shop/models.py:22)" in text
    assert "## Members (1)\n- `shop.models.Product.__init__` (method, shop/models.py:17)" in text
    assert "## Used by (2)" in text
    assert "## Source (shop/models.py:14-19)\n```python\nclass Product(Entity):\n" in text
    assert "        self.price = price\n```" in text
    assert result.notes == []
    assert estimate_tokens(text) <= 2000
    assert [r.node.qualname for r in result.rows] == ["shop.models.Product"]


def test_callers_show_call_sites_and_callees_definitions(root: Path) -> None:
    text = run_query(SHOP, "context price", root=root).text
    assert "## Callers (1)\n- `shop.orders.place_order` (function) at shop/orders.py:7" in text
    assert "- `shop.pricing.apply_discount` (function, shop/pricing.py:30)" in text
    assert "## Uses types (1)" in text


def test_missing_source_is_noted(root: Path) -> None:
    result = run_query(SHOP, "context price", root=root)
    assert "## Source" not in result.text
    assert result.notes == ["source file not readable: shop/pricing.py (No such file or directory)"]
    assert "_Trimmed or missing: source file not readable" in result.text


def test_no_root_is_noted() -> None:
    result = run_query(SHOP, "context Product")
    assert result.notes == ["source not available: no root folder given"]


def test_source_outside_the_root_is_not_read(tmp_path: Path) -> None:
    (tmp_path / "secret.py").write_text("x = 1\n")
    inner = tmp_path / "inner"
    inner.mkdir()
    b = GraphBuilder()
    node = b.node(NodeKind.MODULE, "secret", "../secret.py", 1, 1)
    context = build_context(b.build(), node, root=inner)
    assert context.notes == ["source not shown: ../secret.py is outside the indexed root"]


def test_json_context(root: Path) -> None:
    result = run_query(SHOP, "context Product --format json", root=root)
    data = json.loads(result.text)
    assert data == result.data
    assert data["entity"]["qualname"] == "shop.models.Product"
    assert data["entity"]["kind"] == "class"
    assert data["entity"]["doc"] == "Something to sell."
    assert data["bases"] == [
        {"qualname": "shop.models.Entity", "kind": "class", "file": "shop/models.py", "line": 4}
    ]
    assert data["source"]["start"] == 14 and data["source"]["end"] == 19
    assert data["source"]["text"].startswith("class Product(Entity):")
    callers = run_query(SHOP, "context apply_discount --format json").data["callers"]
    assert callers == [{"qualname": "shop.pricing.price", "kind": "function", "site": "shop/pricing.py:12"}]


# -- the token bound ---------------------------------------------------------------------------------


def _long_function(tmp_path: Path, lines: int = 300, callers: int = 30) -> tuple[ISG, Node]:
    body = "".join(f"    total += step_{i}(x)  # line {i}\n" for i in range(lines - 1))
    write_sources(tmp_path, {"big.py": "def work(x):\n" + body})
    b = GraphBuilder()
    mod = b.node(NodeKind.MODULE, "big", "big.py", 1, lines)
    work = b.node(
        NodeKind.FUNCTION, "big.work", "big.py", 1, lines, parent=mod, signature="def work(x)", doc="Work."
    )
    for i in range(callers):
        caller = b.node(NodeKind.FUNCTION, f"users.caller_{i:02}", "users.py", i + 1)
        b.edge(caller, work, line=i + 1)
    return b.build(), work


def test_excerpt_is_trimmed_first(tmp_path: Path) -> None:
    isg, work = _long_function(tmp_path)
    context = build_context(isg, work, root=tmp_path, max_tokens=1500)
    assert context.tokens <= 1500
    assert "## Callers (30)" in context.text  # lists intact
    (note,) = context.notes
    kept = int(note.split("trimmed to ")[1].split(" of ")[0])
    assert note == f"source excerpt trimmed to {kept} of 300 lines"
    assert 0 < kept < 300
    assert f"## Source (big.py:1-{kept})" in context.text
    # as much as fits: one more line would not
    assert estimate_tokens(context.text) + 10 > 1500


def test_lists_are_trimmed_after_the_excerpt(tmp_path: Path) -> None:
    isg, work = _long_function(tmp_path)
    context = build_context(isg, work, root=tmp_path, max_tokens=250)
    assert context.tokens <= 250
    assert context.notes[0] == "source excerpt dropped (300 lines)"
    assert context.notes[1].startswith("callers: ") and context.notes[1].endswith(" of 30 shown")
    assert "## Source" not in context.text
    assert "## Callers (" in context.text and " of 30)" in context.text
    assert "- doc: Work." in context.text


def test_doc_goes_last_and_a_too_small_budget_is_said(tmp_path: Path) -> None:
    isg, work = _long_function(tmp_path)
    context = build_context(isg, work, root=tmp_path, max_tokens=30)
    assert "doc dropped" in context.notes
    assert context.notes[-1].startswith("max-tokens 30 is below what the essentials take")
    assert "- signature: `def work(x)`" in context.text


def test_context_verb_passes_max_tokens(root: Path) -> None:
    result = run_query(SHOP, "context Product --max-tokens 100", root=root)
    assert estimate_tokens(result.text) <= 100
    assert "source excerpt dropped (6 lines)" in result.notes


@settings(max_examples=60, deadline=None)
@given(budget=st.integers(1, 2500), fmt=st.sampled_from(["md", "json"]))
def test_budget_is_respected_unless_the_essentials_exceed_it(
    tmp_path_factory: pytest.TempPathFactory, budget: int, fmt: str
) -> None:
    path = tmp_path_factory.getbasetemp() / "budget"
    if not path.exists():
        path.mkdir()
    isg, work = _long_function(path, lines=120, callers=12)
    context = build_context(isg, work, root=path, max_tokens=budget, fmt=fmt)  # type: ignore[arg-type]
    assert context.tokens == estimate_tokens(context.text)
    if context.tokens > budget:
        assert context.notes[-1].startswith(f"max-tokens {budget} is below")
        assert "## Source" not in context.text and '"source"' not in context.text
    if fmt == "json":
        assert json.loads(context.text) == context.data


def test_context_of_a_pipeline_splits_the_budget(root: Path) -> None:
    result = run_query(SHOP, "search __init__ | context --max-tokens 700", root=root)
    assert estimate_tokens(result.text) <= 700
    assert result.text.count("# method `shop.models.") == 2
    assert "\n---\n" in result.text
    json_result = run_query(SHOP, "search __init__ | context --format json --max-tokens 700", root=root)
    assert [
        e["entity"]["name" if False else "qualname"] for e in json.loads(json_result.text)["entities"]
    ] == [
        "shop.models.Entity.__init__",
        "shop.models.Product.__init__",
    ]


def test_context_of_too_many_entities_says_how_many_were_left_out(root: Path) -> None:
    result = run_query(SHOP, "search * --limit 100 | context --max-tokens 500", root=root)
    assert result.notes[-1] == f"context for 2 of {SHOP.node_count} entities (raise --max-tokens for more)"
    assert estimate_tokens(result.text) <= 500


def test_fences_outgrow_backticks_in_the_source(tmp_path: Path) -> None:
    write_sources(tmp_path, {"doc.py": 'def f():\n    """Use ```code``` here."""\n'})
    b = GraphBuilder()
    node = b.node(NodeKind.FUNCTION, "doc.f", "doc.py", 1, 2)
    text = build_context(b.build(), node, root=tmp_path).text
    assert "\n````python\n" in text and text.rstrip().endswith("````")


def test_members_of_a_type_and_edge_kinds_used() -> None:
    context = build_context(SHOP, N["Entity"], root=None)
    assert "## Members (2)" in context.text
    assert "`def describe(self)`" in context.text
    assert {e.kind for e in SHOP.in_edges(N["Entity"].id)} >= {EdgeKind.IMPLEMENTS}


def test_excerpt_lines_count_like_the_parser_and_follow_edits(tmp_path: Path) -> None:
    """Form feeds (common in the stdlib) are not line breaks; an edited file is read again."""
    from pt_tui.core.engine import Engine
    from pt_tui.core.sourcelines import forget_sources

    forget_sources()
    src = tmp_path / "m.py"
    src.write_text("\x0c\ndef first():\n    return 1\n\x0c\n\ndef second():\n    return 2\n")
    engine = Engine(tmp_path)
    engine.index()
    (second,) = engine.isg.by_name("second")
    assert "def second():" in build_context(engine.isg, second, root=tmp_path).text
    src.write_text("\x0c\ndef first():\n    return 1\n\x0c\n\ndef second():\n    return 'edited'\n")
    engine.update([src])
    (second,) = engine.isg.by_name("second")
    assert "return 'edited'" in build_context(engine.isg, second, root=tmp_path).text
