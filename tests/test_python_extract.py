"""Python extraction: entities, qualified names, ids, headers, CONTAINS edges, malformed input."""

from __future__ import annotations

import pickle
import textwrap
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from pt_tui.core.lang import language_for, languages
from pt_tui.core.lang.base import ExtractContext, FileFacts
from pt_tui.core.lang.python import LANGUAGE, PythonLanguage
from pt_tui.core.lang.python.extract import module_qualname
from pt_tui.core.lang.python.facts import DECODER
from pt_tui.core.model import EdgeKind, Node, NodeKind, Visibility, node_id

CTX = ExtractContext(Path("/somewhere/myroot"))


def extract(source: str, path: str = "pkg/mod.py") -> FileFacts:
    return LANGUAGE.extract(path, textwrap.dedent(source).encode(), CTX)


def by_qualname(facts: FileFacts) -> dict[str, Node]:
    return {n.qualname: n for n in facts.nodes}


def test_language_is_discovered_by_name_and_extension() -> None:
    assert isinstance(languages()["python"], PythonLanguage)
    assert language_for("a/b.py") is languages()["python"]
    assert LANGUAGE.extensions == (".py",)


def test_module_qualnames_are_package_aware() -> None:
    assert module_qualname("pkg/__init__.py", "root") == "pkg"
    assert module_qualname("pkg/sub/mod.py", "root") == "pkg.sub.mod"
    assert module_qualname("main.py", "root") == "main"
    assert module_qualname("__init__.py", "asyncio") == "asyncio"
    facts = extract('"""Top doc.\n\nMore."""\nx = 1\n', path="__init__.py")
    module = facts.nodes[0]
    assert (module.kind, module.qualname, module.name) == (NodeKind.MODULE, "myroot", "myroot")
    assert facts.module == "myroot"


def test_module_node_spans_the_file_and_carries_its_docstring() -> None:
    facts = extract('# comment\n"""\n  First line.\n\nRest."""\nimport os\n\n\ndef f():\n    pass\n')
    module = facts.nodes[0]
    assert (module.line, module.end_line, module.doc) == (1, 10, "First line.")
    assert module.parent == ""
    assert facts.lines == 10
    assert facts.syntax_errors == 0


def test_kinds_and_nested_qualnames() -> None:
    nodes = by_qualname(
        extract(
            """
            class Outer:
                class Inner:
                    def m(self): pass
                async def am(self): pass
                def meth(self):
                    def helper(): pass
                    class Local: pass
            def top():
                def inner():
                    def deepest(): pass
            async def atop(): pass
            """
        )
    )
    expected = {
        "pkg.mod": NodeKind.MODULE,
        "pkg.mod.Outer": NodeKind.CLASS,
        "pkg.mod.Outer.Inner": NodeKind.CLASS,
        "pkg.mod.Outer.Inner.m": NodeKind.METHOD,
        "pkg.mod.Outer.am": NodeKind.METHOD,
        "pkg.mod.Outer.meth": NodeKind.METHOD,
        "pkg.mod.Outer.meth.helper": NodeKind.FUNCTION,
        "pkg.mod.Outer.meth.Local": NodeKind.CLASS,
        "pkg.mod.top": NodeKind.FUNCTION,
        "pkg.mod.top.inner": NodeKind.FUNCTION,
        "pkg.mod.top.inner.deepest": NodeKind.FUNCTION,
        "pkg.mod.atop": NodeKind.FUNCTION,
    }
    assert {q: n.kind for q, n in nodes.items()} == expected
    for node in nodes.values():
        assert node.id == node_id("python", node.kind, node.qualname)
        assert node.language == "python"
        assert node.file == "pkg/mod.py"


