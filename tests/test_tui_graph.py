"""The codebase graph pane: lazy tree, filter, details, neighbourhood, jumps, live updates."""

from __future__ import annotations

from test_tui_support import async_test, make_app, ready, settle, tui_env  # noqa: F401
from textual.pilot import Pilot
from textual.widgets import Input, Static

from pt_tui.app import services
from pt_tui.app.widgets.entity_tree import EntityTree
from pt_tui.app.widgets.graph_pane import GraphPane
from pt_tui.app.widgets.neighbours import NeighbourList
from pt_tui.core.diff import GraphDiff
from pt_tui.core.model import Node, NodeKind


def _id(app, qualname: str) -> str:  # type: ignore[no-untyped-def]
    (node,) = app.engine.isg.by_qualname(qualname)
    return node.id


@async_test
async def test_tree_lists_modules_lazily_with_counts() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        tree = app.screen.query_one(EntityTree)
        labels = [str(child.label) for child in tree.root.children]
        assert "mod shop.models (7)" in labels
        assert any(label.startswith("mod pricing_engine::money") for label in labels)
        models = next(c for c in tree.root.children if str(c.label).startswith("mod shop.models"))
        assert not models.children  # lazy: nothing loaded before the first expand
        models.expand()
        await pilot.pause()
        assert {str(c.label).split(" (")[0] for c in models.children} >= {"class Entity", "class Product"}
        assert app.screen.query_one(GraphPane).has_focus_within


@async_test
async def test_j_k_enter_move_expand_and_show_details() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        tree = app.screen.query_one(EntityTree)
        assert tree.has_focus
        start = tree.cursor_line
        await pilot.press("j", "j")
        assert tree.cursor_line == start + 2
        await pilot.press("k")
        assert tree.cursor_line == start + 1
        pane = app.screen.query_one(GraphPane)
        target = _id(app, "shop.models")
        assert tree.reveal(target)
        await _cursor_on(pilot, tree, target)
        await pilot.press("enter")
        await settle(pilot)
        assert tree.cursor_node is not None and tree.cursor_node.is_expanded
        assert pane.selected == target
        details = str(app.screen.query_one("#graph-details", Static).render())
        assert "shop.models" in details and "shop/models.py:1" in details


@async_test
async def test_details_show_signature_and_neighbourhood_from_the_engine() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        pane = app.screen.query_one(GraphPane)
        describe = _id(app, "shop.models.Entity.describe")
        pane.focus_entity(describe)
        await settle(pilot)
        details = str(app.screen.query_one("#graph-details", Static).render())
        assert "def describe(self)" in details
        hood = services.neighbourhood(app.engine, describe)  # type: ignore[arg-type]
        assert hood.callers, "the sample has callers of Entity.describe"
        shown = app.screen.query_one(NeighbourList)
        ids = {shown.get_option_at_index(i).id for i in range(shown.option_count)}
        assert {n.id for n in hood.callers} <= ids


@async_test
async def test_enter_on_a_neighbour_jumps_to_it() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        pane = app.screen.query_one(GraphPane)
        describe = _id(app, "shop.models.Entity.describe")
        pane.focus_entity(describe)
        await settle(pilot)
        await pilot.press("n")
        hood_list = app.screen.query_one(NeighbourList)
        assert hood_list.has_focus
        first = hood_list.get_option_at_index(hood_list.highlighted or 0).id
        assert first is not None and first != describe
        await pilot.press("enter")
        await settle(pilot)
        assert pane.selected == first
        tree = app.screen.query_one(EntityTree)
        assert tree.has_focus and tree.cursor_node is not None and tree.cursor_node.data == first
        await pilot.press("t")
        assert tree.has_focus


@async_test
async def test_slash_filter_shows_matches_and_escape_returns_to_tree() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("slash")
        box = app.screen.query_one("#graph-filter", Input)
        assert box.has_focus
        await pilot.press(*"describe")
        await settle(pilot)
        tree = app.screen.query_one(EntityTree)
        assert tree.filtered
        labels = [str(c.label) for c in tree.root.children]
        assert labels and all("describe" in label for label in labels)
        await pilot.press("escape")
        assert tree.has_focus
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert not tree.filtered and box.value == ""
        assert any(str(c.label).startswith("mod shop.models") for c in tree.root.children)


@async_test
async def test_focus_entity_clears_a_filter_that_hides_it() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        pane = app.screen.query_one(GraphPane)
        await pilot.press("slash", *"zzzz_no_match")
        await settle(pilot)
        target = _id(app, "shop.orders.Order")
        pane.focus_entity(target)
        await settle(pilot)
        tree = app.screen.query_one(EntityTree)
        assert tree.cursor_node is not None and tree.cursor_node.data == target


@async_test
async def test_a_graph_diff_updates_only_the_touched_tree_nodes() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        tree = app.screen.query_one(EntityTree)
        module = _id(app, "shop.models")
        tree.reveal(module)
        await _cursor_on(pilot, tree, module)
        await pilot.press("enter")
        await settle(pilot)
        models = tree.cursor_node
        assert models is not None and models.data == module
        before = len(models.children)
        product = _id(app, "shop.models.Product")
        new = Node(
            id="feedfacefeedface",
            kind=NodeKind.FUNCTION,
            name="fresh_helper",
            qualname="shop.models.fresh_helper",
            language="python",
            file="shop/models.py",
            line=99,
            end_line=100,
            parent=module,
        )
        app.engine.isg.nodes[new.id] = new  # type: ignore[union-attr]
        app.post_message(
            __import__("pt_tui.app.dashboard", fromlist=["GraphChanged"]).GraphChanged(
                GraphDiff(
                    generation=2, files=("shop/models.py",), added_nodes=(new,), removed_nodes=(product,)
                )
            )
        )
        await settle(pilot)
        labels = [str(c.label) for c in models.children]
        assert "fn fresh_helper" in labels
        assert not any(label.startswith("class Product") for label in labels)
        assert len(models.children) == before  # one added, one removed, the rest untouched


async def _cursor_on(pilot: Pilot[None], tree: EntityTree, entity_id: str) -> None:
    """``reveal`` moves the cursor once the tree has re-rendered (call_after_refresh): wait for it."""
    for _ in range(100):
        if tree.cursor_node is not None and tree.cursor_node.data == entity_id:
            return
        await pilot.pause(0.02)
