"""Hand-made graphs with known answers for the query, context and export tests.

Import as ``from query_graphs import ...`` (pytest puts ``tests/`` on the path: it has no
``__init__.py``).
"""

from __future__ import annotations

from pathlib import Path

from pt_tui.core.isg import ISG
from pt_tui.core.lang.base import FileFacts
from pt_tui.core.model import Edge, EdgeKind, Node, NodeKind, Resolution, node_id
from pt_tui.core.query.indexes import segment_starts


class GraphBuilder:
    """Collects nodes per file and edges, then builds an :class:`ISG` through its public API."""

    def __init__(self, language: str = "python") -> None:
        self.language = language
        self.files: dict[str, list[Node]] = {}
        self.contains: dict[str, list[Edge]] = {}
        self.edges: list[Edge] = []
        self.modules: dict[str, str] = {}

    def node(
        self,
        kind: NodeKind,
        qualname: str,
        file: str,
        line: int,
        end_line: int | None = None,
        *,
        parent: Node | None = None,
        signature: str = "",
        doc: str = "",
        language: str | None = None,
        name: str | None = None,
    ) -> Node:
        lang = language or self.language
        if name is None:
            name = qualname[segment_starts(qualname)[-1] :].split("#")[0]
        node = Node(
            id=node_id(lang, kind, qualname),
            kind=kind,
            name=name,
            qualname=qualname,
            language=lang,
            file=file,
            line=line,
            end_line=end_line if end_line is not None else line,
            signature=signature,
            doc=doc,
            parent=parent.id if parent else "",
        )
        self.files.setdefault(file, []).append(node)
        if kind is NodeKind.MODULE:
            self.modules.setdefault(file, qualname)
        if parent is not None:
            self.contains.setdefault(file, []).append(
                Edge(src=parent.id, dst=node.id, kind=EdgeKind.CONTAINS, file=file, line=line)
            )
        return node

    def edge(
        self,
        src: Node,
        dst: Node,
        kind: EdgeKind = EdgeKind.CALLS,
        line: int | None = None,
        *,
        file: str | None = None,
        resolution: Resolution = Resolution.EXACT,
    ) -> Edge:
        edge = Edge(
            src=src.id,
            dst=dst.id,
            kind=kind,
            file=file or src.file,
            line=line if line is not None else src.line,
            resolution=resolution,
        )
        self.edges.append(edge)
        return edge

    def build(self) -> ISG:
        isg = ISG()
        for path, nodes in self.files.items():
            last = max(n.end_line for n in nodes)
            isg.add_file(
                FileFacts(
                    path=path,
                    language=nodes[0].language,
                    module=self.modules.get(path, ""),
                    nodes=nodes,
                    edges=self.contains.get(path, []),
                    lines=last,
                )
            )
        isg.add_edges(self.edges)
        isg.generation = 1
        return isg


SHOP_SOURCES = {
    "shop/models.py": '''"""Domain models."""


class Entity:
    """Base of everything with an id."""

    def __init__(self, ident):
        self.ident = ident

    def describe(self):
        return str(self.ident)


class Product(Entity):
    """Something to sell."""

    def __init__(self, ident, price):
        super().__init__(ident)
        self.price = price


class Book(Product):
    """A product with pages."""
''',
}