def test_lambdas_are_numbered_per_enclosing_scope_in_source_order() -> None:
    nodes = by_qualname(
        extract(
            """
            a = lambda: 1
            b = lambda x: lambda: x
            def f(cb=lambda: 0):
                g = lambda: 2
                return lambda y, *z: y
            class C:
                key = lambda self: 3
            """
        )
    )
    lambdas = sorted(q for q, n in nodes.items() if n.kind is NodeKind.LAMBDA)
    assert lambdas == [
        "pkg.mod.<lambda1>",
        "pkg.mod.<lambda2>",
        "pkg.mod.<lambda2>.<lambda1>",
        "pkg.mod.<lambda3>",  # a parameter default belongs to the scope around the def
        "pkg.mod.C.<lambda1>",
        "pkg.mod.f.<lambda1>",
        "pkg.mod.f.<lambda2>",
    ]
    assert nodes["pkg.mod.f.<lambda2>"].signature == "lambda y, *z"
    assert nodes["pkg.mod.f.<lambda1>"].name == "<lambda1>"
    assert nodes["pkg.mod.f.<lambda1>"].parent == nodes["pkg.mod.f"].id


def test_redefinitions_get_ordinal_suffixes_and_their_children_follow() -> None:
    nodes = by_qualname(
        extract(
            """
            def f(): pass
            def f():
                def inner(): pass
            class P:
                @property
                def x(self): return 1
                @x.setter
                def x(self, v): pass
                @x.deleter
                def x(self): pass
            """
        )
    )
    assert {"pkg.mod.f", "pkg.mod.f#2", "pkg.mod.f#2.inner"} <= set(nodes)
    assert {"pkg.mod.P.x", "pkg.mod.P.x#2", "pkg.mod.P.x#3"} <= set(nodes)
    assert nodes["pkg.mod.f#2"].name == "f"
    assert nodes["pkg.mod.P.x#2"].id == node_id("python", NodeKind.METHOD, "pkg.mod.P.x#2")
    assert nodes["pkg.mod.f"].line == 2 and nodes["pkg.mod.f#2"].line == 3


def test_ids_survive_an_edit_above_the_entity() -> None:
    before = by_qualname(extract("def f():\n    pass\n\nclass C:\n    def m(self): pass\n"))
    after = by_qualname(
        extract("import os\n\n\n# a comment\ndef f():\n    pass\n\nclass C:\n    def m(self): pass\n")
    )
    for qualname in ("pkg.mod.f", "pkg.mod.C", "pkg.mod.C.m"):
        assert before[qualname].id == after[qualname].id
        assert before[qualname].line != after[qualname].line


def test_signatures_are_headers_up_to_the_colon() -> None:
    nodes = by_qualname(
        extract(
            """
            @decorator
            def f(a: int, b=2) -> str:
                pass
            async def g():
                pass
            class C(Base, metaclass=M):
                pass
            def spread(
                first,   # a comment
                second: "list[int]" = (),
            ) -> dict[str, int]:
                pass
            class Plain:
                pass
            def long("""
            + ", ".join(f"parameter_{i}" for i in range(40))
            + """):
                pass
            """
        )
    )
    assert nodes["pkg.mod.f"].signature == "def f(a: int, b=2) -> str"
    assert nodes["pkg.mod.g"].signature == "async def g()"
    assert nodes["pkg.mod.C"].signature == "class C(Base, metaclass=M)"
    assert (
        nodes["pkg.mod.spread"].signature == 'def spread(first, second: "list[int]" = ()) -> dict[str, int]'
    )
    assert nodes["pkg.mod.Plain"].signature == "class Plain"
    long = nodes["pkg.mod.long"].signature
    assert long.startswith("def long(parameter_0, parameter_1") and len(long) <= 240 and long.endswith("…")


def test_docstrings_first_non_empty_line() -> None:
    nodes = by_qualname(
        extract(
            '''
            def f():
                """

                Summary here.
                Detail.
                """
            class C:
                # a comment first
                r"""Class doc."""
                def m(self):
                    x = "not a docstring"
            def g():
                pass
            '''
        )
    )
    assert nodes["pkg.mod.f"].doc == "Summary here."
    assert nodes["pkg.mod.C"].doc == "Class doc."
    assert nodes["pkg.mod.C.m"].doc == ""
    assert nodes["pkg.mod.g"].doc == ""


def test_visibility_from_leading_underscores() -> None:
    nodes = by_qualname(
        extract(
            """
            def public(): pass
            def _private(): pass
            class _Hidden:
                def __mangled(self): pass
                def __init__(self): pass
                def __eq__(self, other): pass
            """
        )
    )
    assert nodes["pkg.mod.public"].visibility is Visibility.PUBLIC
    assert nodes["pkg.mod._private"].visibility is Visibility.PRIVATE
    assert nodes["pkg.mod._Hidden"].visibility is Visibility.PRIVATE
    assert nodes["pkg.mod._Hidden.__mangled"].visibility is Visibility.PRIVATE
    assert nodes["pkg.mod._Hidden.__init__"].visibility is Visibility.PUBLIC
    assert nodes["pkg.mod._Hidden.__eq__"].visibility is Visibility.PUBLIC


