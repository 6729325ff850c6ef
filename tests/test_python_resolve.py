"""Python name resolution: every rule, on small projects written to a temporary folder."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from pt_tui.core.engine import Engine
from pt_tui.core.isg import ISG
from pt_tui.core.lang.python import LANGUAGE, PythonResolver
from pt_tui.core.model import EdgeKind, Resolution

FIXTURES = Path(__file__).parent / "fixtures" / "python"
EXACT, INFERRED, AMBIGUOUS = Resolution.EXACT, Resolution.INFERRED, Resolution.AMBIGUOUS


def build(tmp_path: Path, files: dict[str, str], root: str = "proj") -> Engine:
    """Write ``{relpath: source}`` under ``tmp_path/root`` and index it."""
    base = tmp_path / root
    for rel, source in files.items():
        path = base / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source))
    base.mkdir(parents=True, exist_ok=True)
    engine = Engine(base)
    engine.index()
    return engine


def out(isg: ISG, src: str, kind: EdgeKind = EdgeKind.CALLS) -> dict[str, Resolution]:
    """Targets (qualname -> resolution) of the edges of one kind leaving ``src``; a target reached
    on several lines with different resolutions fails (use :func:`pairs` then)."""
    found = pairs(isg, src, kind)
    assert len({q for q, _ in found}) == len(found), f"several resolutions: {sorted(found)}"
    return dict(found)


def pairs(isg: ISG, src: str, kind: EdgeKind = EdgeKind.CALLS) -> set[tuple[str, Resolution]]:
    (node,) = isg.by_qualname(src)
    return {(isg.nodes[e.dst].qualname, e.resolution) for e in isg.out_edges(node.id, kind)}


def resolver(engine: Engine) -> PythonResolver:
    res = LANGUAGE.resolver(engine.facts)
    list(res.resolve_all())
    return res


# -- scopes -------------------------------------------------------------------------------------


def test_local_enclosing_and_module_scopes(tmp_path: Path) -> None:
    isg = build(
        tmp_path,
        {
            "m.py": """
            def helper(): pass
            def shadow(): pass
            def outer():
                def local(): pass
                def shadow(): pass
                def inner():
                    local()
                    shadow()
                    helper()
                local()
                inner()
            """
        },
    ).isg
    assert out(isg, "m.outer.inner") == {"m.outer.local": EXACT, "m.outer.shadow": EXACT, "m.helper": EXACT}
    assert out(isg, "m.outer") == {"m.outer.local": EXACT, "m.outer.inner": EXACT}


def test_class_scope_is_skipped_for_code_in_methods(tmp_path: Path) -> None:
    isg = build(
        tmp_path,
        {
            "m.py": """
            def name(): pass
            class C:
                def name(self): pass
                def m(self):
                    name()
                alias = name
                alias()
            """
        },
    ).isg
    assert out(isg, "m.C.m") == {"m.name": EXACT}
    # class-body code runs in the class scope and is attributed to the module
    assert out(isg, "m") == {"m.C.name": INFERRED}


def test_builtins_stay_unresolved_and_are_counted(tmp_path: Path) -> None:
    engine = build(tmp_path, {"m.py": "def f():\n    print(len([]))\n    return sorted([3, 1])\n"})
    assert out(engine.isg, "m.f") == {}
    stats = resolver(engine).stats
    assert stats["unresolved_builtin"] == 3
    assert stats["calls"] == 3 and stats["calls_resolved"] == 0


# -- imports ------------------------------------------------------------------------------------


IMPORT_PROJECT = {
    "app/__init__.py": "",
    "app/core/__init__.py": "from .engine import start\nfrom .engine import *\n",
    "app/core/engine.py": """
        __all__ = ["start", "Engine"]
        def start(): pass
        def stop(): pass
        def _internal(): pass
        class Engine:
            def run(self): pass
        """,
    "app/core/tools.py": """
        def tool(): pass
        def _private_tool(): pass
        """,
    "app/cli.py": """
        import app.core.engine
        import app.core.engine as eng
        from app.core import start as begin
        from app.core import engine as e2
        from . import core
        from .core import tools
        from .core.tools import tool as t
        from .core.engine import Engine

        def main():
            app.core.engine.start()
            eng.stop()
            begin()
            e2.start()
            core.start()
            core.engine.stop()
            tools.tool()
            t()
            Engine().run()
        """,
    "app/star.py": """
        from .core import *
        from .core.tools import *

        def use():
            start()
            Engine()
            tool()
            stop()
            _private_tool()
        """,
}


def test_every_import_form(tmp_path: Path) -> None:
    isg = build(tmp_path, IMPORT_PROJECT).isg
    assert out(isg, "app.cli.main") == {
        "app.core.engine.start": EXACT,
        "app.core.engine.stop": EXACT,
        "app.core.tools.tool": EXACT,
        "app.core.engine.Engine": EXACT,
        "app.core.engine.Engine.run": EXACT,  # a method of the instance a class call makes
    }


def test_star_imports_follow_all_and_skip_private_names(tmp_path: Path) -> None:
    engine = build(tmp_path, IMPORT_PROJECT)
    # start and Engine come through app.core's `from .engine import *` (filtered by __all__),
    # tool through tools (no __all__: public names); stop is not in __all__ and _private_tool is
    # private, so neither is imported: only the unique-name fallback finds them (inferred)
    assert out(engine.isg, "app.star.use") == {
        "app.core.engine.start": EXACT,
        "app.core.engine.Engine": EXACT,
        "app.core.tools.tool": EXACT,
        "app.core.engine.stop": INFERRED,
        "app.core.tools._private_tool": INFERRED,
    }
    assert resolver(engine).stats["calls_fallback"] == 2


def test_imports_edges(tmp_path: Path) -> None:
    isg = build(tmp_path, IMPORT_PROJECT).isg
    assert set(out(isg, "app.cli", EdgeKind.IMPORTS)) == {
        "app.core.engine",  # import app.core.engine / as eng / from .core.engine import Engine
        "app.core",  # from app.core import start as begin / from . import core (core is a package)
        "app.core.tools",  # from .core import tools: a submodule
    }
    assert set(out(isg, "app.core", EdgeKind.IMPORTS)) == {"app.core.engine"}


def test_function_local_and_external_imports(tmp_path: Path) -> None:
    isg = build(
        tmp_path,
        {
            "a.py": """
            import os
            from collections import OrderedDict
            def f():
                import b
                from b import g
                b.g()
                g()
                os.getcwd()
            """,
            "b.py": "def g(): pass\n",
        },
    ).isg
    assert out(isg, "a", EdgeKind.IMPORTS) == {"b": EXACT}
    assert out(isg, "a.f") == {"b.g": EXACT}


def test_root_package_name_is_stripped(tmp_path: Path) -> None:
    isg = build(
        tmp_path,
        {
            "__init__.py": "from .events import loop\n",
            "events.py": "def loop(): pass\n",
            "tasks.py": """
            import mylib.events
            from mylib import events as ev
            from . import loop
            def run():
                mylib.events.loop()
                ev.loop()
                loop()
            """,
        },
        root="mylib",
    ).isg
    assert isg.by_qualname("mylib")[0].file == "__init__.py"
    assert out(isg, "tasks.run") == {"events.loop": EXACT}
    assert set(out(isg, "tasks", EdgeKind.IMPORTS)) == {"events", "mylib"}


def test_src_layout_resolves_by_unique_suffix(tmp_path: Path) -> None:
    isg = build(
        tmp_path,
        {
            "src/pkg/__init__.py": "",
            "src/pkg/mod.py": "def f(): pass\n",
            "tests/test_mod.py": """
            from pkg.mod import f
            import pkg.mod
            def test():
                f()
                pkg.mod.f()
            """,
        },
    ).isg
    assert out(isg, "tests.test_mod.test") == {"src.pkg.mod.f": EXACT}
    assert set(out(isg, "tests.test_mod", EdgeKind.IMPORTS)) == {"src.pkg.mod"}


def test_import_cycles_terminate(tmp_path: Path) -> None:
    isg = build(
        tmp_path,
        {
            "a.py": "from b import *\ndef fa(): pass\ndef use_a():\n    fb()\n    missing()\n",
            "b.py": "from a import *\ndef fb(): pass\ndef use_b():\n    fa()\n",
            "c.py": "x = y\ny = x\ndef f():\n    x()\n",
            "d.py": "class A(B): pass\nclass B(A): pass\ndef g():\n    A().m()\n",
        },
    ).isg
    assert out(isg, "a.use_a") == {"b.fb": EXACT}
    assert out(isg, "b.use_b") == {"a.fa": EXACT}
    assert out(isg, "c.f") == {}
    assert out(isg, "d.g") == {"d.A": EXACT}
    assert out(isg, "d.A", EdgeKind.IMPLEMENTS) == {"d.B": EXACT}


def test_names_met_inside_an_import_cycle_still_resolve(tmp_path: Path) -> None:
    # asyncio's shape: the package star-imports base, whose public name `events` is the sibling
    # module it imports from the package; evaluating one inside the other must not leave either
    # memoised half-done
    isg = build(
        tmp_path,
        {
            "__init__.py": "from .base import *\nfrom .events import *\n",
            "events.py": "class Abstract:\n    def run(self): pass\n",
            "base.py": """
            from . import events
            class Loop(events.Abstract):
                def go(self):
                    self.run()
            """,
            "user.py": "from . import Loop\ndef f():\n    Loop().go()\n",
        },
        root="lib",
    ).isg
    assert out(isg, "user.f") == {"base.Loop": EXACT, "base.Loop.go": EXACT}
    assert out(isg, "base.Loop", EdgeKind.IMPLEMENTS) == {"events.Abstract": EXACT}
    assert out(isg, "base.Loop.go") == {"events.Abstract.run": EXACT}


# -- classes ------------------------------------------------------------------------------------


MRO_PROJECT = {
    "base.py": """
        class Root:
            def __init__(self): pass
            def who(self): pass
            def hello(self): pass
        class Left(Root):
            def who(self): pass
        """,
    "mid.py": """
        from base import Root, Left
        class Right(Root):
            def who(self): pass
            def hello(self): pass
        class Diamond(Left, Right):
            def call(self):
                self.who()
                self.hello()
                self.__init__()
            @classmethod
            def make(cls):
                cls.who(None)
                return cls()
        """,
}


def test_self_methods_follow_the_c3_mro_across_files(tmp_path: Path) -> None:
    isg = build(tmp_path, MRO_PROJECT).isg
    # Diamond -> Left -> Right -> Root: who from Left, hello from Right, __init__ from Root
    assert out(isg, "mid.Diamond.call") == {
        "base.Left.who": EXACT,
        "mid.Right.hello": EXACT,
        "base.Root.__init__": EXACT,
    }
    assert out(isg, "mid.Diamond.make") == {
        "base.Left.who": EXACT,
        "mid.Diamond": EXACT,
        "base.Root.__init__": EXACT,
    }
    assert out(isg, "mid.Diamond", EdgeKind.IMPLEMENTS) == {"base.Left": EXACT, "mid.Right": EXACT}


def test_class_call_links_the_class_and_its_init(tmp_path: Path) -> None:
    isg = build(
        tmp_path,
        {
            "m.py": """
            from base import Root
            class Own:
                def __init__(self): pass
            class Inherits(Root): pass
            class NoInit: pass
            def f():
                Own()
                Inherits()
                NoInit()
            """,
            "base.py": MRO_PROJECT["base.py"],
        },
    ).isg
    assert out(isg, "m.f") == {
        "m.Own": EXACT,
        "m.Own.__init__": EXACT,
        "m.Inherits": EXACT,
        "base.Root.__init__": EXACT,
        "m.NoInit": EXACT,
    }


def test_super_and_class_qualified_calls(tmp_path: Path) -> None:
    isg = build(
        tmp_path,
        {
            "m.py": """
            class A:
                def m(self): pass
                @staticmethod
                def s(): pass
            class B(A):
                def m(self):
                    super().m()
                    super(B, self).m()
                    A.m(self)
                    A.s()
                    B.s()
            """
        },
    ).isg
    assert out(isg, "m.B.m") == {"m.A.m": EXACT, "m.A.s": EXACT}


def test_attributes_assigned_or_annotated_on_self(tmp_path: Path) -> None:
    isg = build(
        tmp_path,
        {
            "m.py": """
            class Engine:
                def start(self): pass
            class Wheel:
                def turn(self): pass
            class Seat:
                def fold(self): pass
            class Car:
                seat: Seat
                def __init__(self, wheel: Wheel):
                    self.engine = Engine()
                    self.wheel = wheel
                def drive(self):
                    self.engine.start()
                    self.wheel.turn()
                    self.seat.fold()
            """
        },
    ).isg
    assert out(isg, "m.Car.drive") == {
        "m.Engine.start": INFERRED,
        "m.Wheel.turn": INFERRED,
        "m.Seat.fold": INFERRED,
    }


def test_hooks_defined_only_in_subclasses(tmp_path: Path) -> None:
    isg = build(
        tmp_path,
        {
            "m.py": """
            class Base:
                def template(self):
                    self.hook()
            class One(Base):
                def hook(self): pass
            class Two(Base):
                def hook(self): pass
            """
        },
    ).isg
    assert out(isg, "m.Base.template") == {"m.One.hook": AMBIGUOUS, "m.Two.hook": AMBIGUOUS}


def test_self_calls_reach_subclass_overrides(tmp_path: Path) -> None:
    isg = build(
        tmp_path,
        {
            "m.py": """
            class Base:
                def run(self):
                    self.step()
                    self.only_here()
                def step(self): pass
                def only_here(self): pass
            class Child(Base):
                def step(self): pass
                def go(self):
                    super().step()
                    self.step()
            def use():
                Base().step()
            """
        },
    ).isg
    # self may be a Child: both; a subclass's own self is not its base's; super() and Base() are exact
    assert out(isg, "m.Base.run") == {
        "m.Base.step": AMBIGUOUS,
        "m.Child.step": AMBIGUOUS,
        "m.Base.only_here": EXACT,
    }
    assert pairs(isg, "m.Child.go") == {("m.Base.step", EXACT), ("m.Child.step", EXACT)}
    assert out(isg, "m.use") == {"m.Base": EXACT, "m.Base.step": EXACT}


# -- inference ----------------------------------------------------------------------------------


def test_assignments_annotations_and_parameters(tmp_path: Path) -> None:
    isg = build(
        tmp_path,
        {
            "m.py": """
            class C:
                def m(self): pass
            def g(): pass
            def f(param: C, other: "C | None" = None):
                alias = g
                alias()
                obj = C()
                obj.m()
                typed: C = make()
                typed.m()
                param.m()
                other.m()
                a, b = g, C
                a()
            """
        },
    ).isg
    assert out(isg, "m.f") == {"m.g": INFERRED, "m.C": EXACT, "m.C.m": INFERRED}


def test_returns(tmp_path: Path) -> None:
    isg = build(
        tmp_path,
        {
            "m.py": """
            class C:
                def m(self): pass
            class D:
                def n(self): pass
            def factory():
                return C
            def build() -> D:
                return unknown()
            def chain():
                return factory
            def f():
                factory()()
                obj = factory()
                obj().m()
                build().n()
                chain()()()
            """
        },
    ).isg
    assert pairs(isg, "m.f") == {
        ("m.factory", EXACT),  # factory()
        ("m.C", INFERRED),  # factory()(): what factory returns
        ("m.C.m", INFERRED),
        ("m.build", EXACT),
        ("m.D.n", INFERRED),  # from the return annotation
        ("m.chain", EXACT),
        ("m.factory", INFERRED),  # chain()(): what chain returns
    }


def test_argument_flow_binds_arguments_to_called_parameters(tmp_path: Path) -> None:
    isg = build(
        tmp_path,
        {
            "m.py": """
            def g(): pass
            def h(): pass
            def apply(fn, *, then=None):
                fn()
                then()
            def relay(cb):
                apply(cb)
            apply(g, then=h)
            relay(h)
            class Runner:
                def __init__(self, job):
                    self.job = job
                def go(self):
                    self.job()
            Runner(g).go()
            """
        },
    ).isg
    # fn() is g (apply(g)) or h (relay(h) -> apply(cb)); then() is h
    assert pairs(isg, "m.apply") == {("m.g", AMBIGUOUS), ("m.h", AMBIGUOUS), ("m.h", INFERRED)}
    assert out(isg, "m.relay") == {"m.apply": EXACT}
    assert out(isg, "m.Runner.go") == {"m.g": INFERRED}


def test_decorators(tmp_path: Path) -> None:
    isg = build(
        tmp_path,
        {
            "m.py": """
            def dec(f):
                def wrapper():
                    return f()
                return wrapper
            def factory(tag):
                def deco(f):
                    return f
                return deco
            @dec
            def target(): pass
            @factory("x")
            def other(): pass
            import functools
            @functools.lru_cache
            def cached(): pass
            class C:
                @property
                def p(self): pass
                @dec
                def m(self): pass
                def go(self):
                    self.m()
            def use():
                target()
                other()
                cached()
            """
        },
    ).isg
    assert out(isg, "m") == {"m.dec": EXACT, "m.factory": EXACT, "m.factory.deco": INFERRED}
    assert out(isg, "m.dec.wrapper") == {"m.target": AMBIGUOUS, "m.C.m": AMBIGUOUS}
    # a decorated name is what its decorator returns: dec's wrapper; an identity decorator gives the
    # def back; a decorator from outside the graph leaves the def
    assert out(isg, "m.use") == {"m.dec.wrapper": INFERRED, "m.other": EXACT, "m.cached": EXACT}
    assert out(isg, "m.C.go") == {"m.dec.wrapper": INFERRED}


def test_lambdas(tmp_path: Path) -> None:
    isg = build(
        tmp_path,
        {
            "m.py": """
            def g(): pass
            f = lambda: g()
            def run(cb):
                cb()
            def main():
                f()
                run(lambda: g())
            """
        },
    ).isg
    assert out(isg, "m.main") == {"m.<lambda1>": INFERRED, "m.run": EXACT}
    assert out(isg, "m.<lambda1>") == {"m.g": EXACT}
    assert out(isg, "m.main.<lambda1>") == {"m.g": EXACT}
    assert out(isg, "m.run") == {"m.main.<lambda1>": INFERRED}


def test_dict_and_list_literals(tmp_path: Path) -> None:
    isg = build(
        tmp_path,
        {
            "m.py": """
            def f(): pass
            def g(): pass
            ops = {"a": f, "b": g}
            handlers = [f, g]
            def by_key(k):
                ops["a"]()
            def any_key(k):
                ops[k]()
            def by_index():
                handlers[1]()
            """
        },
    ).isg
    assert out(isg, "m.by_key") == {"m.f": INFERRED}
    assert out(isg, "m.any_key") == {"m.f": AMBIGUOUS, "m.g": AMBIGUOUS}
    assert out(isg, "m.by_index") == {"m.g": INFERRED}


def test_items_stored_after_the_literal(tmp_path: Path) -> None:
    isg = build(
        tmp_path,
        {
            "m.py": """
            def f(): pass
            def g(): pass
            def h(): pass
            ops = {}
            hooks = []
            def register():
                ops["a"] = f
                hooks.append(g)
            ops.update({"b": h})
            first, *rest = f, g, h
            class Bus:
                def __init__(self):
                    self.subs = []
                def sub(self):
                    self.subs.append(h)
                def fire(self):
                    for s in self.subs:
                        s()
            def use():
                ops["a"]()
                ops["b"]()
                for hook in hooks:
                    hook()
                for fn in (f, g):
                    fn()
                rest[0]()
                first()
            """
        },
    ).isg
    assert pairs(isg, "m.use") == {
        ("m.f", INFERRED),  # ops["a"], and `first`
        ("m.h", INFERRED),  # ops["b"]
        ("m.g", INFERRED),  # the hooks loop and rest[0]
        ("m.f", AMBIGUOUS),  # the (f, g) loop
        ("m.g", AMBIGUOUS),
    }
    assert out(isg, "m.Bus.fire") == {"m.h": INFERRED}


def test_implicit_calls_raise_map_and_call_results(tmp_path: Path) -> None:
    isg = build(
        tmp_path,
        {
            "m.py": """
            class Oops(Exception):
                def __init__(self): pass
            def f(x): pass
            def ident(a):
                return a
            def pick():
                return ident
            def use():
                list(map(f, [1]))
                sorted([], key=f)
                pick()(f)()
                raise Oops
            """
        },
    ).isg
    # map and sorted call f for use; pick()(f) is ident(f), which returns f
    assert out(isg, "m.use") == {
        "m.f": INFERRED,
        "m.pick": EXACT,
        "m.ident": INFERRED,
        "m.Oops": EXACT,
        "m.Oops.__init__": EXACT,
    }


def test_ambiguous_definitions_link_every_candidate(tmp_path: Path) -> None:
    isg = build(
        tmp_path,
        {
            "m.py": """
            import sys
            if sys.platform == "win32":
                def impl(): pass
            else:
                def impl(): pass
            def same(): pass
            alias = same if sys.argv else same
            def use():
                impl()
                alias()
            """
        },
    ).isg
    assert out(isg, "m.use") == {"m.impl": AMBIGUOUS, "m.impl#2": AMBIGUOUS, "m.same": INFERRED}


# -- global fallback ----------------------------------------------------------------------------


def test_unique_global_fallback(tmp_path: Path) -> None:
    engine = build(
        tmp_path,
        {
            "defs.py": """
            def only_once(): pass
            def twice(): pass
            class Unique:
                def very_specific_method(self): pass
                def append(self): pass
                def __len__(self): return 0
            class Other:
                def shared(self): pass
            class Another:
                def shared(self): pass
            """,
            "more.py": "def twice(): pass\n",
            "use.py": """
            def use(thing):
                only_once()
                twice()
                thing.very_specific_method()
                thing.append()
                thing.shared()
                thing.__len__()
            """,
        },
    )
    assert out(engine.isg, "use.use") == {
        "defs.only_once": INFERRED,
        "defs.Unique.very_specific_method": INFERRED,
    }
    stats = resolver(engine).stats
    assert stats["calls_fallback"] == 2
    assert stats["unresolved_undefined_name"] == 1  # twice(): two candidates
    assert stats["unresolved_unknown_receiver"] == 3


# -- USES and IMPLEMENTS ------------------------------------------------------------------------


def test_uses_from_annotations_and_isinstance(tmp_path: Path) -> None:
    isg = build(
        tmp_path,
        {
            "types_.py": "class Foo: pass\nclass Bar: pass\nclass Baz: pass\n",
            "m.py": """
            from typing import Optional
            import types_
            from types_ import Foo, Bar
            limit: "Baz" = None
            from types_ import Baz
            class Holder:
                field: list[Foo]
                other: Optional["types_.Bar"] = None
            def f(a: Foo, b: "Optional[Bar]" = None) -> dict[str, types_.Baz]:
                local: Bar | None = None
                return isinstance(a, (Foo, Bar))
            """,
        },
    ).isg
    assert set(out(isg, "m.f", EdgeKind.USES)) == {"types_.Foo", "types_.Bar", "types_.Baz"}
    assert set(out(isg, "m.Holder", EdgeKind.USES)) == {"types_.Foo", "types_.Bar"}
    assert set(out(isg, "m", EdgeKind.USES)) == {"types_.Baz"}
    (f,) = isg.by_qualname("m.f")
    lines = {(isg.nodes[e.dst].name, e.line) for e in isg.out_edges(f.id, EdgeKind.USES)}
    assert ("Foo", 12) in lines and ("Bar", 11) in lines  # isinstance, local annotation


def test_implements_resolves_bases(tmp_path: Path) -> None:
    isg = build(
        tmp_path,
        {
            "base.py": "class Base: pass\nclass Mixin: pass\n",
            "m.py": """
            from typing import Generic, TypeVar
            import base
            from base import Mixin
            T = TypeVar("T")
            class Child(base.Base, Mixin, Generic[T], metaclass=type): pass
            class External(dict): pass
            """,
        },
    ).isg
    assert out(isg, "m.Child", EdgeKind.IMPLEMENTS) == {"base.Base": EXACT, "base.Mixin": EXACT}
    assert out(isg, "m.External", EdgeKind.IMPLEMENTS) == {}


# -- the resolver itself ------------------------------------------------------------------------


def test_resolve_file_returns_only_edges_from_that_file(tmp_path: Path) -> None:
    engine = build(tmp_path, IMPORT_PROJECT)
    res = LANGUAGE.resolver(engine.facts)
    ids = {n.id for n in engine.isg.in_file("app/cli.py")}
    edges = res.resolve_file("app/cli.py")
    assert edges and all(e.src in ids and e.file == "app/cli.py" for e in edges)
    assert res.resolve_file("not/there.py") == []
    assert set(res.paths()) == set(engine.facts)


def test_syntax_errors_resolve_what_parsed(tmp_path: Path) -> None:
    isg = build(tmp_path, {"m.py": "def ok(): pass\ndef broken(:\n    ok()\ndef caller():\n    ok()\n"}).isg
    assert out(isg, "m.caller") == {"m.ok": EXACT}


@pytest.mark.parametrize(
    ("caller", "expected"),
    [
        (
            "main.main",
            {
                "shop.models.Cart.empty",
                "shop.models.Cart.add",
                "shop.models.Item",
                "shop.models.Base.__init__",
            },
        ),
        ("shop.services.checkout.Checkout.run", {"shop.models.Cart.total", "shop.util.apply"}),
        ("shop.util.apply", {"shop.services.payment.charge"}),
        ("shop.models.Item.label", {"shop.models.Base.label"}),
        ("shop.models.Cart.total", {"shop.models.Pricer.price"}),
    ],
)
def test_fixture_project(caller: str, expected: set[str]) -> None:
    engine = Engine(FIXTURES / "shop")
    engine.index()
    assert expected <= set(out(engine.isg, caller))


def test_fixture_project_uses_imports_and_stats() -> None:
    engine = Engine(FIXTURES / "shop")
    engine.index()
    isg = engine.isg
    assert set(out(isg, "shop.models.Cart.add", EdgeKind.USES)) == {"shop.models.Item", "shop.models.Cart"}
    assert set(out(isg, "shop.services.checkout", EdgeKind.IMPORTS)) == {
        "shop.models",
        "shop.util",
        "shop.services.payment",
    }
    assert out(isg, "shop.models.Item", EdgeKind.IMPLEMENTS) == {"shop.models.Base": EXACT}
    stats = resolver(engine).stats
    assert stats["calls"] == stats["calls_resolved"] + sum(
        v for k, v in stats.items() if k.startswith("unresolved_")
    )
