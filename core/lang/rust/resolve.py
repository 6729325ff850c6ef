"""Turn one Rust file's references into CALLS, USES, IMPLEMENTS and IMPORTS edges.

Resolution of a file reads only that file's payload plus the :class:`Index` of all files. A path
resolves by scope rules (``exact``; several candidates: ``ambiguous``, each linked). A method call
resolves on its receiver's type when extraction could tell it (``self``, a typed parameter or
``let``, a struct literal, a constructor's or function's return type, a field of ``self``): on
declared types ``exact``, through calls ``inferred``. Failing that, a bare call or a method whose
name is unique in the graph (and not a common std name) links ``inferred``. What stays unresolved
is counted by reason in :attr:`RustResolver.stats`.

Every edge comes from the file of the reference it records; for ``impl Trait for Type`` that is the
impl's file, though the edge's source (``Type IMPLEMENTS Trait``) may be declared in another.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

import msgspec

from pt_tui.core.lang.base import FileFacts, Resolver
from pt_tui.core.lang.rust import facts as F
from pt_tui.core.lang.rust.index import (
    ALL_NS,
    MACRO_NS,
    NOMINAL,
    TRAIT_NS,
    TYPE_NS,
    VALUE_NS,
    VARIANT,
    Ctx,
    FileView,
    Index,
    K,
    Target,
)
from pt_tui.core.lang.rust.names import (
    COMMON_METHODS,
    PRELUDE_CALLS,
    STD_MACROS,
    UNWRAP_METHODS,
    UNWRAP_TYPES,
)
from pt_tui.core.model import TYPE_KINDS, Edge, EdgeKind, Node, Resolution, Visibility

E = EdgeKind
R = Resolution
LITERAL_NS = frozenset({K.STRUCT, K.UNION, K.ENUM, K.TYPE_ALIAS, K.MODULE})
CALLEE_KINDS = frozenset({K.FUNCTION, K.METHOD, K.STRUCT, K.MACRO})
_DEPTH = 10
_DEREFS = 3  # ``Deref`` steps a method lookup follows
#: A call on a value known by a trait links to at most this many impls' methods; a trait with more
#: (tokio's ``AsyncWrite``: 44) links to its own declaration instead, as a summary of them all.
_DISPATCH_CAP = 16

#: A type a value may have: a node id ("" when outside the graph), the written type, where it is read.
Ty = tuple[str, F.TypeRef | None, Ctx | None]


class RustResolver(Resolver):
    """Resolves Rust files against an index of all of them; ``stats`` counts outcomes by reason."""

    def __init__(self, facts: Mapping[str, FileFacts]) -> None:
        self.index = Index(facts)
        self.stats: Counter[str] = Counter()
        self._eval_memo: dict[tuple[F.TExpr, Ctx], list[Ty]] = {}

    def paths(self) -> Iterable[str]:
        return self.index.files.keys()

    # -- incremental updates --------------------------------------------------------------------

    @staticmethod
    def same_interface(old: FileFacts, new: FileFacts) -> bool:
        """Whether two versions of a file look the same to every other file's resolution: the same
        items (by id, kind, name, parent, visibility) and facts, but for lines and references.
        Then :meth:`refresh` swaps the file in and only the file itself is resolved again."""
        if old.module != new.module or old.path != new.path:
            return False
        if [_item_key(n) for n in old.nodes] != [_item_key(n) for n in new.nodes]:
            return False
        try:
            return _interface(F.decode(old.payload)) == _interface(F.decode(new.payload))
        except msgspec.DecodeError:
            return False

    def refresh(self, path: str, new: FileFacts) -> bool:
        """Swap in a new version of a file whose interface is unchanged (see :meth:`same_interface`)."""
        view = self.index.files.get(path)
        if view is None:
            return False
        try:
            view.payload = F.decode(new.payload)
        except msgspec.DecodeError:
            return False
        view.facts = new
        return True

    def resolve_file(self, path: str) -> list[Edge]:
        view = self.index.files.get(path)
        if view is None:
            return []
        return _FileResolution(self, view).run()

    # -- types of values ----------------------------------------------------------------------------

    def eval(self, texpr: F.TExpr, ctx: Ctx, depth: int = 0) -> list[Ty]:
        """The possible types of a value described by ``texpr``, read in ``ctx``."""
        if depth > _DEPTH:
            return []
        key = (texpr, ctx)
        memo = self._eval_memo.get(key)
        if memo is None:
            self._eval_memo[key] = []  # cut recursion through this very expression
            memo = self._eval_memo[key] = self._eval(texpr, ctx, depth + 1)
        return memo

    def _eval(self, texpr: F.TExpr, ctx: Ctx, depth: int) -> list[Ty]:
        index = self.index
        if isinstance(texpr, F.TPath):
            return self.eval_ref(texpr.ref, ctx)
        if isinstance(texpr, F.TSelf):
            return [(t, None, ctx) for t in index.self_types(ctx.owner)]
        if isinstance(texpr, F.TBounds):
            return [
                (t, ref, ctx) for ref in texpr.traits for t in index.resolve_path(ctx, ref.path, TRAIT_NS)
            ]
        if isinstance(texpr, F.TCall):
            out: list[Ty] = []
            for target in index.resolve_path(ctx, texpr.path, VALUE_NS):
                out.extend(self.returns(target, depth))
            return out
        if isinstance(texpr, F.TMethod):
            recv = self.eval(texpr.recv, ctx, depth)
            if texpr.name in UNWRAP_METHODS:
                unwrapped = self.unwrap(recv)
                if unwrapped:
                    return unwrapped
            return [ty for m in self.methods_of(recv, texpr.name)[0] for ty in self.returns(m, depth)]
        if isinstance(texpr, F.TField):
            out = []
            for type_id, _, _ in self.eval(texpr.recv, ctx, depth):
                entry = index.fields.get(type_id)
                if entry is not None and texpr.name in entry[1]:
                    out.extend(self.eval(entry[1][texpr.name], entry[0], depth))
            return out
        if isinstance(texpr, F.TUnwrap):
            return self.unwrap(self.eval(texpr.inner, ctx, depth))
        if isinstance(texpr, F.TValue):
            out = []
            for target in index.resolve_path(ctx, texpr.path, VALUE_NS):
                kind = index.kind(target)
                if target.startswith(VARIANT) or kind in NOMINAL:  # a unit struct or variant
                    out.append((target.removeprefix(VARIANT), None, None))
                elif kind in (K.CONST, K.STATIC) and target in index.fn_ret:
                    out.extend(self.eval(index.fn_ret[target][1], index.fn_ret[target][0], depth))
            return out
        return []

    def eval_ref(self, ref: F.TypeRef, ctx: Ctx) -> list[Ty]:
        """A written type: its nodes (aliases followed), or itself as an outside type."""
        if ref.path == ("Self",):
            return [(t, ref, ctx) for t in self.index.self_types(ctx.owner)]
        found: list[Ty] = [
            (t, ref, ctx)
            for target in self.index.resolve_path(ctx, ref.path, TYPE_NS)
            for t in self.index.follow_alias(target)
            if self.index.kind(t) in TYPE_KINDS
        ]
        return found or [("", ref, ctx)]

    def unwrap(self, types: list[Ty]) -> list[Ty]:
        """``Option<T>`` / ``Result<T, E>`` (or an alias named so) -> ``T``."""
        out: list[Ty] = []
        for _, ref, ctx in types:
            if ref is not None and ctx is not None and ref.args and ref.path[-1] in UNWRAP_TYPES:
                out.extend(self.eval_ref(ref.args[0], ctx))
        return out

    def returns(self, target: Target, depth: int) -> list[Ty]:
        """What calling a target yields: a fn's return type, a tuple struct or variant itself."""
        if target.startswith(VARIANT):
            return [(target[len(VARIANT) :], None, None)]
        kind = self.index.kind(target)
        if kind in NOMINAL:
            return [(target, None, None)]
        if kind not in (K.FUNCTION, K.METHOD):  # a const's type is not what calling it returns
            return []
        entry = self.index.fn_ret.get(target)
        return self.eval(entry[1], entry[0], depth) if entry is not None else []

    def methods_of(
        self, types: list[Ty], name: str, via: list[str] | None = None, derefs: int = 0
    ) -> tuple[list[str], bool]:
        """The method ``name`` on values of these types (inherent, trait impl, trait default, then
        through ``Deref``: the ``deref`` methods that runs are added to ``via``), and whether it was
        only found in a blanket impl, whose bounds are not checked. On a value known by a trait, the
        impls' methods it dispatches to (see :meth:`Index.dispatch`), or the trait's declaration
        when the graph has no impl of it or too many (``_DISPATCH_CAP``)."""
        index = self.index
        found: list[str] = []
        for type_id, ref, _ in types:
            kind = index.kind(type_id)
            if kind in NOMINAL:
                own = index.assoc(type_id, name)
                if not own and derefs < _DEREFS:
                    for target, deref in index.derefs(type_id):
                        got = self.methods_of([(target, None, None)], name, via, derefs + 1)[0]
                        if got and via is not None:
                            via.extend(deref)
                        own.extend(got)
                found.extend(own)
            elif kind is K.TRAIT:
                impls = index.dispatch(type_id, name)
                wide = not impls or len(impls) > _DISPATCH_CAP
                found.extend(index.trait_member(type_id, name) if wide else impls)
            elif not type_id and ref is not None:
                found.extend(index.external_member(ref.path[-1], name))
        if found or not any(t for t, _, _ in types):
            return list(dict.fromkeys(found)), False
        return index.blanket_member(name), True

    def qualified(self, recv: F.TExpr, path: F.Path, ctx: Ctx) -> list[str]:
        """``<X as Trait>::f``: the ``f`` of X's impl of Trait (or Trait's default), whatever X's
        inherent items are; on a value known by a trait, what it dispatches to."""
        index = self.index
        traits = {t for t in index.resolve_path(ctx, path[:-1], TRAIT_NS) if index.is_trait(t)}
        name = path[-1]
        found: list[str] = []
        for type_id, _, _ in self.eval(recv, ctx):
            if index.kind(type_id) is K.TRAIT:
                found.extend(self.methods_of([(type_id, None, ctx)], name)[0])
                continue
            for info in index.impls_by_type.get(type_id, ()):
                mine = [t for t in info.trait_ids if t in traits]
                if mine:
                    own = index.members.get(info.id, {}).get(name)
                    found.extend(own or [m for t in mine for m in index.trait_member(t, name)])
        return list(dict.fromkeys(found))