def test_contains_edges_form_the_tree_and_match_parents() -> None:
    facts = extract(
        """
        class C:
            def m(self):
                f = lambda: 1
            class Inner: pass
        def top():
            def nested(): pass
            class K: pass
        """
    )
    nodes = by_qualname(facts)
    ids = {n.id: q for q, n in nodes.items()}
    pairs = {(ids[e.src], ids[e.dst]) for e in facts.edges}
    assert all(e.kind is EdgeKind.CONTAINS and e.file == "pkg/mod.py" for e in facts.edges)
    assert pairs == {
        ("pkg.mod", "pkg.mod.C"),
        ("pkg.mod.C", "pkg.mod.C.m"),
        ("pkg.mod.C.m", "pkg.mod.C.m.<lambda1>"),
        ("pkg.mod.C", "pkg.mod.C.Inner"),
        ("pkg.mod", "pkg.mod.top"),
        ("pkg.mod.top", "pkg.mod.top.nested"),
        ("pkg.mod.top", "pkg.mod.top.K"),
    }
    for edge in facts.edges:
        child = next(n for n in facts.nodes if n.id == edge.dst)
        assert child.parent == edge.src and edge.line == child.line


def test_lines_are_one_based_and_span_the_definition() -> None:
    nodes = by_qualname(extract("x = 1\n\n@dec\ndef f(\n    a,\n):\n    return a\n"))
    assert (nodes["pkg.mod.f"].line, nodes["pkg.mod.f"].end_line) == (4, 7)


def test_syntax_errors_still_extract_what_parsed() -> None:
    facts = extract(
        """
        def good():
            pass

        def broken(:
            pass

        class Fine:
            def ok(self): pass

        x = (1,
        """
    )
    nodes = by_qualname(facts)
    assert facts.syntax_errors > 0
    assert {"pkg.mod.good", "pkg.mod.Fine", "pkg.mod.Fine.ok"} <= set(nodes)
    assert extract("def fine():\n    return 1\n").syntax_errors == 0


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("def class(x):=\n\t lambda@.,'\"#[]{}*ab_0")), max_size=120))
def test_extraction_never_raises(source: str) -> None:
    facts = LANGUAGE.extract("junk.py", source.encode(), CTX)
    assert facts.nodes[0].kind is NodeKind.MODULE
    DECODER.decode(facts.payload)


def test_empty_file() -> None:
    facts = extract("", path="empty.py")
    assert [n.qualname for n in facts.nodes] == ["empty"]
    assert (facts.lines, facts.nodes[0].end_line, facts.syntax_errors) == (0, 1, 0)


def test_facts_pickle_for_worker_processes() -> None:
    facts = extract("class C:\n    def m(self): return helper()\n")
    clone = pickle.loads(pickle.dumps(facts))
    assert clone.nodes == facts.nodes and clone.payload == facts.payload


def test_payload_records_unresolved_facts() -> None:
    facts = extract(
        """
        import a.b as c
        from . import sibling
        from ..up import thing as other
        def f(p: int):
            c.go(p, key=sibling)
        """,
        path="pkg/sub/mod.py",
    )
    payload = DECODER.decode(facts.payload)
    module = payload.scopes[0]
    assert module.bindings["c"] == [("%a.b",)]
    assert module.bindings["sibling"] == [("%pkg.sub", ".sibling")]
    assert module.bindings["other"] == [("%pkg.up", ".thing")]
    func = next(s for s in payload.scopes if s.name == "f")
    call = func.calls[0]
    assert (call.callee, call.args, call.kwargs, call.line) == (
        ("c", ".go"),
        (("p",),),
        {"key": ("sibling",)},
        6,
    )
    assert [(i.module, i.names) for i in payload.imports] == [
        ("a.b", None),
        ("pkg.sub", ["sibling"]),
        ("pkg.up", ["thing"]),
    ]
