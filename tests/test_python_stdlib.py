"""Python support on real code nobody here wrote: the standard library's asyncio, indexed in place.

Every expected fact was checked against the asyncio source of the running interpreter (3.11).
"""

from __future__ import annotations

import sys
import sysconfig
from pathlib import Path

import pytest

from pt_tui.core.engine import Engine
from pt_tui.core.isg import ISG
from pt_tui.core.lang.python import LANGUAGE
from pt_tui.core.model import EdgeKind, NodeKind, Resolution

ASYNCIO = Path(sysconfig.get_paths()["stdlib"]) / "asyncio"

pytestmark = pytest.mark.skipif(
    not (ASYNCIO / "tasks.py").is_file() or sys.version_info[:2] != (3, 11),
    reason="needs the CPython 3.11 standard library sources (the facts below are 3.11's)",
)


@pytest.fixture(scope="module")
def engine() -> Engine:
    engine = Engine(ASYNCIO)
    engine.index()
    return engine


def node(isg: ISG, qualname: str) -> str:
    (found,) = isg.by_qualname(qualname)
    return found.id


def targets(isg: ISG, src: str, kind: EdgeKind) -> dict[str, Resolution]:
    return {isg.nodes[e.dst].qualname: e.resolution for e in isg.out_edges(node(isg, src), kind)}


def sources(isg: ISG, dst: str, kind: EdgeKind) -> set[str]:
    return {isg.nodes[e.src].qualname for e in isg.in_edges(node(isg, dst), kind)}


def test_modules_are_named_from_the_indexed_package(engine: Engine) -> None:
    isg = engine.isg
    (root,) = isg.by_qualname("asyncio")
    assert (root.kind, root.file) == (NodeKind.MODULE, "__init__.py")
    assert isg.by_qualname("tasks")[0].file == "tasks.py"
    assert engine.report.files_indexed == len(list(ASYNCIO.glob("*.py")))
    assert engine.report.files_with_syntax_errors == 0


def test_class_hierarchy(engine: Engine) -> None:
    isg = engine.isg
    # tasks.py: `class Task(futures._PyFuture)`; futures.py: `_PyFuture = Future` (an assignment)
    assert targets(isg, "tasks.Task", EdgeKind.IMPLEMENTS) == {"futures.Future": Resolution.INFERRED}
    assert targets(isg, "base_events.BaseEventLoop", EdgeKind.IMPLEMENTS) == {
        "events.AbstractEventLoop": Resolution.EXACT
    }
    assert targets(isg, "unix_events._UnixSelectorEventLoop", EdgeKind.IMPLEMENTS) == {
        "selector_events.BaseSelectorEventLoop": Resolution.EXACT
    }


def test_calls_through_self_super_and_modules(engine: Engine) -> None:
    isg = engine.isg
    # run_until_complete: self._check_closed(), self.run_forever(), tasks.ensure_future(...)
    calls = targets(isg, "base_events.BaseEventLoop.run_until_complete", EdgeKind.CALLS)
    # self.run_forever() may run windows_events.ProactorEventLoop's override: both, ambiguous
    assert calls["base_events.BaseEventLoop.run_forever"] is Resolution.AMBIGUOUS
    assert calls["windows_events.ProactorEventLoop.run_forever"] is Resolution.AMBIGUOUS
    assert calls["base_events.BaseEventLoop._check_closed"] is Resolution.EXACT
    assert calls["tasks.ensure_future"] is Resolution.EXACT
    # Task.__init__: super().__init__(loop=loop) reaches Future.__init__
    assert "futures.Future.__init__" in targets(isg, "tasks.Task.__init__", EdgeKind.CALLS)
    # runners.run: `with Runner(debug=debug) as runner` calls the class and its __init__
    assert {"runners.Runner", "runners.Runner.__init__"} <= set(targets(isg, "runners.run", EdgeKind.CALLS))


def test_callers_of_module_functions(engine: Engine) -> None:
    isg = engine.isg
    # futures.py and tasks.py call `events._get_event_loop()` through `from . import events`
    callers = sources(isg, "events._get_event_loop", EdgeKind.CALLS)
    assert {"futures.Future.__init__", "tasks.gather", "futures.wrap_future"} <= callers
    # events.get_event_loop() is public API: asyncio itself never calls it, only the policy's
    assert sources(isg, "events.get_event_loop", EdgeKind.CALLS) == set()
    # `get_event_loop_policy().get_event_loop()`: the policy comes from a `global` assignment
    assert "events.BaseDefaultEventLoopPolicy.get_event_loop" in targets(
        isg, "events._get_event_loop", EdgeKind.CALLS
    )


def test_imports(engine: Engine) -> None:
    isg = engine.isg
    assert {"events", "futures", "coroutines", "exceptions"} <= set(targets(isg, "tasks", EdgeKind.IMPORTS))
    # asyncio/__init__.py star-imports its submodules
    assert {"base_events", "tasks", "runners", "streams"} <= set(targets(isg, "asyncio", EdgeKind.IMPORTS))


def test_unresolved_calls_are_counted_by_reason(engine: Engine) -> None:
    res = LANGUAGE.resolver(engine.facts)
    edges = list(res.resolve_all())
    stats = res.stats
    assert len(edges) > 1000
    assert stats["calls"] > 3000
    assert 0.3 < stats["calls_resolved"] / stats["calls"] < 0.9
    unresolved = {k: v for k, v in stats.items() if k.startswith("unresolved_")}
    assert stats["calls"] == stats["calls_resolved"] + sum(unresolved.values())
    # the biggest reasons on asyncio: builtins (len, isinstance...), methods of builtin values,
    # other modules (socket, collections...), receivers nothing is known about
    for reason in ("builtin", "builtin_method", "external", "unknown_receiver"):
        assert unresolved[f"unresolved_{reason}"] > 100