def _declared(texpr: F.TExpr) -> bool:
    """A receiver whose type is declared (``self``, a typed binding, a field, a unit struct, variant
    or const), not inferred."""
    while isinstance(texpr, F.TField):
        texpr = texpr.recv
    return isinstance(texpr, F.TSelf | F.TPath | F.TBounds | F.TValue)


#: What resolving a reference did: an edge emitted (src, targets, kind, resolution) or a miss (what, why).
_Outcome = tuple[str, tuple[Target, ...], E, R] | tuple[str, str]


class _FileResolution:
    """The edges of one file."""

    def __init__(self, resolver: RustResolver, view: FileView) -> None:
        self.resolver = resolver
        self.index = resolver.index
        self.stats = resolver.stats
        self.view = view
        self.path = view.facts.path
        self.ids = view.ids
        self.edges: list[Edge] = []
        self._ctx: dict[tuple[int, int], Ctx] = {}
        #: What each distinct reference of the file (all but its line) came to: the same again later
        #: in the file (``Ok(..)``, ``vec!``, ``self.inner.lock()``) is replayed at its own line.
        self._done: dict[tuple[object, ...], list[_Outcome]] = {}
        self._log: list[_Outcome] | None = None

    def ctx(self, scope: int, owner: int) -> Ctx:
        key = (scope, owner)
        found = self._ctx.get(key)
        if found is None:
            found = self._ctx[key] = Ctx(
                self.index.scope_of(self.ids[scope]), self.ids[owner] if owner >= 0 else "", self.path
            )
        return found

    def emit(self, src: str, targets: list[Target], kind: E, line: int, how: R = R.EXACT) -> None:
        if self._log is not None:
            self._log.append((src, tuple(targets), kind, how))
        if len(targets) > 1:
            how = R.AMBIGUOUS
        for target in targets:
            self.edges.append(Edge(src=src, dst=target, kind=kind, file=self.path, line=line, resolution=how))
        self.stats[f"{kind.lower()}:{how}"] += len(targets)

    def miss(self, what: str, reason: str) -> None:
        if self._log is not None:
            self._log.append((what, reason))
        self.stats[f"unresolved:{what}:{reason}"] += 1

    def run(self) -> list[Edge]:
        p = self.view.payload
        for ref in p.refs:
            self.ref(ref)
        for use in p.uses:
            self.use(use)
        for decl in p.mods:
            self.mod(decl)
        for impl in p.impls:
            self.impl(impl)
        return self.edges

    # -- references -----------------------------------------------------------------------------

    def ref(self, ref: F.Ref) -> None:
        key = (ref.kind, ref.src, ref.scope, ref.owner, ref.path, ref.name, ref.recv)
        done = self._done.get(key)
        if done is None:
            self._log = self._done[key] = []
            try:
                self._resolve_ref(ref)
            finally:
                self._log = None
            return
        for outcome in done:
            if len(outcome) == 4:
                src, targets, kind, how = outcome
                self.emit(src, list(targets), kind, ref.line, how)
            else:
                self.miss(*outcome)

    def _resolve_ref(self, ref: F.Ref) -> None:
        ctx = self.ctx(ref.scope, ref.owner)
        src = self.ids[ref.src]
        kind = ref.kind
        if kind is F.RefKind.METHOD:
            self.method(src, ref, ctx)
        elif kind is F.RefKind.CALL:
            self.call(src, ref, ctx)
        elif kind is F.RefKind.MACRO:
            self.macro(src, ref)
        elif kind is F.RefKind.SUPERTRAIT:
            traits = [t for t in self.index.resolve_path(ctx, ref.path, TRAIT_NS) if self.index.is_trait(t)]
            if traits:
                self.emit(src, traits, E.IMPLEMENTS, ref.line)
            else:
                self.miss("implements", "external")
        else:
            self.uses(src, ref, ctx)

    def uses(self, src: str, ref: F.Ref, ctx: Ctx) -> None:
        ns = TYPE_NS if ref.kind is F.RefKind.TYPE else LITERAL_NS
        found = self.index.resolve_path(ctx, ref.path, ns)
        targets = list(dict.fromkeys(t.removeprefix(VARIANT) for t in found))
        targets = [t for t in targets if self.index.kind(t) in TYPE_KINDS and t != src]
        if targets:
            self.emit(src, targets, E.USES, ref.line)
        else:
            self.miss("uses", "external" if not found else "not-a-type")

    def call(self, src: str, ref: F.Ref, ctx: Ctx) -> None:
        index = self.index
        found = index.resolve_path(ctx, ref.path, VALUE_NS)
        if found and len(ref.path) == 2 and ref.path[0] == "Self" and index.is_trait(ctx.owner):
            # ``Self::f(..)`` in a trait's default method: what ``self.f(..)`` runs there
            found = self.resolver.methods_of([(ctx.owner, None, ctx)], ref.path[1])[0] or found
        elif found and ref.recv is not None:  # ``<X as Trait>::f(..)``: X's impl of Trait
            found = self.resolver.qualified(ref.recv, ref.path, ctx) or found
        if found:
            variants = [t[len(VARIANT) :] for t in found if t.startswith(VARIANT)]
            callees = [t for t in found if index.kind(t) in CALLEE_KINDS]
            if variants:
                self.emit(src, list(dict.fromkeys(variants)), E.USES, ref.line)
            if callees:
                self.emit(src, callees, E.CALLS, ref.line)
            elif not variants:
                self.miss("calls", "not-callable")
            return
        name = ref.path[-1]
        if len(ref.path) == 1 and name[:1].isupper() and name not in PRELUDE_CALLS:
            # a tuple struct or variant outside the graph, never a fn of the graph named alike
            self.miss("calls", "constructor")
        elif len(ref.path) == 1:
            self.fallback(src, name, K.FUNCTION, ref.line)
        elif index.resolve_path(ctx, ref.path[:-1], TYPE_NS):
            self.miss("calls", "no-such-member")
        else:
            self.miss("calls", "external")

    def method(self, src: str, ref: F.Ref, ctx: Ctx) -> None:
        recv = ref.recv
        if recv is not None:
            types = self.resolver.eval(recv, ctx)
            if types:
                via: list[str] = []
                found, blanket = self.resolver.methods_of(types, ref.name, via)
                if len(found) > 1 and src in found and self._forwards(src):
                    found = [f for f in found if f != src]
                if found:
                    how = R.EXACT if _declared(recv) and not blanket else R.INFERRED
                    self.emit(src, found, E.CALLS, ref.line, how)
                    for deref in dict.fromkeys(via):  # the ``deref`` calls of auto-deref, each one certain
                        self.emit(src, [deref], E.CALLS, ref.line, how)
                else:
                    self.miss("method", "not-on-type" if any(t for t, _, _ in types) else "external-receiver")
                return
        self.fallback(src, ref.name, K.METHOD, ref.line)

    def _forwards(self, src: str) -> bool:
        """Whether ``src`` is a method of a blanket impl (``impl<T: Tr> Tr for &T``), whose calls of
        its own name forward to the inner value's impl rather than recurse."""
        node = self.index.nodes.get(src)
        info = self.index.impl_info.get(node.parent) if node is not None else None
        return info is not None and info.fact.blanket

    def fallback(self, src: str, name: str, kind: K, line: int) -> None:
        """The last resort: a name unique among the graph's functions (or methods), not a std name."""
        what = "calls" if kind is K.FUNCTION else "method"
        if name in COMMON_METHODS:
            self.miss(what, "common-name")
            return
        candidates = self.index.by_name[kind].get(name, ())
        if kind is K.FUNCTION and name in PRELUDE_CALLS:
            self.miss(what, "std")
            return
        if len(candidates) == 1:
            self.emit(src, list(candidates), E.CALLS, line, R.INFERRED)
        else:
            self.miss(what, "not-unique" if candidates else "unknown")

    def macro(self, src: str, ref: F.Ref) -> None:
        """A ``macro_rules!`` macro visible here (same crate, nearest first), else one named by its
        path, else one exported by another crate of the tree."""
        index = self.index
        name = ref.path[-1]
        candidates = index.by_name[K.MACRO].get(name, ())
        user = index.module_of(index.scope_of(self.ids[ref.scope]))
        crate = self.view.payload.crate_root
        local = [c for c in candidates if index.files[index.node_file[c]].payload.crate_root == crate]
        visible = [c for c in local if index.macro_visible(c, user)]
        if visible:
            nearest = [c for c in visible if index.node_file.get(c) == self.path] or visible
            self.emit(src, nearest, E.CALLS, ref.line)
            return
        by_path = index.resolve_path(self.ctx(ref.scope, -1), ref.path, MACRO_NS) if len(ref.path) > 1 else []
        if by_path:
            self.emit(src, by_path, E.CALLS, ref.line)
            return
        if index.kind(src) is K.MACRO:  # a macro's body names macros where it expands: no guessing
            self.miss("macro", "in-macro-body")
            return
        # files of one package that its crate roots reach only through ``mod`` (tests/*.rs sharing a
        # ``#[macro_use] mod macros;``), then the macros other crates export
        package = self.view.facts.module.split("::", 1)[0]
        others = [c for c in candidates if c not in local]
        guess = [c for c in others if index.nodes[c].qualname.split("::", 1)[0] == package] or [
            c for c in others if index.nodes[c].visibility is Visibility.PUBLIC
        ]
        if guess:
            self.emit(src, guess, E.CALLS, ref.line, R.INFERRED)
        else:
            self.miss("macro", "std" if name in STD_MACROS else "not-visible" if candidates else "external")

    # -- imports and impls --------------------------------------------------------------------------

    def use(self, use: F.Use) -> None:
        index = self.index
        scope = index.scope_of(self.ids[use.scope])
        module = index.module_of(scope)
        found = index.resolve_path(Ctx(scope, "", self.path), use.path, ALL_NS)
        if not found and use.path[0] not in ("crate", "self", "super", "::"):
            root = index.crate_root_of(Ctx(scope, "", self.path))
            found = index.resolve_path(Ctx(root, "", self.path), use.path, ALL_NS) if root else []
        if not found:
            self.miss("imports", "external")
            return
        targets = list(dict.fromkeys(index.module_of(t) for t in found))
        targets = [t for t in targets if t and t != module]
        if targets:
            self.emit(module, targets, E.IMPORTS, use.line)

    def mod(self, decl: F.ModDecl) -> None:
        index = self.index
        module = index.module_of(index.scope_of(self.ids[decl.scope]))
        node = index.nodes.get(module)
        if node is None:
            return
        child = index.path_mod(self.view, decl) or index.module_by_qual.get(
            f"{node.qualname.split('#')[0]}::{decl.name}"
        )
        if child is None:
            root = index.module_by_qual.get(self.view.payload.crate_root)
            root_node = index.nodes.get(root) if root is not None else None
            if root_node is not None and node.file == self.path and node.parent == "":
                child = index.module_by_qual.get(f"{root_node.qualname}::{decl.name}")
        if child is None or child == module:
            self.miss("imports", "missing-module")
            return
        self.emit(module, [child], E.IMPORTS, decl.line)

    def impl(self, impl: F.Impl) -> None:
        impl_id = self.ids[impl.node]
        info = self.index.impl_info.get(impl_id)
        if info is None or impl.trait is None:
            return
        if not info.trait_ids:
            self.miss("implements", "external")
            return
        if info.fact.blanket:  # no one type implements it: the impl does
            self.emit(impl_id, info.trait_ids, E.IMPLEMENTS, impl.line)
            return
        for type_id in info.self_ids:
            self.emit(type_id, info.trait_ids, E.IMPLEMENTS, impl.line)


def _item_key(node: Node) -> tuple[str, str, str, str, str, str]:
    return (node.id, node.kind, node.name, node.qualname, node.parent, node.visibility)


_CANONICAL = msgspec.msgpack.Encoder(order="deterministic")  # dict keys sorted


def _interface(payload: F.Payload) -> bytes:
    """A payload reduced to what other files' resolution can read: no references, no lines."""
    replace = msgspec.structs.replace
    reduced = replace(
        payload,
        refs=[],
        uses=[replace(u, line=0) for u in payload.uses],
        mods=[replace(m, line=0) for m in payload.mods],
        impls=[replace(i, line=0) for i in payload.impls],
    )
    return _CANONICAL.encode(reduced)
