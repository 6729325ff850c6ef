"""Name resolution for Python: every file's unresolved facts become CALLS, USES, IMPLEMENTS and
IMPORTS edges.

The index is built once from all files' facts (:class:`Index`); ``resolve_file(path)`` reads only
that file's facts plus the index, through a shared :class:`Evaluator`. An edge is ``exact`` when
scope, import and MRO rules found its target, ``inferred`` when an assignment, a return, an
annotation, argument flow or the unique-name fallback was involved, ``ambiguous`` when several
candidates remain (each gets an edge).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TypeVar

import msgspec

from pt_tui.core.heap import gc_paused
from pt_tui.core.lang.base import FileFacts, Resolver
from pt_tui.core.lang.python.builtins import BUILTIN_METHODS, BUILTIN_NAMES, is_dunder
from pt_tui.core.lang.python.evaluate import FUNCTIONS, MAX_TARGETS, Evaluator, Result
from pt_tui.core.lang.python.facts import DECODER, SPECIAL_HEADS, Call, Chain, Import, PyFacts, Scope
from pt_tui.core.lang.python.index import CLASS, METHOD, Index
from pt_tui.core.model import Edge, EdgeKind, Resolution

_Add = Callable[[str, str, EdgeKind, int, Resolution], None]  # an edge sink
_T = TypeVar("_T")
_Links = tuple[tuple[str, Resolution], ...]

_CALLABLE = FUNCTIONS | {CLASS}
#: Builtins that call a function passed to them.
_CALLING_BUILTINS = frozenset({"map", "filter", "sorted", "min", "max", "iter"})
_CALLS, _USES, _IMPLEMENTS, _IMPORTS = EdgeKind.CALLS, EdgeKind.USES, EdgeKind.IMPLEMENTS, EdgeKind.IMPORTS
_EXACT, _INFERRED, _AMBIGUOUS = Resolution.EXACT, Resolution.INFERRED, Resolution.AMBIGUOUS


class PythonResolver(Resolver):
    """Resolves the Python files of one graph against an index of all of them."""

    def __init__(self, facts: Mapping[str, FileFacts]) -> None:
        with gc_paused():
            self.index = Index(facts)
        self.evaluator = Evaluator(self.index)
        self._plans: dict[tuple[int, Chain], tuple[_Links, str]] = {}
        self._outcomes: dict[str, int] = {}  # call outcome ("resolved", "unresolved_<reason>") -> calls
        self._edge_counts: Counter[str] = Counter()

    @property
    def stats(self) -> dict[str, int]:
        """Counts so far: ``calls``; ``calls_resolved`` (``calls_fallback`` of them by the unique-name
        fallback); ``unresolved_<reason>`` per reason; ``edges_<KIND>_<resolution>``."""
        outcomes = self._outcomes
        out: dict[str, int] = dict(self._edge_counts)
        out["calls"] = sum(outcomes.values())
        out["calls_resolved"] = outcomes.get("resolved", 0) + outcomes.get("fallback", 0)
        out["calls_fallback"] = outcomes.get("fallback", 0)
        out.update((k, v) for k, v in outcomes.items() if k.startswith("unresolved_"))
        if self.index.unreadable:
            out["files_unreadable_payload"] = self.index.unreadable
        return dict(sorted(out.items()))

    def paths(self) -> Iterable[str]:
        return self.index.file_scopes.keys()

    # -- incremental updates --------------------------------------------------------------------

    @staticmethod
    def same_interface(old: FileFacts, new: FileFacts) -> bool:
        """Whether two versions of a file look the same to every other file's resolution: equal
        but for lines, type uses, imports and calls that pass no argument (argument flow reads
        the others). Then :meth:`refresh` can patch the index in place and only the file itself
        needs resolving again; otherwise the language is resolved again."""
        if old.module != new.module or old.path != new.path:
            return False
        try:
            return _interface(DECODER.decode(old.payload)) == _interface(DECODER.decode(new.payload))
        except msgspec.DecodeError:
            return False

    def refresh(self, path: str, new: FileFacts) -> bool:
        """Patch a file's lines, type uses, imports and calls in place (memoised evaluations stay
        valid, they read none of these); False when the index cannot take it that way."""
        span = self.index.file_scopes.get(path)
        try:
            payload = DECODER.decode(new.payload)
        except msgspec.DecodeError:
            return False
        if span is None or len(span) != len(payload.scopes):
            return False
        scopes = self.index.scopes
        for i, fresh in zip(span, payload.scopes, strict=True):
            scope = scopes[i]
            if scope.node != fresh.node:
                return False
            scope.calls = fresh.calls
            scope.uses = fresh.uses
            scope.line = fresh.line
            scope.base_lines = fresh.base_lines
        self.index.imports[path] = payload.imports
        return True

    def resolve_all(self) -> Iterator[Edge]:
        with gc_paused():
            for path in list(self.paths()):
                yield from self.resolve_file(path)

    def resolve_file(self, path: str) -> list[Edge]:
        span = self.index.file_scopes.get(path)
        if span is None:
            return []
        with gc_paused():
            self.evaluator.prepare()
            return self._resolve_span(path, span)

    # -- edges ----------------------------------------------------------------------------------

    def _resolve_span(self, path: str, span: range) -> list[Edge]:
        edges: dict[tuple[str, str, str, int], Edge] = {}
        counts: Counter[tuple[str, str]] = Counter()

        def add(src: str, dst: str, kind: EdgeKind, line: int, resolution: Resolution) -> None:
            key = (src, dst, kind, line)
            if key not in edges:
                edges[key] = Edge(src=src, dst=dst, kind=kind, file=path, line=line, resolution=resolution)
                counts[(kind, resolution)] += 1

        ev = self.evaluator
        for index in span:
            scope = self.index.scopes[index]
            for call in scope.calls:
                self._resolve_call(index, call, add)
            for use in scope.uses:
                for dst, resolution in self._classes(ev.eval_chain(index, use.ref)):
                    add(scope.node, dst, _USES, use.line, resolution)
            if scope.kind == CLASS:
                self._implements(scope, add)
        module_node = self.index.module_node.get(path)
        if module_node is not None:
            for imp in self.index.imports.get(path, ()):
                for dst in self._imported(imp):
                    add(module_node, dst, _IMPORTS, imp.line, _EXACT)
        for (edge_kind, how), n in counts.items():
            self._edge_counts[f"edges_{edge_kind}_{how}"] += n
        return list(edges.values())

    def _classes(self, res: Result) -> list[tuple[str, Resolution]]:
        kind = self.index.kind
        found = [(k, inf) for (t, k), inf in res.items() if t == "d" and kind.get(k) == CLASS]
        if len(found) > MAX_TARGETS:
            return []
        if len(found) > 1:
            return [(k, _AMBIGUOUS) for k, _ in found]
        return [(k, _INFERRED if inf else _EXACT) for k, inf in found]

    def _implements(self, scope: Scope, add: _Add) -> None:
        for ref, line in zip(scope.bases, scope.base_lines, strict=False):
            for dst, resolution in self._classes(self.evaluator.eval_chain(scope.parent, ref)):
                if dst != scope.node:
                    add(scope.node, dst, _IMPLEMENTS, line, resolution)

    def _imported(self, imp: Import) -> list[str]:
        """The modules an import statement links to: each from-imported submodule, else the module
        imported from (``import a.b.c`` falls back to its longest known prefix)."""
        ix = self.index
        out: list[str] = []
        if imp.names:
            for name in imp.names:
                sub = ix.find_module(f"{imp.module}.{name}" if imp.module else name)
                if sub is not None:
                    out.append(ix.module_id(sub))
            if len(out) == len(imp.names):
                return out
        module = ix.find_module(imp.module)
        if module is None and imp.names is None:
            parts = imp.module.split(".")
            while module is None and len(parts) > 1:
                parts.pop()
                module = ix.find_module(".".join(parts))
        if module is not None:
            out.append(ix.module_id(module))
        return out

    # -- calls ----------------------------------------------------------------------------------

    def _resolve_call(self, index: int, call: Call, add: _Add) -> None:
        if call.synthetic:  # a decorator's result applied to a def: linked when known, not counted
            links, _ = self._plan(index, call)
        else:
            key = (index, call.callee)
            plan = self._plans.get(key)
            if plan is None:
                plan = self._plans[key] = self._plan(index, call)
            links, outcome = plan
            self._outcomes[outcome] = self._outcomes.get(outcome, 0) + 1
        if links:
            src = self.index.caller[index]
            for dst, resolution in links:
                add(src, dst, _CALLS, call.line, resolution)
        elif len(call.callee) == 1 and call.callee[0] in _CALLING_BUILTINS and (call.args or call.kwargs):
            self._passed_to_builtin(index, call, add)

    def _passed_to_builtin(self, index: int, call: Call, add: _Add) -> None:
        """``map(f, xs)``, ``sorted(xs, key=f)``: the builtin calls the functions it is passed, on
        behalf of the caller (``inferred`` edges)."""
        ev = self.evaluator
        if ev.name(index, call.callee[0]) != {("b", call.callee[0]): False}:
            return  # shadowed by a definition of the same name
        kind = self.index.kind
        src = self.index.caller[index]
        for arg in (*call.args, *call.kwargs.values()):
            if not arg:
                continue
            found = [k for (t, k) in ev.eval_chain(index, arg) if t == "d" and kind.get(k) in FUNCTIONS]
            if len(found) <= MAX_TARGETS:
                resolution = _AMBIGUOUS if len(found) > 1 else _INFERRED
                for dst in found:
                    add(src, dst, _CALLS, call.line, resolution)

    def _plan(self, index: int, call: Call) -> tuple[_Links, str]:
        """What a call links to (a class and its ``__init__`` for a class call), or why nothing."""
        res, reason = self._callee(index, call.callee)
        kind = self.index.kind
        targets = [(k, inf) for (t, k), inf in res.items() if t == "d" and kind.get(k) in _CALLABLE]
        outcome = "resolved"
        if not targets and not call.synthetic:
            targets = self._fallback(call.callee, reason)
            outcome = "fallback"
        if not targets:
            return (), "unresolved_" + (reason or "not_callable")
        if len(targets) > MAX_TARGETS:
            return (), "unresolved_too_many_candidates"
        links: list[tuple[str, Resolution]] = []
        ambiguous = len(targets) > 1
        for dst, inf in targets:
            resolution = _AMBIGUOUS if ambiguous else _INFERRED if inf else _EXACT
            links.append((dst, resolution))
            if kind.get(dst) == CLASS:
                init = self.evaluator.class_lookup(dst, "__init__", instance=False) or {}
                links.extend((k, resolution) for (t, k) in init if t == "d" and kind.get(k) == METHOD)
        return tuple(links), outcome

    def _callee(self, index: int, chain: Chain) -> tuple[Result, str]:
        """The callee's targets, and the reason when there is none to link."""
        ev = self.evaluator
        head = chain[0]
        receiver, found = ev.callee(index, chain)
        if receiver is None:  # a bare name
            if found is None:
                return {}, self._unbound_reason(index, head)
            if found and all(t == "b" for t, _ in found):
                return {}, "builtin"
            return found, "" if found else "dynamic" if head == "?" else "unknown_value"
        if not receiver:
            if head[:1] not in SPECIAL_HEADS and ev.lookup(index, head) is None:
                reason = self._unbound_reason(index, head)
                return {}, "unknown_receiver" if reason == "undefined_name" else reason
            return {}, "dynamic" if head == "?" else "unknown_receiver"
        res = found or {}
        if any(t == "d" for t, _ in res):
            return res, ""
        tags = {t for t, _ in receiver}
        if tags == {"x"}:
            return res, "external"
        if "b" in tags or "c" in tags:
            return res, "builtin_method"
        if not res:
            return res, "attribute_not_found"
        return res, "external" if {t for t, _ in res} == {"x"} else "not_callable"

    def _unbound_reason(self, index: int, name: str) -> str:
        if name in BUILTIN_NAMES:
            return "builtin"
        if self.evaluator.unresolved_star(index):
            return "external_star_import"
        return "undefined_name"

    def _fallback(self, chain: Chain, reason: str) -> list[tuple[str, bool]]:
        """A unique global function or class for an undefined bare name; a unique method for an
        unknown receiver (never a builtin type's method name, never a dunder)."""
        ix = self.index
        if len(chain) == 1:
            if reason != "undefined_name":
                return []
            cands = ix.globals_by_name.get(chain[0], ())
            return [(cands[0], True)] if len(cands) == 1 else []
        last = chain[-1]
        if reason not in ("unknown_receiver", "dynamic") or last[:1] != ".":
            return []
        name = last[1:]
        if is_dunder(name) or name in BUILTIN_METHODS:
            return []
        owners = ix.methods_by_name.get(name, {})
        if len(owners) != 1:
            return []
        return [(next(iter(owners.values())), True)]

    # -- targeted re-resolution (incremental updates, see affected.py) ----------------------------

    def affected(
        self,
        changes: Mapping[str, tuple[FileFacts | None, FileFacts | None]],
        facts: Mapping[str, FileFacts],
        previous: Resolver | None,
    ) -> set[str] | None:
        from pt_tui.core.lang.python.affected import affected_files

        return affected_files(self, changes, facts, previous)

    def patched(
        self,
        changes: Mapping[str, tuple[FileFacts | None, FileFacts | None]],
        facts: Mapping[str, FileFacts],
        keep: bool,
    ) -> Resolver | None:
        from pt_tui.core.lang.python.affected import patch_resolver

        return patch_resolver(self, changes, facts, keep)


_CANONICAL = msgspec.msgpack.Encoder(order="deterministic")  # dict keys sorted


def _interface(payload: PyFacts) -> bytes:
    """A payload reduced to what other files' resolution can read."""
    scopes = [
        msgspec.structs.replace(
            scope,
            line=0,
            base_lines=[],
            uses=[],
            calls=_sorted(
                [Call(c.callee, 0, c.args, c.kwargs, c.synthetic) for c in scope.calls if _flows(c)]
            ),
            bindings={name: _sorted(values) for name, values in scope.bindings.items()},
            returns=_sorted(scope.returns),
            attrs={name: _sorted(values) for name, values in scope.attrs.items()},
        )
        for scope in payload.scopes
    ]
    return _CANONICAL.encode(PyFacts(scopes=scopes))


def _sorted(values: list[_T]) -> list[_T]:
    """Values in a canonical order: extraction may list one name's values in either order, and
    evaluation takes their union."""
    return sorted(values, key=_CANONICAL.encode) if len(values) > 1 else values


def _flows(call: Call) -> bool:
    """Whether a call passes arguments (argument flow binds them to the callee's parameters)."""
    return bool(call.kwargs) or any(call.args)
