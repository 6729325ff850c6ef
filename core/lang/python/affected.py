"""Which Python files an interface change can touch: the targeted part of incremental updates.

:func:`affected_files` is what :meth:`PythonResolver.affected` returns. It works on names, an
over-approximation of what evaluation reads:

- every file has *tokens*: each name and attribute in its chains, each part of its import and
  module paths, each name it binds (an inverted index token -> files, carried between resolvers);
- the *delta* starts as the names whose meaning may differ between the old and new version of the
  changed files (a scope added, removed or changed: its name; a module or class binding changed:
  that name; a class whose bases changed: every name bound along its old and new MRO; a module
  added or removed: the last part of its module name; star imports or ``__all__`` changed: the
  module's exports, before and after);
- a file whose tokens meet the delta is re-resolved, and the names it binds whose values read the
  delta (module and class bindings, ``self`` attributes, functions whose body reads it) join the
  delta in turn, until nothing changes;
- argument flow is compared exactly: the flows of the old and new resolver (after ``prepare``)
  are diffed, and a flow out of a re-resolved file may change in value too; a function whose
  parameter gets other arguments is re-resolved with its file, as if its name were in the delta.

Anything this cannot judge (an unreadable payload, the root package appearing) returns None:
every file is resolved again, as before.

Every field of :class:`Scope` counts (``decorated`` included: callers of a decorated def reach
what its decorators return) unless listed in ``_NOT_MEANING`` or skipped by ``_canonical``.

:func:`patch_resolver` is the other half of interface edits: the new resolver made from the old
one's index patched in place for the changed files (no payload of an unchanged file decoded again).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import msgspec

from pt_tui.core.lang.base import FileFacts, Resolver
from pt_tui.core.lang.python.evaluate import Evaluator
from pt_tui.core.lang.python.facts import DECODER, PyFacts, Scope
from pt_tui.core.lang.python.index import CLASS

if TYPE_CHECKING:
    from pt_tui.core.lang.python.resolve import PythonResolver

Changes = Mapping[str, tuple[FileFacts | None, FileFacts | None]]
#: Scope fields that say nothing about what the scope's names mean to other code.
_NOT_MEANING = frozenset({"node", "kind", "name", "parent", "line", "base_lines", "calls", "uses"})
_MODULE_LEVEL = ("module", CLASS)


class Summaries:
    """Per file: the payload it was computed from and its tokens; and the inverted index."""

    def __init__(self) -> None:
        self.payloads: dict[str, bytes] = {}
        self.tokens: dict[str, frozenset[str]] = {}
        self.files_of: dict[str, set[str]] = {}

    def put(self, path: str, payload: bytes, tokens: frozenset[str]) -> None:
        self.drop(path)
        self.payloads[path] = payload
        self.tokens[path] = tokens
        for token in tokens:
            self.files_of.setdefault(token, set()).add(path)

    def drop(self, path: str) -> None:
        old = self.tokens.pop(path, None)
        self.payloads.pop(path, None)
        if old:
            for token in old:
                files = self.files_of.get(token)
                if files is not None:
                    files.discard(path)
                    if not files:
                        del self.files_of[token]


#: What a fresh PythonResolver holds; one holding more is not patched (it would be carried stale).
_RESOLVER_STATE = frozenset({"index", "evaluator", "_plans", "_outcomes", "_edge_counts"})


def patch_resolver(
    previous: Resolver, changes: Changes, facts: Mapping[str, FileFacts], keep: bool = False
) -> Resolver | None:
    """The resolver of ``facts`` (the state after ``changes``: path -> (old, new) facts, None for an
    absent file), made from ``previous`` (the resolver of the state before) by patching its index,
    with a fresh evaluator: it resolves as ``PythonResolver(facts)`` does, without decoding the
    unchanged files again. The index is patched in place, which spends ``previous``, unless
    ``keep`` (then a copy is: :func:`affected_files` reads ``previous`` after). None when it cannot
    be patched (then nothing was touched)."""
    from pt_tui.core.lang.python.resolve import PythonResolver

    if type(previous) is not PythonResolver:
        return None
    fresh = PythonResolver({})
    if set(vars(fresh)) != _RESOLVER_STATE:
        return None
    index = previous.index.copy() if keep else previous.index
    for path, (old, new) in changes.items():
        if old is not None and new is not None:
            index.replace_file(path, old, new)
        elif old is not None:
            index.remove_file(path, old)
        elif new is not None:
            index.add_file(path, new)
    fresh.index = index
    fresh.evaluator = Evaluator(index)
    return fresh


def summaries_for(facts: Mapping[str, FileFacts], carried: Summaries | None) -> tuple[Summaries, bool]:
    """Summaries of these files, reusing ``carried`` where the payload is the same object
    (``carried`` is taken over: do not use it after). False when a payload does not decode."""
    out = carried if carried is not None else Summaries()
    for path in [p for p in out.payloads if p not in facts]:
        out.drop(path)
    ok = True
    for path, f in facts.items():
        if out.payloads.get(path) is f.payload:
            continue
        payload = _decode(f)
        if payload is None:
            ok = False
            out.drop(path)
            continue
        out.put(path, f.payload, frozenset(_file_tokens(payload, f.module)))
    return out, ok


def affected_files(
    resolver: PythonResolver, changes: Changes, facts: Mapping[str, FileFacts], previous: object
) -> set[str] | None:
    """The files of ``facts`` (the new state) whose edges may differ after ``changes``."""
    from pt_tui.core.lang.python.resolve import PythonResolver

    if not isinstance(previous, PythonResolver):
        return None
    carried: Summaries | None = getattr(previous, "_summaries", None)
    previous._summaries = None  # type: ignore[attr-defined]  # taken over (mutated below)
    summaries, ok = summaries_for(facts, carried)
    resolver._summaries = summaries  # type: ignore[attr-defined]
    if not ok:
        return None
    delta: set[str] = set()
    forced: dict[str, set[str]] = {}  # path -> names taken as changed in that file only
    files: set[str] = set()
    classes_moved: set[str] = set()  # class ids whose MRO may differ
    for path, (old, new) in changes.items():
        old_p = _decode(old) if old is not None else None
        new_p = _decode(new) if new is not None else None
        if (old is not None and old_p is None) or (new is not None and new_p is None):
            return None
        if path == "__init__.py":
            return None  # the root package: every import path may mean something else
        if new is not None:
            files.add(path)
        if old is None or new is None or old.module != new.module:
            for f in (old, new):
                if f is not None:
                    delta.add(f.module.rsplit(".", 1)[-1])
        changed = _scope_delta(old_p, new_p, delta, classes_moved)
        if changed is None:
            return None
        if changed:  # star imports or __all__ changed: the module's importers read again
            delta.update(f.module.rsplit(".", 1)[-1] for f in (old, new) if f is not None)

    flows_old = _flows(previous)
    flows_new = _flows(resolver)
    out_old, out_new = _outgoing(flows_old, previous), _outgoing(flows_new, resolver)
    pending: set[str] = set(files)

    def mark(path: str, param: str) -> None:
        names = forced.setdefault(path, set())
        if param not in names:
            names.add(param)
            pending.add(path)

    for key in flows_old.keys() | flows_new.keys():
        if flows_old.get(key) != flows_new.get(key):
            mark(key[0], key[2])
    _add_mro_names(delta, classes_moved, previous, resolver)
    files_of = summaries.files_of
    seen_names: set[str] = set()
    while True:
        fresh = delta - seen_names
        seen_names |= fresh
        for name in fresh:
            pending.update(files_of.get(name, ()))
        if not pending:
            return files
        for path in sorted(pending):
            pending.discard(path)
            f = facts.get(path)
            if f is None:
                continue
            files.add(path)
            payload = _decode(f)
            if payload is None:
                return None
            moved: set[str] = set()
            mine = forced.get(path, set())
            local = _dirty_names(payload, f.module, delta, mine, moved)
            for out in (out_old.get(path, {}), out_new.get(path, {})):
                for (target, param), names in out.items():  # an argument whose value may differ
                    if any(n in local or n in delta or n in mine for n in names):
                        mark(target, param)
            moved -= classes_moved
            if moved:
                classes_moved |= moved
                _add_mro_names(delta, moved, previous, resolver)


# -- tokens ---------------------------------------------------------------------------------------


def _decode(f: FileFacts | None) -> PyFacts | None:
    if f is None:
        return None
    try:
        return DECODER.decode(f.payload)
    except msgspec.DecodeError:
        return None


def _local_names(payload: PyFacts) -> dict[str, str]:
    return {s.node: s.name for s in payload.scopes}


def _file_tokens(payload: PyFacts, module: str) -> set[str]:
    """Every name a file references or binds, and the parts of its module and import paths."""
    ids = _local_names(payload)
    out: set[str] = set(module.split("."))
    for scope in payload.scopes:
        out.add(scope.name)
        for field in scope.__struct_fields__:
            if field not in ("node", "kind", "line", "base_lines", "parent"):
                _tokens(getattr(scope, field), out, ids)
    for imp in payload.imports:
        out.update(p for p in imp.module.split(".") if p)
        out.update(imp.names or ())
    return out


def _tokens(value: object, out: set[str], ids: Mapping[str, str]) -> None:
    """The names in a value of the payload (chains, lists, dicts, structs) into ``out``."""
    if isinstance(value, str):
        _step(value, out, ids)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _tokens(item, out, ids)
    elif isinstance(value, dict):
        for key, item in value.items():
            _tokens(key, out, ids)
            _tokens(item, out, ids)
    elif isinstance(value, msgspec.Struct):
        for field in value.__struct_fields__:
            _tokens(getattr(value, field), out, ids)


def _step(step: str, out: set[str], ids: Mapping[str, str]) -> None:
    if not step:
        return
    first = step[0]
    if first in "@!*":
        name = ids.get(step[1:])
        if name is not None:
            out.add(name)
    elif first == ".":
        out.add(step[1:])
    elif first in "%^":
        out.update(p for p in step[1:].split(".") if p)
    elif first == "&":
        out.add(step.partition(":")[2])
    elif first == "<":
        out.update(p for p in step[step.find(">") + 1 :].split(".") if p)
    elif first not in "#?([":
        out.update(p for p in step.split(".") if p)


def _meaning_tokens(scope: Scope, ids: Mapping[str, str], skip: tuple[str, ...] = ()) -> set[str]:
    out: set[str] = set()
    for field in scope.__struct_fields__:
        if field not in _NOT_MEANING and field not in skip:
            _tokens(getattr(scope, field), out, ids)
    return out


# -- the delta --------------------------------------------------------------------------------------


def _scope_delta(
    old: PyFacts | None, new: PyFacts | None, delta: set[str], classes_moved: set[str]
) -> bool | None:
    """Add the names of what differs between two versions of a file to ``delta``; True when its
    star imports or ``__all__`` changed (the caller adds the exports), None when undecidable."""
    old_scopes = {s.node: s for s in (old.scopes if old is not None else ())}
    new_scopes = {s.node: s for s in (new.scopes if new is not None else ())}
    old_ids = _local_names(old) if old is not None else {}
    new_ids = _local_names(new) if new is not None else {}
    exports_changed = False
    for node in old_scopes.keys() | new_scopes.keys():
        a, b = old_scopes.get(node), new_scopes.get(node)
        if a is None or b is None:
            s = a if a is not None else b
            assert s is not None
            owner = old if a is not None else new
            assert owner is not None
            delta.add(_visible(s, owner.scopes))  # a module: its importers read its last part
            if s.kind == CLASS:  # its bindings: see _add_mro_names
                classes_moved.add(node)
                _chain_names(s.bases, delta, old_ids if a is not None else new_ids)
            continue
        if _canonical(a, old_ids, ()) == _canonical(b, new_ids, ()):
            continue
        if a.kind in _MODULE_LEVEL:
            for name in a.bindings.keys() | b.bindings.keys():
                if _values(a.bindings.get(name), old_ids) != _values(b.bindings.get(name), new_ids):
                    delta.add(name)
            for name in a.attrs.keys() | b.attrs.keys():
                if _values(a.attrs.get(name), old_ids) != _values(b.attrs.get(name), new_ids):
                    delta.add(name)
            if _canonical(a, old_ids, ("bindings", "attrs")) != _canonical(b, new_ids, ("bindings", "attrs")):
                delta.add(a.name)
        else:
            assert old is not None
            delta.add(_visible(a, old.scopes))
        if a.kind == CLASS and _values(a.bases, old_ids) != _values(b.bases, new_ids):
            classes_moved.add(node)
            _chain_names(a.bases, delta, old_ids)
            _chain_names(b.bases, delta, new_ids)
        if a.kind == "module" and (a.stars != b.stars or a.all_names != b.all_names):
            exports_changed = True
            if a.all_names is None or b.all_names is None:
                delta.update(n for n in a.bindings.keys() | b.bindings.keys() if not n.startswith("_"))
            delta.update(a.all_names or ())
            delta.update(b.all_names or ())
    return exports_changed


def _visible(scope: Scope, scopes: list[Scope]) -> str:
    """The name under which other files can reach a scope: its own for a module-level or class-
    level one, else that of the outermost function around it (a nested def is seen through it)."""
    while scope.parent >= 0 and scopes[scope.parent].kind not in _MODULE_LEVEL:
        scope = scopes[scope.parent]
    return scope.name


def _chain_names(chains: Iterable[object], out: set[str], ids: Mapping[str, str]) -> None:
    for chain in chains:
        _tokens(chain, out, ids)


_ENC = msgspec.msgpack.Encoder(order="deterministic")


def _canonical(scope: Scope, ids: Mapping[str, str], skip: tuple[str, ...]) -> bytes:
    """A scope's meaning, comparable across versions (scope indexes and line numbers left out)."""
    fields = {
        f: _norm(getattr(scope, f), ids)
        for f in scope.__struct_fields__
        if f not in ("line", "base_lines", "calls", "uses", "parent", "node") and f not in skip
    }
    return _ENC.encode(fields)


