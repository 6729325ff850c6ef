"""What a reference chain may denote: lazy, memoised, cycle-safe evaluation over the index.

Values are *targets*:

- ``("d", id)`` a definition (function, method, lambda, class),  ``("i", id)`` an instance of a class,
  ``("o", id)`` an instance of a class or of a subclass (``self``),
- ``("m", path)`` a module (by import path),  ``("s", id)`` ``super()`` seen from a class,
- ``("c", n)`` a literal collection,  ``("b", type)`` a builtin value,  ``("x", path)`` something
  from a module outside the graph.

A result maps each target to a flag: False when only scope, import and MRO rules led there (an
``exact`` edge), True when an assignment, a return, an annotation or argument flow was involved
(``inferred``).

Every memoised computation is marked in progress while it runs; meeting it again (import cycles,
``class A(B)``/``class B(A)``, ``a = b; b = a``, a recursive call passing on what its parameter
holds) is a cycle. A result computed while an *enclosing* computation was still in progress waits
unmemoised (the in-progress levels work like Tarjan's low-links) until the outermost member of
its cycle, the root, finishes; the root is computed again, the cycle's reads now getting the
values of the previous round, until they get what was computed (a fixed point, at most
``_MAX_ROUNDS``); then every member is memoised. Results are thus the same whichever member a
cycle is entered at, so a file resolves alike whatever files were resolved before it in the same
process (tests/test_python_order.py), and files can be resolved in forked processes.

Argument flow (``def apply(fn): fn()`` + ``apply(g)``) is collected in a pass over the call sites
before any file is resolved; results read while it was incomplete are noted and forgotten after.
That pass, and the class tree built at its end, run once, in index order, whatever is resolved
first.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pt_tui.core.lang.python.builtins import BUILTIN_NAMES
from pt_tui.core.lang.python.facts import Call, Chain, Coll, Value
from pt_tui.core.lang.python.index import CLASS, METHOD, Index
from pt_tui.core.model import NodeKind

Target = tuple[str, str]
Result = dict[Target, bool]  # target -> inferred

FUNCTIONS = frozenset({NodeKind.FUNCTION.value, METHOD, NodeKind.LAMBDA.value})
_CALLABLE = FUNCTIONS | {CLASS}
#: More candidates than this for one reference: too vague to link.
MAX_TARGETS = 8
#: A parameter passed more distinct arguments than this is left unknown (megamorphic).
MAX_FLOWS = 24
#: Results wider than this are cut while evaluating (flow-insensitive unions can grow).
MAX_RESULT = 32
_MAX_DEPTH = 60
#: A cycle not stable after this many rounds keeps its last values (non-monotone cuts may swing).
_MAX_ROUNDS = 12
_NO_LOW = 1 << 30
_MAX_EXTERNAL_DOTS = 8
_MISSING: Any = object()
_TOP: Any = object()

_K = TypeVar("_K")
_V = TypeVar("_V")
_State = tuple[int, int, int, int, int]  # level, outer low, taint, members mark, reads mark


def merge(into: Result, res: Result, inferred: bool = False) -> None:
    """Add ``res`` to ``into``; a target reached both ways keeps the exact flag."""
    if not into and len(res) <= MAX_RESULT:
        into.update(dict.fromkeys(res, True) if inferred else res)
        return
    for target, inf in res.items():
        inf = inf or inferred
        old = into.get(target)
        if old is None:
            if len(into) < MAX_RESULT:
                into[target] = inf
        elif old and not inf:
            into[target] = False


class Evaluator:
    """Evaluates chains against an :class:`Index`."""

    def __init__(self, index: Index) -> None:
        self.ix = index
        self.scopes = index.scopes
        self.kind = index.kind
        self._lookups: dict[tuple[int, str], Result | None] = {}
        self._chains: dict[tuple[int, Chain], Result] = {}
        self._returns: dict[str, Result] = {}
        self._decorated: dict[int, Result] = {}
        self._members: dict[tuple[str, str, str], Result] = {}
        self._bases: dict[str, list[tuple[str, bool, int]]] = {}
        self._mros: dict[str, tuple[str, ...]] = {}
        self._exports: dict[str, frozenset[str]] = {}
        # computations in progress -> their level; level 0 is outside any (a slot is computed at
        # most once per evaluation from level 0, so slots name computations)
        self._active: dict[object, int] = {_TOP: 0}
        self._stack: list[object] = [_TOP]  # the slot in progress at each level
        self._level = 0
        self._low = _NO_LOW  # the outermost in-progress level the current computation met
        self._forward: dict[object, object] = {}  # a finished slot -> the slot its cycle depends on
        self._scratch: dict[object, tuple[Any, object]] = {}  # slot -> (value this round, that slot)
        self._members_done: list[tuple[object, dict[Any, Any], Any]] = []  # (slot, memo, key)
        self._reads: list[tuple[object, Any]] = []  # (slot, value read) of reads of a slot in progress
        self._approx: dict[object, Any] = {}  # slot -> its value in the previous round
        self._rounds: dict[object, int] = {}
        self._colls: list[tuple[int, Coll]] = []
        self._coll_slot: dict[int, int] = {}
        self._children: dict[str, list[str]] | None = None  # class -> direct subclasses
        self._building = False
        # argument flow: (function scope, parameter) -> {(calling scope, argument chain)}
        self.flows: dict[tuple[int, str], dict[tuple[int, Chain], None]] = {}
        self.flow_count = 0
        self._flows_ready = False
        self._collecting = False
        self._taint = 0  # bumped whenever a result read an argument flow still being collected
        self._tainted: list[tuple[dict[Any, Any], Any]] = []
        self.prepared = False

    # -- memoisation with cycle fixpoints -------------------------------------------------------

    def _enter(self, slot: object) -> _State | None:
        """Start computing ``slot``; None when it is in progress (a cycle) or was computed in the
        current round of a cycle still being solved: then :meth:`_partial` has its value."""
        level = self._active.get(slot)
        if level is not None:
            if level < self._low:
                self._low = level
            return None
        held = self._scratch.get(slot)
        if held is not None:  # depends on the cycle it belongs to, wherever that is solved
            owner = held[1]
            active = self._active
            while owner not in active:
                owner = self._forward[owner]
            if active[owner] < self._low:
                self._low = active[owner]
            return None
        self._level += 1
        self._active[slot] = self._level
        self._stack.append(slot)
        outer_low = self._low
        self._low = _NO_LOW
        return self._level, outer_low, self._taint, len(self._members_done), len(self._reads)

    def _leave(self, slot: object, state: _State, memo: dict[_K, _V], key: _K, value: _V) -> bool:
        """Finish a round of ``slot``; False when it must be computed again (a cycle through it read
        values that were not yet final: the next round reads this round's values instead).

        A computation that met no computation enclosing it is memoised; one that met a computation
        enclosing it waits, in the scratch, for the outermost member of its cycle (the root) to be
        solved. The root repeats until every value read in progress equals the value computed, so
        a cycle gets the same (least) fixed point whichever member it is entered at."""
        level, outer_low, taint, done_mark, read_mark = state
        low = self._low
        if low == level:  # the root of a cycle through this slot
            scratch = self._scratch
            reads = self._reads
            stable = True
            for i in range(read_mark, len(reads)):
                read, seen = reads[i]
                if (value if read == slot else scratch[read][0]) != seen:
                    stable = False
                    break
            members = self._members_done
            rounds = self._rounds.get(slot, 0) + 1
            if not stable and rounds < _MAX_ROUNDS:
                self._rounds[slot] = rounds
                approx = self._approx
                approx[slot] = value
                for i in range(done_mark, len(members)):
                    member = members[i][0]
                    approx[member] = scratch.pop(member)[0]
                del members[done_mark:]
                del reads[read_mark:]
                self._low = _NO_LOW
                return False
            self._rounds.pop(slot, None)
            tainted = taint != self._taint
            for i in range(done_mark, len(members)):
                member, member_memo, member_key = members[i]
                member_memo[member_key] = scratch.pop(member)[0]
                if tainted:
                    self._tainted.append((member_memo, member_key))
            del members[done_mark:]
            del reads[read_mark:]
        del self._active[slot]
        self._stack.pop()
        self._level -= 1
        self._low = outer_low if outer_low < low else low
        if low >= level:
            memo[key] = value
            if taint != self._taint:
                self._tainted.append((memo, key))
        else:  # kept until its cycle's root is solved, so that it is not redone again and again
            owner = self._stack[low]
            self._scratch[slot] = (value, owner)
            self._forward[slot] = owner
            self._members_done.append((slot, memo, key))
        if not self._level:
            self._scratch.clear()
            self._approx.clear()
            self._forward.clear()
            self._members_done.clear()
            self._reads.clear()
            self._rounds.clear()
        return True

    def _partial(self, slot: object, empty: _V) -> _V:
        """The value of a slot :meth:`_enter` refused: its value in this round, else its value in
        the previous round of its cycle (else ``empty``)."""
        held = self._scratch.get(slot)
        if held is not None:
            return held[0]  # type: ignore[no-any-return]
        value = self._approx.get(slot, empty)
        self._reads.append((slot, value))
        return value  # type: ignore[no-any-return]

    # -- names ----------------------------------------------------------------------------------

    def lookup(self, index: int, name: str) -> Result | None:
        """What a name means in a scope (None: bound nowhere in sight). Class scopes are skipped for
        code nested in them; a module's star imports come after its own bindings."""
        key = (index, name)
        cached = self._lookups.get(key, _MISSING)
        if cached is not _MISSING:
            return cached  # type: ignore[no-any-return]
        slot = ("L", index, name)
        state = self._enter(slot)
        if state is None:
            return self._partial(slot, {})
        while True:
            res: Result | None = None
            current = index
            first = True
            scopes = self.scopes
            while current >= 0:
                scope = scopes[current]
                if scope.kind == CLASS and not first:
                    current = scope.parent
                    continue
                first = False
                vals = scope.bindings.get(name)
                if vals is not None:
                    res = self.eval_values(current, vals)
                    if name in scope.flow_params:
                        self._add_flows(current, name, res)
                    break
                if scope.stars:
                    res = self._star_lookup(current, name)
                    if res is not None:
                        break
                current = scope.parent
            if self._leave(slot, state, self._lookups, key, res):
                return res

    def _add_flows(self, index: int, name: str, res: Result) -> None:
        flows = self.flows.get((index, name)) if self._flows_ready else None
        if flows and len(flows) <= MAX_FLOWS:
            for caller, value in flows:
                merge(res, self.eval_chain(caller, value), inferred=True)
        if self._collecting:
            self._taint += 1  # argument flow may still change this

    def name(self, index: int, name: str) -> Result | None:
        """A name in a scope, falling back to the builtins (``("b", name)``)."""
        found = self.lookup(index, name)
        if found is None and name in BUILTIN_NAMES:
            return {("b", name): False}
        return found

    def eval_values(self, index: int, vals: list[Value]) -> Result:
        """The targets of a binding's values; only def, class and import bindings stay exact."""
        res: Result = {}
        for value in vals:
            if isinstance(value, Coll):
                slot = self._coll_slot.get(id(value))
                if slot is None:
                    slot = self._coll_slot[id(value)] = len(self._colls)
                    self._colls.append((index, value))
                res[("c", str(slot))] = True
            elif value:
                merge(res, self.eval_chain(index, value), inferred=value[0][:1] not in ("@", "%", "*"))
        return res

    def eval_chain(self, index: int, chain: Chain) -> Result:
        if len(chain) == 1:  # a bare name: lookups are memoised already
            return self.head(index, chain[0]) or {}
        key = (index, chain)
        cached = self._chains.get(key)
        if cached is not None:
            return cached
        if self._level > _MAX_DEPTH:
            self._low = 0  # cut short: nothing above is complete
            return {}
        slot = ("C", index, chain)
        state = self._enter(slot)
        if state is None:
            return self._partial(slot, {})
        while True:
            res = self.head(index, chain[0]) or {}
            for step in chain[1:]:
                if not res:
                    break
                res = self.step(res, step)
            if self._leave(slot, state, self._chains, key, res):
                return res

    def head(self, index: int, head: str) -> Result | None:
        first = head[:1]
        if first == "@":
            def_scope = self.ix.scope_of.get(head[1:])
            if def_scope is not None and self.scopes[def_scope].decorated:
                return self.decorated(def_scope)
            return {("d", head[1:]): False}
        if first == "!":
            return {("d", head[1:]): False}
        if first == "*":
            return {("o", head[1:]): False}
        if first == "%":
            return {("m", head[1:]): False}
        if first == "#":
            return {("b", head[1:]): False}
        if first == "?":
            return {}
        if first == "^":
            parent = self.scopes[index].parent
            return self.name(parent, head[1:]) if parent >= 0 else None
        if first == "<":
            return self._super(index, head[len("<super>") :])
        if first == "&":
            local, _, name = head[1:].partition(":")
            return self.lookup(self.ix.base[index] + int(local), name) if local.isdigit() else None
        return self.name(index, head)

    def decorated(self, index: int) -> Result:
        """What a decorated def's name denotes: the functions and classes its decorators return
        (``inferred``), else the def itself (a decorator from outside the graph, one returning an
        object: the def is what a call ends up running, most likely)."""
        cached = self._decorated.get(index)
        if cached is not None:
            return cached
        scope = self.scopes[index]
        own: Result = {("d", scope.node): False}
        slot = ("D", index)
        state = self._enter(slot)
        if state is None:
            return self._partial(slot, own)
        while True:
            kind = self.kind
            found = self.eval_chain(scope.parent, scope.decorated)
            res: Result = {t: True for t in found if t[0] == "d" and kind.get(t[1]) in _CALLABLE}
            if not res or res.keys() == own.keys():
                res = own
            if self._leave(slot, state, self._decorated, index, res):
                return res

    def _super(self, index: int, explicit: str) -> Result:
        if explicit:
            parts = explicit.split(".")
            chain = (parts[0], *["." + p for p in parts[1:]])
            return {("s", k): inf for (tag, k), inf in self.eval_chain(index, chain).items() if tag == "d"}
        current = index
        while current >= 0:
            scope = self.scopes[current]
            parent = scope.parent
            if parent >= 0 and scope.kind in FUNCTIONS and self.scopes[parent].kind == CLASS:
                return {("s", self.scopes[parent].node): False}
            current = parent
        return {}

    def step(self, res: Result, step: str) -> Result:
        out: Result = {}
        keyed = False  # a literal key some collection holds: the others' items do not count
        if step[0] == "[" and len(step) > 2:
            colls = self._colls
            keyed = any(step[1:-1] in colls[int(k)][1].keys for t, k in res if t == "c")
        for (tag, key), inf in res.items():
            if step == "()":
                part = self._call_result(tag, key)
            elif step[0] == ".":
                part = self.member(tag, key, step[1:])
            else:
                part = self._subscript(tag, key, step[1:-1], keyed)
            merge(out, part, inf)
        return out

    def _call_result(self, tag: str, key: str) -> Result:
        if tag == "d":
            kind = self.kind.get(key)
            if kind == CLASS:
                return {("i", key): False}
            if kind in FUNCTIONS:
                return self.returns(key)
            return {}
        if tag in ("b", "x"):
            return {(tag, key): False}
        return {}

    def returns(self, node: str) -> Result:
        """What calling a function gives: its returned values and return annotation."""
        cached = self._returns.get(node)
        if cached is not None:
            return cached
        slot = ("R", node)
        state = self._enter(slot)
        if state is None:
            return self._partial(slot, {})
        while True:
            index = self.ix.scope_of.get(node)
            res: Result = {}
            if index is not None:
                merge(res, self.eval_values(index, self.scopes[index].returns), inferred=True)
            if self._leave(slot, state, self._returns, node, res):
                return res

    def member(self, tag: str, key: str, attr: str) -> Result:
        if tag == "b":
            return {(tag, key): False}
        if tag == "x":
            return {(tag, _external(key, attr)): False}
        if tag == "c":
            return {("b", "collection"): False}
        memo_key = (tag, key, attr)
        cached = self._members.get(memo_key)
        if cached is not None:
            return cached
        slot = ("M", tag, key, attr)
        state = self._enter(slot)
        if state is None:
            return self._partial(slot, {})
        while True:
            res: Result = {}
            if tag == "m":
                res = self._module_member(key, attr)
            elif tag == "d":
                if self.kind.get(key) == CLASS:
                    res = self.class_lookup(key, attr, instance=False) or {}
            elif tag == "i":
                found = self.class_lookup(key, attr, instance=True)
                res = found if found is not None else self._subclass_lookup(key, attr)
            elif tag == "o":
                found = self.class_lookup(key, attr, instance=True)
                res = (
                    self._overrides(key, attr, found)
                    if found is not None
                    else self._subclass_lookup(key, attr)
                )
            elif tag == "s":
                res = self.class_lookup(key, attr, instance=False, skip_self=True) or {}
            if self._leave(slot, state, self._members, memo_key, res):
                return res

    def _module_member(self, path: str, attr: str) -> Result:
        """``module.attr``: what the module binds (own names, then star imports), else a submodule."""
        module = self.ix.find_module(path)
        if module is not None:
            found = self.lookup(self.ix.modules[module], attr)
            if found:
                return found
        sub = f"{path}.{attr}" if path else attr
        if self.ix.find_module(sub) is not None:
            return {("m", sub): False}
        if module is None:
            return {("x", sub): False}
        return {}

    def _subscript(self, tag: str, key: str, index_key: str, keyed: bool = False) -> Result:
        """``x[key]``; ``x[~]`` is an item met iterating x (unknown unless x is a literal)."""
        if index_key == "~":
            if tag != "c":
                return {}
            index_key = ""
        if tag == "c":
            scope, coll = self._colls[int(key)]
            chosen = [
                v for k, v in zip(coll.keys, coll.values, strict=False) if index_key and k in (index_key, "")
            ]
            vals: list[Value] = list(chosen or ([] if keyed else coll.values))
            res: Result = {}
            merge(res, self.eval_values(scope, vals), inferred=True)
            return res
        if tag in ("b", "x"):
            return {(tag, key): False}
        return {}

    # -- modules --------------------------------------------------------------------------------

    def exports(self, module: str) -> frozenset[str]:
        """The names ``from module import *`` binds: its literal ``__all__``, else its public names
        (those it star-imports included)."""
        cached = self._exports.get(module)
        if cached is not None:
            return cached
        slot = ("E", module)
        state = self._enter(slot)
        if state is None:
            return self._partial(slot, frozenset())
        while True:
            scope = self.scopes[self.ix.modules[module]]
            if scope.all_names is not None:
                names = frozenset(scope.all_names)
            else:
                found = {n for n in scope.bindings if not n.startswith("_")}
                for path in scope.stars:
                    other = self.ix.find_module(path)
                    if other is not None:
                        found |= self.exports(other)
                names = frozenset(found)
            if self._leave(slot, state, self._exports, module, names):
                return names

    def _star_lookup(self, module_scope: int, name: str) -> Result | None:
        res: Result | None = None
        for path in self.scopes[module_scope].stars:
            module = self.ix.find_module(path)
            if module is None or name not in self.exports(module):
                continue
            if res is None:
                res = {}
            merge(res, self.member("m", path, name))
        return res

    def unresolved_star(self, index: int) -> bool:
        """Whether the module of this scope star-imports a module outside the graph."""
        return any(self.ix.find_module(p) is None for p in self.ix.module_scope(index).stars)

    # -- classes --------------------------------------------------------------------------------

    def bases(self, cls: str) -> list[tuple[str, bool, int]]:
        """The classes a class derives from: (class id, inferred, base position)."""
        cached = self._bases.get(cls)
        if cached is not None:
            return cached
        slot = ("B", cls)
        state = self._enter(slot)
        if state is None:
            return self._partial(slot, [])
        while True:
            out: list[tuple[str, bool, int]] = []
            index = self.ix.scope_of.get(cls)
            if index is not None:
                scope = self.scopes[index]
                for pos, ref in enumerate(scope.bases):
                    for (tag, key), inf in self.eval_chain(scope.parent, ref).items():
                        if tag == "d" and self.kind.get(key) == CLASS and key != cls:
                            out.append((key, inf, pos))
            if self._leave(slot, state, self._bases, cls, out):
                return out

    def mro(self, cls: str) -> tuple[str, ...]:
        """C3 linearisation over the bases found in the graph (depth-first order if C3 fails)."""
        cached = self._mros.get(cls)
        if cached is not None:
            return cached
        slot = ("O", cls)
        state = self._enter(slot)
        if state is None:
            return self._partial(slot, (cls,))
        while True:
            direct = list(dict.fromkeys(b for b, _, _ in self.bases(cls)))
            seqs = [list(self.mro(b)) for b in direct]
            merged = c3([*seqs, direct])
            if merged is None:
                merged = list(dict.fromkeys(k for seq in seqs for k in seq))
            result = (cls, *[k for k in merged if k != cls])
            if self._leave(slot, state, self._mros, cls, result):
                return result

    def class_lookup(self, cls: str, attr: str, *, instance: bool, skip_self: bool = False) -> Result | None:
        """An attribute along the MRO: the first class whose body binds it; for an instance also
        every ``self.<attr> = ...`` of any class in the MRO (they all share one instance dict)."""
        order = self.mro(cls)
        scope_of = self.ix.scope_of
        res: Result | None = None
        for k in order[1:] if skip_self else order:
            index = scope_of.get(k)
            if index is None:
                continue
            vals = self.scopes[index].bindings.get(attr)
            if vals is not None:
                res = self.eval_values(index, vals)
                break
        if instance:
            for k in order:
                index = scope_of.get(k)
                assigned = self.scopes[index].attrs.get(attr) if index is not None else None
                if assigned is None:
                    continue
                if res is None:
                    res = {}
                for where, value in assigned:
                    merge(res, self.eval_values(where, [value]), inferred=True)
        return res

    def _subclass_lookup(self, cls: str, attr: str) -> Result:
        """An attribute a class lacks but its subclasses provide (a template method calling a hook
        the subclasses define): the union over a few subclasses, when all the bases are known."""
        if not self._complete(cls):
            return {}
        res: Result = {}
        for sub in self._subclasses(cls):
            found = self.class_lookup(sub, attr, instance=True)
            if found:
                merge(res, found, inferred=True)
        return res

    def _overrides(self, cls: str, attr: str, found: Result) -> Result:
        """``self.attr`` in a class's code: what the class finds, and what its subclasses bind in
        its place (``self`` may be an instance of any of them); just the class's own when that
        makes too many candidates."""
        subs = self._subclasses(cls)
        if not subs:
            return found
        res: Result = dict(found)
        scope_of, scopes = self.ix.scope_of, self.scopes
        for sub in subs:  # a subclass's own binding (its bases between are subclasses too)
            scope = scopes[scope_of[sub]]
            vals = scope.bindings.get(attr)
            if vals is not None:
                merge(res, self.eval_values(scope_of[sub], vals), inferred=True)
            for where, value in scope.attrs.get(attr, ()):
                merge(res, self.eval_values(where, [value]), inferred=True)
        return res if len(res) <= MAX_TARGETS else found

    def _complete(self, cls: str) -> bool:
        """Whether every base along the class's MRO is in the graph."""
        for k in self.mro(cls):
            index = self.ix.scope_of.get(k)
            if index is None or len({pos for _, _, pos in self.bases(k)}) != len(self.scopes[index].bases):
                return False
        return True

    def _subclasses(self, cls: str) -> list[str]:
        """Classes deriving from ``cls``, transitively; none when there are too many to be precise."""
        if self._children is None:
            if self._building:  # asked while the index is being built: answer later, memoise nothing
                self._low = 0
                return []
            self._building = True
            children: dict[str, list[str]] = {}
            for scope in self.scopes:
                if scope.kind == CLASS and scope.bases:
                    for base, _, _ in self.bases(scope.node):
                        children.setdefault(base, []).append(scope.node)
            self._children = children
            self._building = False
        limit = 2 * MAX_TARGETS
        out: dict[str, None] = {}
        direct = self._children.get(cls, ())
        if len(direct) > limit:
            return []
        stack = list(direct)
        while stack:
            k = stack.pop()
            if k in out or k == cls:
                continue
            out[k] = None
            more = self._children.get(k, ())
            if len(out) + len(stack) + len(more) > limit:
                return []
            stack.extend(more)
        return list(out)

    # -- argument flow --------------------------------------------------------------------------

    def prepare(self) -> None:
        """Bind call-site arguments to the parameters of the functions called, in two rounds (the
        second redoes the calls whose callee read argument flow), then forget every result that
        read an incomplete flow."""
        if self.prepared:
            return
        self.prepared = True
        names: set[str] = set()  # callees worth evaluating: named like a function with flow params
        for scope in self.scopes:
            if scope.flow_params:
                names.add(scope.name)
                if scope.name == "__init__" and scope.parent >= 0:
                    names.add(self.scopes[scope.parent].name)
        pending = [
            (index, call)
            for index, scope in enumerate(self.scopes)
            for call in scope.calls
            if (call.kwargs or any(call.args))
            and (
                call.callee[-1] == "()"  # f()(x), @factory(x): what f() returns gets x
                or call.callee[-1].lstrip(".") in names
                or (len(call.callee) == 1 and call.callee[0] in scope.bindings)  # a local: cb(x)
            )
        ]
        self._collecting = True
        self._flows_ready = True  # flows found so far count; what read them is redone next round
        for round_ in range(2):
            before = self.flow_count
            retry: list[tuple[int, Call]] = []
            for index, call in pending:
                taint = self._taint
                self._bind_arguments(index, call)
                if self._taint != taint:
                    retry.append((index, call))
            for memo, key in self._tainted:
                memo.pop(key, None)
            self._tainted.clear()
            if round_ > 0 or self.flow_count == before:
                break
            pending = retry
        self._collecting = False
        self._subclasses("")  # the class tree, built now (outside any cycle) whatever is resolved first

    def callee(self, index: int, chain: Chain) -> tuple[Result | None, Result | None]:
        """(receiver, targets) of a called chain: for ``a.b.m`` the value of ``a.b`` and what its
        ``m`` is; for a bare name no receiver. Targets are None for a name bound nowhere."""
        if len(chain) == 1:
            return None, self.head(index, chain[0])
        receiver = self.eval_chain(index, chain[:-1])
        return receiver, self.step(receiver, chain[-1]) if receiver else {}

    def _bind_arguments(self, index: int, call: Call) -> None:
        receiver, targets = self.callee(index, call.callee)
        if not targets:
            return
        via_class = bool(receiver) and all(t == "d" for t, _ in receiver or ())
        for (tag, key), _ in targets.items():
            if tag != "d":
                continue
            kind = self.kind.get(key)
            skip = 0
            if kind == CLASS:
                init = self.class_lookup(key, "__init__", instance=False) or {}
                funcs = [k for (t, k) in init if t == "d" and self.kind.get(k) == METHOD]
                skip = 1
            elif kind in FUNCTIONS:
                funcs = [key]
                if kind == METHOD:
                    scope = self.scopes[self.ix.scope_of[key]]
                    skip = 0 if scope.static or (via_class and not scope.classmethod) else 1
            else:
                continue
            for func in funcs:
                self._bind_to(func, skip, index, call)

    def _bind_to(self, func: str, skip: int, index: int, call: Call) -> None:
        target = self.ix.scope_of.get(func)
        if target is None:
            return
        scope = self.scopes[target]
        wanted = scope.flow_params
        if not wanted:
            return
        bound: list[tuple[str, Chain]] = []
        for i, arg in enumerate(call.args):
            pos = i + skip
            if arg and pos < len(scope.params) and scope.params[pos] in wanted:
                bound.append((scope.params[pos], arg))
        bound.extend((name, arg) for name, arg in call.kwargs.items() if name in wanted)
        for name, arg in bound:
            slot = self.flows.setdefault((target, name), {})
            if (index, arg) not in slot and len(slot) <= MAX_FLOWS:
                slot[(index, arg)] = None  # past MAX_FLOWS the parameter counts as unknown
                self.flow_count += 1


def _external(path: str, attr: str) -> str:
    """``path.attr`` of something outside the graph; ``path`` itself when it already has that
    attribute or is long: a cycle (``x = x.next()``) must not grow new values without end."""
    if path.count(".") >= _MAX_EXTERNAL_DOTS or f".{attr}." in f"{path}.":
        return path
    return f"{path}.{attr}"


def c3(seqs: list[list[str]]) -> list[str] | None:
    """C3 merge; None when the hierarchy admits no consistent order."""
    seqs = [list(s) for s in seqs if s]
    out: list[str] = []
    while seqs:
        for seq in seqs:
            head = seq[0]
            if not any(head in s[1:] for s in seqs):
                break
        else:
            return None
        out.append(head)
        seqs = [s[1:] if s[0] == head else s for s in seqs]
        seqs = [s for s in seqs if s]
    return out