def shop() -> tuple[ISG, dict[str, Node]]:
    """A small Python-like project with known answers.

    Calls: main -> place_order -> price -> apply_discount; place_order -> validate;
    price -> Product.__init__ (constructor); render_tree <-> render_node (mutual recursion);
    fact -> fact (self-loop); apply_discount -> log (twice, lines 31 and 33).
    Hierarchy: Product IMPLEMENTS Entity; Book IMPLEMENTS Product.
    Uses: price USES Product; place_order USES Product.  Imports: shop.orders <-> shop.pricing.
    Ambiguous short name: ``parse`` (shop.io.parse and shop.cli.parse).
    """
    b = GraphBuilder()
    n: dict[str, Node] = {}
    models = n["models"] = b.node(
        NodeKind.MODULE, "shop.models", "shop/models.py", 1, 22, doc="Domain models."
    )
    n["Entity"] = b.node(
        NodeKind.CLASS,
        "shop.models.Entity",
        "shop/models.py",
        4,
        11,
        parent=models,
        signature="class Entity",
        doc="Base of everything with an id.",
    )
    n["Entity.__init__"] = b.node(
        NodeKind.METHOD,
        "shop.models.Entity.__init__",
        "shop/models.py",
        7,
        8,
        parent=n["Entity"],
        signature="def __init__(self, ident)",
    )
    n["Entity.describe"] = b.node(
        NodeKind.METHOD,
        "shop.models.Entity.describe",
        "shop/models.py",
        10,
        11,
        parent=n["Entity"],
        signature="def describe(self)",
    )
    n["Product"] = b.node(
        NodeKind.CLASS,
        "shop.models.Product",
        "shop/models.py",
        14,
        19,
        parent=models,
        signature="class Product(Entity)",
        doc="Something to sell.",
    )
    n["Product.__init__"] = b.node(
        NodeKind.METHOD,
        "shop.models.Product.__init__",
        "shop/models.py",
        17,
        19,
        parent=n["Product"],
        signature="def __init__(self, ident, price)",
    )
    n["Book"] = b.node(
        NodeKind.CLASS,
        "shop.models.Book",
        "shop/models.py",
        22,
        23,
        parent=models,
        signature="class Book(Product)",
        doc="A product with pages.",
    )

    orders = n["orders"] = b.node(NodeKind.MODULE, "shop.orders", "shop/orders.py", 1, 40)
    n["place_order"] = b.node(
        NodeKind.FUNCTION,
        "shop.orders.place_order",
        "shop/orders.py",
        5,
        12,
        parent=orders,
        signature="def place_order(product: Product)",
    )
    n["validate"] = b.node(NodeKind.FUNCTION, "shop.orders.validate", "shop/orders.py", 15, 18, parent=orders)
    n["render_tree"] = b.node(
        NodeKind.FUNCTION, "shop.orders.render_tree", "shop/orders.py", 20, 24, parent=orders
    )
    n["render_node"] = b.node(
        NodeKind.FUNCTION, "shop.orders.render_node", "shop/orders.py", 26, 30, parent=orders
    )
    n["fact"] = b.node(NodeKind.FUNCTION, "shop.orders.fact", "shop/orders.py", 32, 34, parent=orders)

    pricing = n["pricing"] = b.node(NodeKind.MODULE, "shop.pricing", "shop/pricing.py", 1, 40)
    n["price"] = b.node(
        NodeKind.FUNCTION,
        "shop.pricing.price",
        "shop/pricing.py",
        10,
        20,
        parent=pricing,
        signature="def price(product: Product) -> float",
        doc="Price a product.",
    )
    n["apply_discount"] = b.node(
        NodeKind.FUNCTION, "shop.pricing.apply_discount", "shop/pricing.py", 30, 35, parent=pricing
    )
    n["log"] = b.node(NodeKind.FUNCTION, "shop.pricing.log", "shop/pricing.py", 38, 40, parent=pricing)

    cli = n["cli"] = b.node(NodeKind.MODULE, "shop.cli", "shop/cli.py", 1, 20)
    n["main"] = b.node(NodeKind.FUNCTION, "shop.cli.main", "shop/cli.py", 3, 8, parent=cli)
    n["cli.parse"] = b.node(NodeKind.FUNCTION, "shop.cli.parse", "shop/cli.py", 10, 12, parent=cli)
    io = n["io"] = b.node(NodeKind.MODULE, "shop.io", "shop/io.py", 1, 10)
    n["io.parse"] = b.node(NodeKind.FUNCTION, "shop.io.parse", "shop/io.py", 2, 5, parent=io)

    b.edge(n["main"], n["place_order"], line=4)
    b.edge(n["main"], n["cli.parse"], line=5)
    b.edge(n["place_order"], n["price"], line=7)
    b.edge(n["place_order"], n["validate"], line=8)
    b.edge(n["price"], n["apply_discount"], line=12)
    b.edge(n["price"], n["Product.__init__"], line=14, resolution=Resolution.INFERRED)
    b.edge(n["apply_discount"], n["log"], line=31)
    b.edge(n["apply_discount"], n["log"], line=33)
    b.edge(n["Product.__init__"], n["Entity.__init__"], line=18)
    b.edge(n["render_tree"], n["render_node"], line=21)
    b.edge(n["render_node"], n["render_tree"], line=27)
    b.edge(n["fact"], n["fact"], line=33)
    b.edge(n["validate"], n["io.parse"], line=16, resolution=Resolution.AMBIGUOUS)
    b.edge(n["validate"], n["cli.parse"], line=16, resolution=Resolution.AMBIGUOUS)
    b.edge(n["Product"], n["Entity"], EdgeKind.IMPLEMENTS, line=14)
    b.edge(n["Book"], n["Product"], EdgeKind.IMPLEMENTS, line=22)
    b.edge(n["price"], n["Product"], EdgeKind.USES, line=10)
    b.edge(n["place_order"], n["Product"], EdgeKind.USES, line=5)
    b.edge(n["orders"], n["pricing"], EdgeKind.IMPORTS, line=1)
    b.edge(n["pricing"], n["orders"], EdgeKind.IMPORTS, line=2)
    b.edge(n["cli"], n["orders"], EdgeKind.IMPORTS, line=1)
    b.edge(n["orders"], n["models"], EdgeKind.IMPORTS, line=2)
    return b.build(), n