def _values(values: object, ids: Mapping[str, str]) -> bytes:
    return _ENC.encode(_norm(values, ids))


def _norm(value: object, ids: Mapping[str, str]) -> object:
    """Sorted where order does not matter; ``attrs`` scope indexes dropped (they shift)."""
    if isinstance(value, dict):
        return {k: _norm(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        items = [_norm(v, ids) for v in value]
        return sorted(items, key=_ENC.encode)
    if isinstance(value, tuple):
        if len(value) == 2 and isinstance(value[0], int) and not isinstance(value[0], bool):
            return _norm(value[1], ids)  # (scope index, value) of attrs
        return list(value)
    if isinstance(value, msgspec.Struct):
        return {f: _norm(getattr(value, f), ids) for f in value.__struct_fields__}
    return value


def _add_mro_names(
    delta: set[str], classes: Iterable[str], previous: PythonResolver, resolver: PythonResolver
) -> None:
    """For classes added, removed or whose bases changed: every name bound along their old and
    new MRO (what ``self`` and subclass lookups in their bases may now find or miss). A class
    without bases in the graph is seen by no other class: only its method names that the unique
    method fallback may now find or miss count."""
    rs = (previous, resolver)
    for r in rs:
        ix = r.index
        # a throwaway evaluator: what the live one computes first may differ (cycles are cut
        # where they are entered), and the files must resolve as a cold index resolves them
        evaluator = Evaluator(ix)
        for cls in classes:
            if cls not in ix.scope_of:
                continue
            order = evaluator.mro(cls)
            if len(order) == 1:
                scope = ix.scopes[ix.scope_of[cls]]
                owners = [x.index.methods_by_name for x in rs]
                delta.update(n for n in scope.bindings if any(len(o.get(n, ())) <= 1 for o in owners))
                continue
            for k in order:
                index = ix.scope_of.get(k)
                if index is not None:
                    scope = ix.scopes[index]
                    delta.add(scope.name)
                    delta.update(scope.bindings)
                    delta.update(scope.attrs)


def _dirty_names(
    payload: PyFacts, module: str, delta: set[str], forced: set[str], moved: set[str]
) -> set[str]:
    """The names of this file whose meaning reads a name of ``delta`` (or of ``forced``: this
    file's parameters whose arguments changed), function locals included; those other files can
    see (module and class bindings, ``self`` attributes, functions and classes) join ``delta``.
    Classes whose bases read one go to ``moved``."""
    ids = _local_names(payload)
    scopes = payload.scopes
    local: set[str] = set()
    meaning = [_meaning_tokens(s, ids, ("bindings", "attrs")) for s in scopes]
    bindings = [
        {name: _value_tokens(vals, ids) for name, vals in (*s.bindings.items(), *_attr_items(s)) if vals}
        for s in scopes
    ]
    bases = [_value_tokens(s.bases, ids) if s.kind == CLASS else set() for s in scopes]
    stars = [_value_tokens(s.stars, ids) if s.stars else set() for s in scopes]

    def hot(tokens: set[str]) -> bool:
        return any(t in delta or t in forced or t in local for t in tokens)

    last = module.rsplit(".", 1)[-1]
    changed = True
    while changed:
        changed = False
        for i, scope in enumerate(scopes):
            if scope.kind != "module" and scope.name not in local and hot(meaning[i]):
                local.add(scope.name)
                changed = True
            for name, tokens in bindings[i].items():
                if name not in local and hot(tokens):
                    local.add(name)
                    changed = True
            if scope.kind == CLASS and scope.node not in moved and hot(bases[i]):
                moved.add(scope.node)
            if stars[i] and last not in local and hot(stars[i]):
                local.add(last)  # what the module exports may differ: its importers read again
                changed = True
    visible = {last}
    for scope in scopes:
        if scope.kind in _MODULE_LEVEL:
            visible.update(scope.bindings)
            visible.update(scope.attrs)
        if scope.kind != "module":
            visible.add(scope.name)
    delta.update(local & visible)
    return local


def _attr_items(scope: Scope) -> Iterable[tuple[str, list[object]]]:
    return ((name, [v for _, v in vals]) for name, vals in scope.attrs.items())


def _value_tokens(values: object, ids: Mapping[str, str]) -> set[str]:
    out: set[str] = set()
    _tokens(values, out, ids)
    return out


# -- argument flow ----------------------------------------------------------------------------------

FlowKey = tuple[str, str, str, str]  # (file, function name, parameter, function node) a flow binds


def _flows(resolver: PythonResolver) -> dict[FlowKey, frozenset[tuple[str, str, tuple[str, ...]]]]:
    """Argument flows by stable keys: (target file, function name, parameter) -> the (calling file,
    calling scope node, argument chain) bound to it."""
    ev = resolver.evaluator
    ev.prepare()
    ix = resolver.index
    starts = sorted((r.start, path) for path, r in ix.file_scopes.items())
    firsts = [s for s, _ in starts]

    def file_of(index: int) -> str:
        return starts[bisect_right(firsts, index) - 1][1]

    out: dict[FlowKey, set[tuple[str, str, tuple[str, ...]]]] = {}
    for (target, param), sources in ev.flows.items():
        scope = ix.scopes[target]
        key = (file_of(target), scope.name, param, scope.node)
        bucket = out.setdefault(key, set())
        for caller, chain in sources:
            bucket.add((file_of(caller), ix.scopes[caller].node, chain))
    return {k: frozenset(v) for k, v in out.items()}


def _outgoing(
    flows: Mapping[FlowKey, frozenset[tuple[str, str, tuple[str, ...]]]], resolver: PythonResolver
) -> dict[str, dict[tuple[str, str], set[str]]]:
    """Per calling file: (target file, parameter) its arguments flow into -> the argument names."""
    ids = {s.node: s.name for s in resolver.index.scopes}
    out: dict[str, dict[tuple[str, str], set[str]]] = {}
    for (path, _, param, _), sources in flows.items():
        for caller, _, chain in sources:
            names = out.setdefault(caller, {}).setdefault((path, param), set())
            for step in chain:
                _step(step, names, ids)
    return out
