"""The index every Rust file is resolved against, built once from all files' facts, and path lookup.

Scopes are node ids: every module, and every fn / const / static that declares items or ``use``s
of its own. A name is looked up in the innermost scope first (its items, then its named ``use``s,
then its glob ``use``s) and outwards to the module; then among the crates of the tree. Paths walk
from there: a module's members are its names, a type's members its variants and the items of its
impls (inherent first, then trait impls, then the traits' defaults), a trait's members its items
and its supertraits'. Lookups are memoised and guarded against import cycles.

Targets are node ids, except an enum variant, which is ``"v:" + <enum id>`` (variants are not nodes).
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from pt_tui.core.lang.base import FileFacts
from pt_tui.core.lang.rust import facts as F
from pt_tui.core.model import Node, NodeKind, Visibility

K = NodeKind
TYPE_NS = frozenset({K.MODULE, K.STRUCT, K.ENUM, K.UNION, K.TRAIT, K.TYPE_ALIAS})
VALUE_NS = frozenset({K.FUNCTION, K.METHOD, K.CONST, K.STATIC, K.STRUCT})
MACRO_NS = frozenset({K.MACRO})
ALL_NS = frozenset(K)
TRAIT_NS = frozenset({K.TRAIT, K.TYPE_ALIAS})
NOMINAL = frozenset({K.STRUCT, K.ENUM, K.UNION})
VARIANT = "v:"

Target = str


class Ctx(NamedTuple):
    """Where a path is resolved from: a scope, the impl / trait ``Self`` means ("" if none), a file."""

    scope: str
    owner: str
    file: str


@dataclass
class ImplInfo:
    id: str
    ctx: Ctx
    fact: F.Impl
    self_ids: list[str] = field(default_factory=list)
    trait_ids: list[str] = field(default_factory=list)


@dataclass
class FileView:
    facts: FileFacts
    payload: F.Payload
    ids: list[str]  # node index -> id


class Index:
    """All Rust files' items, scopes, imports and impls, with memoised lookups."""

    def __init__(self, facts: Mapping[str, FileFacts]) -> None:
        self.files: dict[str, FileView] = {}
        self.nodes: dict[str, Node] = {}
        self.module_by_qual: dict[str, str] = {}
        self.crate_roots: dict[str, str] = {}  # crate root qualname -> module id
        self.items: dict[str, dict[str, list[str]]] = {}  # scope -> name -> ids
        self.members: dict[str, dict[str, list[str]]] = {}  # impl / trait -> name -> ids
        self.uses: dict[str, list[F.Use]] = {}  # scope -> uses
        self.module_parent: dict[str, str] = {}
        self.node_file: dict[str, str] = {}
        self.impls_by_type: dict[str, list[ImplInfo]] = {}
        self.impl_info: dict[str, ImplInfo] = {}
        self.blanket: list[ImplInfo] = []
        self.impls_by_trait: dict[str, list[ImplInfo]] = {}
        self.required: set[str] = set()  # trait methods without a default body
        self.external_impls: dict[str, list[ImplInfo]] = {}  # impls for types outside the graph, by name
        self.supertraits: dict[str, tuple[Ctx, tuple[F.TypeRef, ...]]] = {}
        self.fn_ret: dict[str, tuple[Ctx, F.TExpr]] = {}
        self.fields: dict[str, tuple[Ctx, dict[str, F.TExpr]]] = {}
        self.variants: dict[str, frozenset[str]] = {}
        self.aliases: dict[str, tuple[Ctx, F.TypeRef]] = {}
        self.by_name: dict[K, dict[str, list[str]]] = {K.FUNCTION: {}, K.METHOD: {}, K.MACRO: {}}
        self._scopes: set[str] = set()
        self._scope_of: dict[str, str] = {}
        self._lookup_memo: dict[tuple[str, str, frozenset[K]], list[str]] = {}
        self._path_memo: dict[tuple[str, str, F.Path, frozenset[K]], list[Target]] = {}
        self._trait_memo: dict[str, list[str]] = {}
        self._enclosing: dict[str, frozenset[str]] = {}
        self._blanket_memo: dict[str, list[str]] = {}
        self._dispatch_memo: dict[tuple[str, str], list[str]] = {}
        self.macro_use: set[str] = set()  # modules whose macros outlive them (``#[macro_use]``)
        for path, f in facts.items():
            self._add_file(path, f)
        self._register_items()
        for view in self.files.values():
            for use in view.payload.uses:
                scope = view.ids[use.scope]
                self._scopes.add(scope)
                self.uses.setdefault(scope, []).append(use)
        for view in self.files.values():
            self._add_payload(view)
        for view in self.files.values():
            self._add_path_mods(view)
        for info in self.impl_info.values():
            self._resolve_impl(info)

    # -- building -------------------------------------------------------------------------------

    def _add_file(self, path: str, facts: FileFacts) -> None:
        payload = F.decode(facts.payload)
        ids = [n.id for n in facts.nodes]
        self.files[path] = FileView(facts, payload, ids)
        for node in facts.nodes:
            if node.id in self.nodes:
                continue
            self.nodes[node.id] = node
            self.node_file[node.id] = path
            if node.kind is K.MODULE:
                self._scopes.add(node.id)
                self.module_by_qual.setdefault(node.qualname, node.id)
            if node.kind in self.by_name:
                self.by_name[node.kind].setdefault(node.name, []).append(node.id)
        root = self.module_by_qual.get(payload.crate_root)
        if root is not None:
            self.crate_roots.setdefault(payload.crate_root, root)

    def _register_items(self) -> None:
        nodes = self.nodes
        for node in nodes.values():
            if node.kind is K.MODULE:
                parent = node.parent or self._parent_module_by_qual(node.qualname)
                if parent:
                    self.module_parent[node.id] = self._module_of(parent) if parent in nodes else ""
                    self._scopes.add(parent)
                    self.items.setdefault(parent, {}).setdefault(node.name, []).append(node.id)
                continue
            if node.kind is K.IMPL or not node.parent or node.parent not in nodes:
                continue
            parent_kind = nodes[node.parent].kind
            table = self.members if parent_kind in (K.IMPL, K.TRAIT) else self.items
            if table is self.items:
                self._scopes.add(node.parent)
            table.setdefault(node.parent, {}).setdefault(node.name, []).append(node.id)

    def _parent_module_by_qual(self, qualname: str) -> str:
        if "::" not in qualname:
            return ""
        return self.module_by_qual.get(qualname.rsplit("::", 1)[0], "")

    def _add_payload(self, view: FileView) -> None:
        ids, p, path = view.ids, view.payload, view.facts.path

        def ctx(scope: int, owner: int = -1) -> Ctx:
            return Ctx(self.scope_of(ids[scope]), ids[owner] if owner >= 0 else "", path)

        for impl in p.impls:
            impl_id = ids[impl.node]
            if impl_id not in self.impl_info and self.node_file.get(impl_id) == path:
                self.impl_info[impl_id] = ImplInfo(impl_id, ctx(impl.scope), impl)
        for fn in p.fns:
            self.fn_ret.setdefault(ids[fn.node], (ctx(fn.scope, fn.owner), fn.ret))
        for fields in p.fields:
            self.fields.setdefault(ids[fields.node], (ctx(fields.scope), fields.types))
        for variants in p.variants:
            self.variants.setdefault(ids[variants.node], frozenset(variants.names))
        for alias in p.aliases:
            self.aliases.setdefault(ids[alias.node], (ctx(alias.scope, alias.owner), alias.target))
        for trait in p.traits:
            self.supertraits.setdefault(ids[trait.node], (ctx(trait.scope, trait.node), trait.supertraits))
        self.macro_use.update(ids[i] for i in p.macro_use)
        self.required.update(ids[i] for i in p.required)
        for decl in p.mods:
            if decl.macro_use:
                parent = self.nodes.get(self._module_of(ids[decl.scope]))
                child = self.module_by_qual.get(f"{parent.qualname}::{decl.name}") if parent else None
                if child is not None:
                    self.macro_use.add(child)

    def _add_path_mods(self, view: FileView) -> None:
        """``#[path = "x.rs"] mod name;``: the file's module is ``name`` in the declaring module."""
        for decl in view.payload.mods:
            child = self.path_mod(view, decl)
            if not child:
                continue
            parent = self._module_of(view.ids[decl.scope])
            if parent and child != parent:
                self.module_parent[child] = parent
                self.items.setdefault(parent, {}).setdefault(decl.name, []).append(child)

    def path_mod(self, view: FileView, decl: F.ModDecl) -> str:
        """The module of the file a ``#[path]`` attribute names ("" if none or not in the graph)."""
        if not decl.file:
            return ""
        target = self.files.get(
            posixpath.normpath(posixpath.join(posixpath.dirname(view.facts.path), decl.file))
        )
        return target.ids[0] if target is not None and target.ids else ""

    def _resolve_impl(self, info: ImplInfo) -> None:
        fact = info.fact
        if fact.trait is not None:
            info.trait_ids = [
                t for t in self.resolve_path(info.ctx, fact.trait.path, TRAIT_NS) if self.is_trait(t)
            ]
            for trait_id in info.trait_ids:
                self.impls_by_trait.setdefault(trait_id, []).append(info)
        if fact.blanket:  # ``Self`` is any type with the bounds: it has the bounds' and the trait's items
            self.blanket.append(info)
            bounds = [t for b in fact.bounds for t in self.resolve_path(info.ctx, b.path, TRAIT_NS)]
            info.self_ids = _unique([t for t in (*bounds, *info.trait_ids) if self.is_trait(t)])
            return
        if fact.self_type is None:
            return
        for target in self.resolve_path(info.ctx, fact.self_type.path, TYPE_NS):
            for type_id in self.follow_alias(target):
                if type_id not in info.self_ids:
                    info.self_ids.append(type_id)
                    self.impls_by_type.setdefault(type_id, []).append(info)
        if not info.self_ids:  # ``impl MyExt for Vec<u8>``: found again by the type's name
            self.external_impls.setdefault(fact.self_type.path[-1], []).append(info)

    # -- scopes ---------------------------------------------------------------------------------

    def kind(self, target: Target) -> K | None:
        if target.startswith(VARIANT):
            return None
        node = self.nodes.get(target)
        return node.kind if node is not None else None

    def is_trait(self, target: Target) -> bool:
        return self.kind(target) is K.TRAIT

    def scope_of(self, node_id: str) -> str:
        """The innermost scope at a node: itself if it declares items or uses, else its parent's."""
        found = self._scope_of.get(node_id)
        if found is not None:
            return found
        current = node_id
        while current and current not in self._scopes:
            node = self.nodes.get(current)
            current = node.parent if node is not None else ""
        self._scope_of[node_id] = current
        return current

    def _module_of(self, node_id: str) -> str:
        current = node_id
        while current:
            node = self.nodes.get(current)
            if node is None:
                return ""
            if node.kind is K.MODULE:
                return current
            current = node.parent
        return ""

    def module_of(self, target: Target) -> str:
        """The module a node (or a variant's enum) is declared in, or the module itself."""
        return self._module_of(target.removeprefix(VARIANT))

    def enclosing_modules(self, module: str) -> frozenset[str]:
        """A module and every module around it, up to its crate root."""
        memo = self._enclosing.get(module)
        if memo is None:
            chain = [module]
            while chain[-1] and len(chain) < 64:
                chain.append(self.module_parent.get(chain[-1], ""))
            memo = self._enclosing[module] = frozenset(m for m in chain if m)
        return memo

    def macro_visible(self, macro: str, user: str) -> bool:
        """Whether ``macro_rules!`` ``macro`` can be named in module ``user``: it is exported, or it is
        defined in a module around ``user`` or in a child of one (``#[macro_use] mod macros;``)."""
        node = self.nodes[macro]
        if node.visibility is Visibility.PUBLIC:
            return True
        home = self._module_of(node.parent)
        around = self.enclosing_modules(user)
        return home in around or (home in self.macro_use and self.module_parent.get(home, "") in around)

    def _parent_scope(self, scope: str) -> str:
        node = self.nodes.get(scope)
        if node is None or node.kind is K.MODULE:
            return ""
        return self.scope_of(node.parent) if node.parent else ""

    def crate_root_of(self, ctx: Ctx) -> str:
        view = self.files.get(ctx.file)
        return self.module_by_qual.get(view.payload.crate_root, "") if view is not None else ""

    # -- names ----------------------------------------------------------------------------------

    def lookup(self, scope: str, name: str, ns: frozenset[K]) -> list[str]:
        """A name seen from a scope: the scope's, then each enclosing one's up to the module."""
        current = scope
        while current:
            found = self.lookup_in(current, name, ns, set())
            if found:
                return found
            current = self._parent_scope(current)
        return []

    def lookup_in(
        self, scope: str, name: str, ns: frozenset[K], visiting: set[tuple[str, str, frozenset[K]]]
    ) -> list[str]:
        """A name declared or imported in one scope: items, then named uses, then glob uses."""
        key = (scope, name, ns)
        memo = self._lookup_memo.get(key)
        if memo is not None:
            return memo
        if key in visiting:
            return []
        visiting.add(key)
        nodes = self.nodes
        found = [i for i in self.items.get(scope, {}).get(name, ()) if nodes[i].kind in ns]
        uses = self.uses.get(scope, ())
        if not found:
            for use in uses:
                if use.alias == name:
                    found.extend(self._resolve_use(scope, use.path, ns, visiting))
        if not found:
            for use in uses:
                if not use.alias:
                    found.extend(self._glob(scope, use.path, name, ns, visiting))
        visiting.discard(key)
        found = _unique(found)
        self._lookup_memo[key] = found
        return found

    def _glob(
        self,
        scope: str,
        path: F.Path,
        name: str,
        ns: frozenset[K],
        visiting: set[tuple[str, str, frozenset[K]]],
    ) -> list[str]:
        """``name`` through ``use path::*`` in ``scope``: the visible items of a module, or a variant."""
        found: list[str] = []
        for target in self._resolve_use(scope, path, TYPE_NS, visiting):
            kind = self.kind(target)
            if kind is K.MODULE:
                importer = self._module_of(scope)
                for item in self.lookup_in(target, name, ns, visiting):
                    if self._glob_visible(item, target, importer):
                        found.append(item)
            elif kind is K.ENUM and name in self.variants.get(target, ()):
                found.append(VARIANT + target)
        return found

    def _glob_visible(self, item: str, source: str, importer: str) -> bool:
        """Globs import public-ish items, and private ones into the source module's descendants."""
        node = self.nodes.get(item)
        if node is None or node.visibility is not Visibility.PRIVATE:
            return True
        current = importer
        for _ in range(64):
            if not current:
                return False
            if current == source:
                return True
            current = self.module_parent.get(current, "")
        return False

    def _resolve_use(
        self, scope: str, path: F.Path, ns: frozenset[K], visiting: set[tuple[str, str, frozenset[K]]]
    ) -> list[Target]:
        ctx = Ctx(scope, "", self.node_file.get(scope, ""))
        found = self._walk(ctx, path, ns, visiting)
        if not found and path[0] not in ("crate", "self", "super", "::", "Self"):
            # 2015-edition paths are relative to the crate root
            root = self.crate_root_of(ctx)
            if root and root != self._module_of(scope):
                found = self._walk(Ctx(root, "", ctx.file), path, ns, visiting)
        return found

    # -- paths ----------------------------------------------------------------------------------

    def resolve_path(self, ctx: Ctx, path: F.Path, ns: frozenset[K]) -> list[Target]:
        """What a path names from ``ctx``, in the namespace ``ns`` for its last segment."""
        if not path:
            return []
        key = (ctx.scope, ctx.owner if path[0] == "Self" else "", path, ns)
        memo = self._path_memo.get(key)
        if memo is None:
            memo = self._path_memo[key] = self._walk(ctx, path, ns, set())
        return memo

    def _walk(
        self, ctx: Ctx, path: F.Path, ns: frozenset[K], visiting: set[tuple[str, str, frozenset[K]]]
    ) -> list[Target]:
        first, rest = path[0], path[1:]
        bases: list[Target]
        if first == "::":
            bases = self.crate_named(rest[0]) if rest else []
            rest = rest[1:]
        elif first in ("crate", "$crate"):  # ``$crate`` in a macro: the crate defining it
            root = self.crate_root_of(ctx)
            bases = [root] if root else []
        elif first == "self":
            module = self._module_of(ctx.scope)
            bases = [module] if module else []
        elif first == "super":
            module = self.module_parent.get(self._module_of(ctx.scope), "")
            while rest and rest[0] == "super" and module:
                module, rest = self.module_parent.get(module, ""), rest[1:]
            bases = [module] if module else []
        elif first == "Self":
            bases = list(self.self_types(ctx.owner))
        else:
            want = ns if not rest else TYPE_NS
            bases = []
            current = ctx.scope
            while current and not bases:
                bases = self.lookup_in(current, first, want, visiting)
                current = self._parent_scope(current)
            if not bases and (rest or K.MODULE in ns):
                bases = self.crate_named(first)
        for i, segment in enumerate(rest):
            want = ns if i == len(rest) - 1 else TYPE_NS
            bases = _unique([m for base in bases for m in self.member(base, segment, want, visiting)])
            if not bases:
                return []
        if not rest and first in ("crate", "self", "super") and K.MODULE not in ns:
            return []
        return bases

    def crate_named(self, name: str) -> list[str]:
        """A crate of the tree by the name other crates use for it (``extern crate`` / 2018 paths)."""
        root = self.crate_roots.get(name)
        return [root] if root else []

    def member(
        self,
        base: Target,
        name: str,
        ns: frozenset[K],
        visiting: set[tuple[str, str, frozenset[K]]] | None = None,
    ) -> list[Target]:
        """``base::name``: a module's item, a type's variant or associated item, a trait's item."""
        kind = self.kind(base)
        if kind is K.MODULE:
            return self.lookup_in(base, name, ns, visiting if visiting is not None else set())
        if kind in NOMINAL:
            if kind is K.ENUM and name in self.variants.get(base, ()):
                return [VARIANT + base]
            return self.assoc(base, name)
        if kind is K.TYPE_ALIAS:
            return [
                m for t in self.follow_alias(base) if t != base for m in self.member(t, name, ns, visiting)
            ]
        if kind is K.TRAIT:
            return self.trait_member(base, name)
        return []

    def follow_alias(self, target: Target, depth: int = 0) -> list[Target]:
        """A type alias stands for its target type (aliases of aliases followed a few steps)."""
        if self.kind(target) is not K.TYPE_ALIAS or depth > 8:
            return [target]
        entry = self.aliases.get(target)
        if entry is None:
            return [target]
        ctx, ref = entry
        found = self.resolve_path(ctx, ref.path, TYPE_NS)
        return _unique([t for f in found if f != target for t in self.follow_alias(f, depth + 1)]) or [target]

    # -- types and traits -------------------------------------------------------------------------

    def self_types(self, owner: str) -> list[str]:
        """What ``Self`` is in an impl (its self type) or a trait (the trait)."""
        if not owner:
            return []
        kind = self.kind(owner)
        if kind is K.TRAIT:
            return [owner]
        info = self.impl_info.get(owner)
        return list(info.self_ids) if info is not None else []

    def assoc(self, type_id: str, name: str) -> list[str]:
        """An associated item of a type: inherent impls, then trait impls, then trait defaults."""
        impls = self.impls_by_type.get(type_id, ())
        inherent = [
            m for i in impls if i.fact.trait is None for m in self.members.get(i.id, {}).get(name, ())
        ]
        if inherent:
            return inherent
        in_traits = [
            m for i in impls if i.fact.trait is not None for m in self.members.get(i.id, {}).get(name, ())
        ]
        if in_traits:
            return in_traits
        return _unique([m for t in self.traits_of(type_id) for m in self.trait_member(t, name)])

    def traits_of(self, type_id: str) -> list[str]:
        """The traits a type implements (through its impls), with their supertraits."""
        direct = [t for i in self.impls_by_type.get(type_id, ()) for t in i.trait_ids]
        return _unique([s for t in direct for s in self.trait_closure(t)])

    def trait_closure(self, trait_id: str) -> list[str]:
        """A trait and all its supertraits (cycles cut)."""
        memo = self._trait_memo.get(trait_id)
        if memo is not None:
            return memo
        self._trait_memo[trait_id] = [trait_id]
        out = [trait_id]
        entry = self.supertraits.get(trait_id)
        if entry is not None:
            ctx, refs = entry
            for ref in refs:
                for sup in self.resolve_path(ctx, ref.path, TRAIT_NS):
                    if self.is_trait(sup):
                        out.extend(self.trait_closure(sup))
        out = _unique(out)
        self._trait_memo[trait_id] = out
        return out

    def trait_member(self, trait_id: str, name: str) -> list[str]:
        """An item declared in a trait or, failing that, in the nearest supertraits declaring it."""
        for trait in self.trait_closure(trait_id):
            found = self.members.get(trait, {}).get(name)
            if found:
                return list(found)
        return []

    def blanket_member(self, name: str) -> list[str]:
        """An item of a blanket impl (``impl<T: X> Tr for T``) or of its trait (bounds not checked)."""
        memo = self._blanket_memo.get(name)
        if memo is None:
            memo = self._blanket_memo[name] = _unique(
                [m for i in self.blanket for m in self._impl_member(i, name)]
            )
        return memo

    def external_member(self, type_name: str, name: str) -> list[str]:
        """An item of the graph's impls for a type outside it (``impl MyExt for Vec<u8>``)."""
        return _unique(
            [m for info in self.external_impls.get(type_name, ()) for m in self._impl_member(info, name)]
        )

    def dispatch(self, trait_id: str, name: str) -> list[str]:
        """What calling the trait method ``name`` on a value known only by a trait it implements
        (``&dyn Tr``, ``T: Tr``, ``self`` in a default method) can run: for each impl of the trait in
        the graph, the method of that impl of the declaring trait, or the trait's default body when it
        does not override it. Empty when the trait has no such method or no impls in the graph."""
        key = (trait_id, name)
        memo = self._dispatch_memo.get(key)
        if memo is not None:
            return memo
        out: list[str] = []
        for decl in self.trait_member(trait_id, name):
            declaring = self.nodes[decl].parent
            default = [] if decl in self.required else [decl]
            for info in self.impls_by_trait.get(trait_id, ()):
                if declaring == trait_id or info.fact.blanket:
                    impls = [info] if declaring == trait_id else []
                else:  # a supertrait's method: the impl of the supertrait for the same type
                    impls = [
                        i
                        for t in info.self_ids
                        for i in self.impls_by_type.get(t, ())
                        if declaring in i.trait_ids
                    ]
                for impl in impls:
                    out.extend(self.members.get(impl.id, {}).get(name, ()) or default)
        memo = self._dispatch_memo[key] = _unique(out)
        return memo

    def derefs(self, type_id: str) -> list[tuple[str, list[str]]]:
        """The ``Target`` types of a type's ``Deref`` impls in the graph, each with the impl's ``deref``
        method (what a method call through it runs first)."""
        out: list[tuple[str, list[str]]] = []
        for info in self.impls_by_type.get(type_id, ()):
            trait = info.fact.trait
            if trait is None or trait.path[-1] != "Deref":
                continue
            members = self.members.get(info.id, {})
            for alias in members.get("Target", ()):
                for target in self.follow_alias(alias):
                    if self.kind(target) in NOMINAL and target != type_id:
                        out.append((target, list(members.get("deref", ()))))
        return out

    def _impl_member(self, info: ImplInfo, name: str) -> list[str]:
        found = self.members.get(info.id, {}).get(name)
        if found:
            return list(found)
        return [m for t in info.trait_ids for m in self.trait_member(t, name)]


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items)) if len(items) > 1 else items