def money() -> tuple[ISG, dict[str, Node]]:
    """A Rust-like crate: ``Money`` with an inherent impl and two trait impls, each with ``fmt``."""
    b = GraphBuilder("rust")
    n: dict[str, Node] = {}
    m = n["money"] = b.node(NodeKind.MODULE, "pricing::money", "src/money.rs", 1, 60)
    n["Money"] = b.node(
        NodeKind.STRUCT, "pricing::money::Money", "src/money.rs", 3, 6, parent=m, signature="pub struct Money"
    )
    n["Display"] = b.node(
        NodeKind.TRAIT, "pricing::fmt::Display", "src/fmt.rs", 1, 3, signature="pub trait Display"
    )
    n["Debug"] = b.node(
        NodeKind.TRAIT, "pricing::fmt::Debug", "src/fmt.rs", 5, 7, signature="pub trait Debug"
    )
    n["impl"] = b.node(NodeKind.IMPL, "pricing::money::<impl Money>", "src/money.rs", 8, 20, parent=m)
    n["new"] = b.node(
        NodeKind.METHOD,
        "pricing::money::Money::new",
        "src/money.rs",
        9,
        11,
        parent=n["impl"],
        signature="pub fn new(cents: i64) -> Self",
    )
    n["impl Display"] = b.node(
        NodeKind.IMPL, "pricing::money::<impl Display for Money>", "src/money.rs", 22, 30, parent=m
    )
    n["Display.fmt"] = b.node(
        NodeKind.METHOD,
        "pricing::money::<Money as Display>::fmt",
        "src/money.rs",
        23,
        29,
        parent=n["impl Display"],
    )
    n["impl Debug"] = b.node(
        NodeKind.IMPL, "pricing::money::<impl Debug for Money>", "src/money.rs", 32, 40, parent=m
    )
    n["Debug.fmt"] = b.node(
        NodeKind.METHOD,
        "pricing::money::<Money as Debug>::fmt",
        "src/money.rs",
        33,
        39,
        parent=n["impl Debug"],
    )
    e = n["engine"] = b.node(NodeKind.MODULE, "pricing::engine", "src/engine.rs", 1, 30)
    n["quote"] = b.node(NodeKind.FUNCTION, "pricing::engine::quote", "src/engine.rs", 5, 12, parent=e)
    b.edge(n["quote"], n["new"], line=6)
    b.edge(n["quote"], n["Display.fmt"], line=8)
    b.edge(n["Money"], n["Display"], EdgeKind.IMPLEMENTS, line=22, file="src/money.rs")
    b.edge(n["Money"], n["Debug"], EdgeKind.IMPLEMENTS, line=32, file="src/money.rs")
    for impl in ("impl", "impl Display", "impl Debug"):
        b.edge(n[impl], n["Money"], EdgeKind.USES)
    b.edge(n["quote"], n["Money"], EdgeKind.USES, line=5)
    b.edge(n["engine"], n["money"], EdgeKind.IMPORTS, line=1)
    return b.build(), n


def write_sources(root: Path, sources: dict[str, str]) -> None:
    for rel, text in sources.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
