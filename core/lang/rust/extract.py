"""Extract one Rust file: its item nodes, CONTAINS edges and the unresolved facts of its payload.

One query finds every item and every reference; a single sweep in document order keeps a stack of
the open items (by byte range), so each capture knows its container, scope, owner (``impl`` /
``trait``), type parameters and the local variables bound before it. Only item headers, types
and receivers are read in Python (small subtrees).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from functools import cache
from operator import itemgetter

import msgspec
from tree_sitter import Node as TSNode
from tree_sitter import Parser, Query, QueryCursor, Range, Tree

from pt_tui.core.lang.base import (
    ExtractContext,
    FileFacts,
    count_errors,
    count_lines,
    make_node,
    query_source,
)
from pt_tui.core.lang.rust import facts as F
from pt_tui.core.lang.rust import syntax as S
from pt_tui.core.lang.rust.crates import module_path
from pt_tui.core.model import Edge, EdgeKind, Node, NodeKind, Visibility

LANGUAGE_NAME = "rust"


@cache
def _query() -> Query:
    return Query(
        S.tree_sitter_rust_language(), query_source(__package__ or "pt_tui.core.lang.rust", "rust.scm")
    )


@cache
def _parser() -> Parser:
    return Parser(S.tree_sitter_rust_language())


@cache
def _range_parser() -> Parser:
    """A second parser, for ``included_ranges`` (the first one always parses whole files)."""
    return Parser(S.tree_sitter_rust_language())


def parse(source: bytes) -> Tree:
    return _parser().parse(source)


class _Frame:
    """An open item during the sweep."""

    __slots__ = ("bindings", "body", "end", "generics", "index", "owner", "prefix", "role", "vis")

    def __init__(
        self,
        end: int,
        index: int,
        role: str,
        prefix: str,
        body: int,
        owner: int,
        generics: S.Generics,
        bindings: list[_Binding] | None = None,
        vis: Visibility | None = None,
    ) -> None:
        self.end = end
        self.index = index  # node index of the item
        self.role = role  # module | fn | impl | trait | value
        self.prefix = prefix  # qualified-name prefix of the items inside
        self.body = body  # node index references inside are made from (module, fn, const, static)
        self.owner = owner  # node index of the impl / trait that ``Self`` means, or -1
        self.generics = generics
        self.bindings = bindings  # a fn's local variables: (visible from byte, to byte, name, type)
        self.vis = vis  # visibility of the items of a trait / trait impl (None: their own)


_Handler = Callable[[TSNode, _Frame], "_Frame | None"]
_Binding = tuple[int, int, str, "F.TExpr | None"]
_FOREVER = 1 << 62


def extract_file(path: str, source: bytes, ctx: ExtractContext) -> FileFacts:
    """The facts of one file; what parsed is extracted even when the file has syntax errors."""
    mp = module_path(path, ctx)
    tree = parse(source)
    return _Extraction(path, source, mp.module, mp.crate_root).run(tree)


class _Extraction:
    def __init__(self, path: str, source: bytes, module: str, crate_root: str) -> None:
        self.path = path
        self.source = source
        self.module = module
        self.nodes: list[Node] = []
        self.edges: list[Edge] = []
        self.payload = F.Payload(crate_root)
        self.seen: dict[tuple[NodeKind, str], int] = {}
        self.trait_vis: dict[str, Visibility] = {}

    # -- driver -------------------------------------------------------------------------------

    def run(self, tree: Tree) -> FileFacts:
        root = tree.root_node
        lines = count_lines(self.source)
        name = self.module.rsplit("::", 1)[-1]
        head = [c for c in (root.child(i) for i in range(min(root.child_count, 64))) if c is not None]
        self._add(NodeKind.MODULE, name, self.module, root, None, Visibility.PUBLIC, S.inner_doc(head), "")
        self.nodes[0] = msgspec.structs.replace(self.nodes[0], line=1, end_line=max(lines, 1))
        frames = [_Frame(root.end_byte + 1, 0, "module", self.module, 0, -1, {})]
        ordered = _captures(root)
        found = ordered
        for _ in range(_MACRO_DEPTH):  # what macro invocations hold, nested a few deep
            items, exprs = _macro_bodies(found, self.source)
            found = _captures(_parse_ranges(self.source, items).root_node) if items else []
            if exprs:
                inner = _expression_captures(self.source, exprs)
                found.extend(c for c in inner if c[2] in _EXPRESSION_TAGS)
            found = _drop_attributes(found, self.source)
            if not found:
                break
            ordered.extend(found)
        ordered.sort(key=itemgetter(0, 1))
        handlers = self._handlers()
        for start, _, tag, ts_node in ordered:
            while frames[-1].end <= start:
                frames.pop()
            frame = handlers[tag](ts_node, frames[-1])
            if frame is not None:
                frames.append(frame)
        return FileFacts(
            path=self.path,
            language=LANGUAGE_NAME,
            module=self.module,
            nodes=self.nodes,
            edges=self.edges,
            payload=F.encode(self.payload),
            lines=lines,
            syntax_errors=count_errors(root),
        )

    def _handlers(self) -> dict[str, _Handler]:
        return {
            "fn": self._fn,
            "struct": self._struct,
            "enum": self._enum,
            "trait": self._trait,
            "impl": self._impl,
            "alias": self._alias,
            "value": self._value,
            "macro": self._macro,
            "mod": self._mod,
            "use": self._use,
            "extern": self._extern,
            "call": self._call,
            "invoke": self._invoke,
            "literal": self._literal,
            "let": self._let,
            "closure": self._closure,
        }

    # -- nodes --------------------------------------------------------------------------------

    def _add(
        self,
        kind: NodeKind,
        name: str,
        base: str,
        ts_node: TSNode,
        parent: _Frame | None,
        vis: Visibility,
        doc: str | None = None,
        signature: str | None = None,
    ) -> int:
        """Add a node (``#2``, ``#3`` on repeated qualified names) and its CONTAINS edge."""
        key = (kind, base)
        count = self.seen.get(key, 0) + 1
        self.seen[key] = count
        qualname = base if count == 1 else f"{base}#{count}"
        parent_id = self.nodes[parent.index].id if parent is not None else ""
        line = ts_node.start_point[0] + 1
        node = make_node(
            LANGUAGE_NAME,
            kind,
            qualname,
            name,
            self.path,
            line,
            ts_node.end_point[0] + 1,
            signature=S.signature(ts_node, self.source) if signature is None else signature,
            doc=S.outer_doc(ts_node) if doc is None else doc,
            visibility=vis,
            parent=parent_id,
        )
        self.nodes.append(node)
        if parent_id:
            self.edges.append(
                Edge(src=parent_id, dst=node.id, kind=EdgeKind.CONTAINS, file=self.path, line=line)
            )
        return len(self.nodes) - 1

    def _member_vis(self, ts_node: TSNode, frame: _Frame) -> Visibility:
        """Trait items and trait impl items share the trait's visibility; others have their own."""
        return frame.vis if frame.vis is not None else S.visibility(ts_node)

    def _ref(
        self,
        kind: F.RefKind,
        frame: _Frame,
        line: int,
        path: F.Path = (),
        name: str = "",
        recv: F.TExpr | None = None,
    ) -> None:
        """A reference made from inside ``frame`` (its fn, const, static or module)."""
        self.payload.refs.append(F.Ref(kind, frame.body, frame.body, frame.owner, line, path, name, recv))

    def _type_refs(self, type_node: TSNode | None, src: int, frame: _Frame, generics: S.Generics) -> None:
        """A USES reference from ``src`` for every type path named in ``type_node``."""
        if type_node is None:
            return
        found: list[tuple[F.Path, int]] = []
        S.type_paths(type_node, found)
        refs = self.payload.refs
        for path, line in found:
            if path[0] in generics or path[0] == "Self":
                continue
            refs.append(F.Ref(F.RefKind.TYPE, src, frame.body, frame.owner, line, path))

    def _generics(self, item: TSNode, src: int, frame: _Frame) -> S.Generics:
        """The type parameters in scope in an item; USES from its bounds and where clause."""
        generics, bounds = S.generics(item, frame.generics)
        for bound in bounds:
            self._type_refs(bound, src, frame, generics)
        return generics

    # -- items --------------------------------------------------------------------------------

    def _fn(self, ts_node: TSNode, frame: _Frame) -> _Frame | None:
        name_node = ts_node.child_by_field_name("name")
        if name_node is None:
            return None
        name = S.text(name_node)
        in_type = frame.role in ("impl", "trait")
        kind = NodeKind.METHOD if in_type else NodeKind.FUNCTION
        vis = self._member_vis(ts_node, frame) if in_type else S.visibility(ts_node)
        base = f"{frame.prefix}::{name}"
        index = self._add(kind, name, base, ts_node, frame, vis)
        generics = self._generics(ts_node, index, frame)
        bindings: list[_Binding] = []
        scoped = _Frame(ts_node.end_byte, index, "fn", base, index, frame.owner, generics, bindings)
        params = ts_node.child_by_field_name("parameters")
        if params is not None:
            for param in params.named_children:
                if param.type != "parameter":
                    continue
                ptype = param.child_by_field_name("type")
                self._type_refs(ptype, index, scoped, generics)
                pattern = param.child_by_field_name("pattern")
                if pattern is not None and pattern.type == "identifier":
                    bindings.append((-1, _FOREVER, S.text(pattern), S.type_expr(ptype, generics)))
        if ts_node.type == "function_signature_item" and frame.role == "trait":
            self.payload.required.append(index)
        ret = ts_node.child_by_field_name("return_type")
        if ret is not None:
            self._type_refs(ret, index, scoped, generics)
            texpr = S.type_expr(ret, generics)
            if texpr is not None:
                self.payload.fns.append(F.Fn(index, frame.body, frame.owner, texpr))
        return scoped

    def _struct(self, ts_node: TSNode, frame: _Frame) -> _Frame | None:
        name_node = ts_node.child_by_field_name("name")
        if name_node is None:
            return None
        kind = NodeKind.UNION if ts_node.type == "union_item" else NodeKind.STRUCT
        name = S.text(name_node)
        index = self._add(kind, name, f"{frame.prefix}::{name}", ts_node, frame, S.visibility(ts_node))
        generics = self._generics(ts_node, index, frame)
        types = self._fields(ts_node.child_by_field_name("body"), index, frame, generics)
        if types:
            self.payload.fields.append(F.Fields(index, frame.body, types))
        return None

    def _fields(
        self, body: TSNode | None, src: int, frame: _Frame, generics: S.Generics
    ) -> dict[str, F.TExpr]:
        """USES for each field type of a struct / union / variant body; the typed fields by name."""
        types: dict[str, F.TExpr] = {}
        if body is None:
            return types
        position = 0
        for field in body.named_children:
            if body.type == "field_declaration_list":
                if field.type != "field_declaration":
                    continue
                ftype = field.child_by_field_name("type")
                fname = field.child_by_field_name("name")
                key = S.text(fname) if fname is not None else ""
            elif field.type in ("visibility_modifier", "attribute_item", "line_comment", "block_comment"):
                continue
            else:
                ftype, key = field, str(position)
                position += 1
            self._type_refs(ftype, src, frame, generics)
            texpr = S.type_expr(ftype, generics)
            if texpr is not None and key:
                types[key] = texpr
        return types

    def _enum(self, ts_node: TSNode, frame: _Frame) -> _Frame | None:
        name_node = ts_node.child_by_field_name("name")
        if name_node is None:
            return None
        name = S.text(name_node)
        index = self._add(
            NodeKind.ENUM, name, f"{frame.prefix}::{name}", ts_node, frame, S.visibility(ts_node)
        )
        generics = self._generics(ts_node, index, frame)
        names: list[str] = []
        body = ts_node.child_by_field_name("body")
        for variant in body.named_children if body is not None else ():
            if variant.type != "enum_variant":
                continue
            vname = variant.child_by_field_name("name")
            if vname is not None:
                names.append(S.text(vname))
            self._fields(variant.child_by_field_name("body"), index, frame, generics)
        self.payload.variants.append(F.Variants(index, tuple(names)))
        return None

    def _trait(self, ts_node: TSNode, frame: _Frame) -> _Frame | None:
        name_node = ts_node.child_by_field_name("name")
        if name_node is None:
            return None
        name = S.text(name_node)
        vis = S.visibility(ts_node)
        self.trait_vis[name] = vis
        base = f"{frame.prefix}::{name}"
        index = self._add(NodeKind.TRAIT, name, base, ts_node, frame, vis)
        generics = self._generics(ts_node, index, frame)
        bounds = ts_node.child_by_field_name("bounds")
        supers: list[F.TypeRef] = []
        for bound in bounds.named_children if bounds is not None else ():
            ref = S.type_ref(
                bound.child_by_field_name("type") if bound.type == "higher_ranked_trait_bound" else bound
            )
            if ref is None:
                continue
            supers.append(ref)
            self.payload.refs.append(
                F.Ref(F.RefKind.SUPERTRAIT, index, frame.body, index, bound.start_point[0] + 1, ref.path)
            )
            if bound.type == "generic_type":
                self._type_refs(bound.child_by_field_name("type_arguments"), index, frame, generics)
        self.payload.traits.append(F.Trait(index, frame.body, tuple(supers)))
        return _Frame(ts_node.end_byte, index, "trait", base, frame.body, index, generics, vis=vis)

    def _impl(self, ts_node: TSNode, frame: _Frame) -> _Frame | None:
        type_node = ts_node.child_by_field_name("type")
        if type_node is None:
            return None
        trait_node = ts_node.child_by_field_name("trait")
        label = S.type_label(type_node)
        vis = Visibility.PUBLIC
        if trait_node is not None:
            trait_label = S.type_label(trait_node)
            name = f"<impl {trait_label} for {label}>"
            prefix = f"{frame.prefix}::<{label} as {trait_label}>"
            vis = self.trait_vis.get(trait_label.rsplit("::", 1)[-1], Visibility.PUBLIC)
        else:
            name = f"<impl {label}>"
            prefix = f"{frame.prefix}::{label}"
        index = self._add(NodeKind.IMPL, name, f"{frame.prefix}::{name}", ts_node, frame, vis)
        generics = self._generics(ts_node, index, frame)
        self_ref = S.type_ref(type_node)
        trait_ref = S.type_ref(trait_node)
        blanket = (
            self_ref is not None
            and len(self_ref.path) == 1
            and self_ref.path[0] in generics
            and self_ref.path[0] not in frame.generics
        )
        bounds = generics[self_ref.path[0]] if blanket and self_ref is not None else ()
        line = ts_node.start_point[0] + 1
        self.payload.impls.append(F.Impl(index, frame.body, self_ref, trait_ref, blanket, line, bounds))
        self._type_refs(type_node, index, frame, generics)
        if trait_node is not None and trait_node.type == "generic_type":
            self._type_refs(trait_node.child_by_field_name("type_arguments"), index, frame, generics)
        member_vis = vis if trait_node is not None else None
        return _Frame(ts_node.end_byte, index, "impl", prefix, frame.body, index, generics, vis=member_vis)

    def _alias(self, ts_node: TSNode, frame: _Frame) -> _Frame | None:
        name_node = ts_node.child_by_field_name("name")
        if name_node is None:
            return None
        name = S.text(name_node)
        vis = self._member_vis(ts_node, frame)
        index = self._add(NodeKind.TYPE_ALIAS, name, f"{frame.prefix}::{name}", ts_node, frame, vis)
        generics = self._generics(ts_node, index, frame)
        target = ts_node.child_by_field_name("type")
        self._type_refs(target, index, frame, generics)
        ref = S.type_ref(target)
        if ref is not None and not (len(ref.path) == 1 and ref.path[0] in generics):
            self.payload.aliases.append(F.Alias(index, frame.body, frame.owner, ref))
        return None

    def _value(self, ts_node: TSNode, frame: _Frame) -> _Frame | None:
        name_node = ts_node.child_by_field_name("name")
        if name_node is None:
            return None
        kind = NodeKind.STATIC if ts_node.type == "static_item" else NodeKind.CONST
        name = S.text(name_node)
        vis = self._member_vis(ts_node, frame)
        index = self._add(kind, name, f"{frame.prefix}::{name}", ts_node, frame, vis)
        vtype = ts_node.child_by_field_name("type")
        self._type_refs(vtype, index, frame, frame.generics)
        texpr = S.type_expr(vtype, frame.generics)
        if texpr is not None:
            self.payload.fns.append(F.Fn(index, frame.body, frame.owner, texpr))
        return _Frame(
            ts_node.end_byte, index, "value", f"{frame.prefix}::{name}", index, frame.owner, frame.generics
        )

    def _macro(self, ts_node: TSNode, frame: _Frame) -> _Frame | None:
        name_node = ts_node.child_by_field_name("name")
        if name_node is None:
            return None
        name = S.text(name_node)
        exported = S.has_attribute(ts_node, b"macro_export")
        vis = Visibility.PUBLIC if exported else Visibility.CRATE
        base = f"{frame.prefix}::{name}"
        index = self._add(NodeKind.MACRO, name, base, ts_node, frame, vis)
        # the calls its rules expand to (parsed again in ``run``) are the macro's own
        return _Frame(ts_node.end_byte, index, "macro", base, index, -1, {})

    def _mod(self, ts_node: TSNode, frame: _Frame) -> _Frame | None:
        name_node = ts_node.child_by_field_name("name")
        if name_node is None:
            return None
        name = S.text(name_node)
        body = ts_node.child_by_field_name("body")
        macro_use = S.has_attribute(ts_node, b"macro_use")
        if body is None:
            line = ts_node.start_point[0] + 1
            self.payload.mods.append(F.ModDecl(frame.body, name, line, macro_use, S.path_attribute(ts_node)))
            return None
        doc = S.outer_doc(ts_node) or S.inner_doc(body.named_children[:16])
        base = f"{frame.prefix}::{name}"
        index = self._add(NodeKind.MODULE, name, base, ts_node, frame, S.visibility(ts_node), doc)
        if macro_use:
            self.payload.macro_use.append(index)
        return _Frame(ts_node.end_byte, index, "module", base, index, -1, {})

    # -- imports ------------------------------------------------------------------------------

    def _use(self, ts_node: TSNode, frame: _Frame) -> _Frame | None:
        public = S.visibility(ts_node) is not Visibility.PRIVATE
        line = ts_node.start_point[0] + 1
        argument = ts_node.child_by_field_name("argument")
        if argument is None:
            return None
        for path, alias in S.use_leaves(argument):
            self.payload.uses.append(F.Use(frame.body, path, alias, public, line))
        return None

    def _extern(self, ts_node: TSNode, frame: _Frame) -> _Frame | None:
        name_node = ts_node.child_by_field_name("name")
        if name_node is None:
            return None
        alias_node = ts_node.child_by_field_name("alias")
        name = S.text(name_node)
        alias = S.text(alias_node) if alias_node is not None else name
        public = S.visibility(ts_node) is not Visibility.PRIVATE
        path: F.Path = ("crate",) if name == "self" else ("::", name)
        self.payload.uses.append(F.Use(frame.body, path, alias, public, ts_node.start_point[0] + 1))
        return None

    # -- references -----------------------------------------------------------------------------

    def _call(self, ts_node: TSNode, frame: _Frame) -> _Frame | None:
        if ts_node.has_error and any(c.is_error for c in ts_node.children):
            return None  # ``Type::$method(x)`` in a macro rule reads as a call of ``Type``
        fn = ts_node.child_by_field_name("function")
        if fn is not None and fn.type == "generic_function":
            fn = fn.child_by_field_name("function")
        if fn is None:
            return None
        line = ts_node.start_point[0] + 1
        if fn.type == "field_expression":
            name = fn.child_by_field_name("field")
            if name is None:
                return None
            recv = S.expr_type(fn.child_by_field_name("value"), _lookup(frame, ts_node.start_byte))
            self._ref(F.RefKind.METHOD, frame, line, name=S.text(name), recv=recv)
            return None
        if fn.type not in ("identifier", "scoped_identifier"):
            return None  # a closure, a field holding a fn, an index: nothing to resolve by name
        path = S.path_of(fn)
        if path is None:
            return None
        if fn.type == "identifier" and _is_local(frame, path[0], ts_node.start_byte):
            return None  # calling a local closure
        bounds = frame.generics.get(path[0])
        if bounds is not None and len(path) == 2:  # ``T::new()``: the method of T's bound
            if bounds:
                self._ref(F.RefKind.METHOD, frame, line, name=path[1], recv=F.TBounds(bounds))
            return None
        self._ref(F.RefKind.CALL, frame, line, path, recv=S.qualified_self(fn, frame.generics))
        return None

    def _invoke(self, ts_node: TSNode, frame: _Frame) -> _Frame | None:
        path = S.path_of(ts_node.child_by_field_name("macro"))
        if path is not None:
            self._ref(F.RefKind.MACRO, frame, ts_node.start_point[0] + 1, path)
        return None

    def _literal(self, ts_node: TSNode, frame: _Frame) -> _Frame | None:
        path = S.path_of(ts_node.child_by_field_name("name"))
        if path is not None and path[0] not in frame.generics:
            self._ref(F.RefKind.LITERAL, frame, ts_node.start_point[0] + 1, path)
        return None

    def _let(self, ts_node: TSNode, frame: _Frame) -> _Frame | None:
        ltype = ts_node.child_by_field_name("type")
        self._type_refs(ltype, frame.body, frame, frame.generics)
        pattern = ts_node.child_by_field_name("pattern")
        if frame.bindings is None or pattern is None or pattern.type != "identifier":
            return None
        if ltype is not None:
            texpr = S.type_expr(ltype, frame.generics)
        else:
            texpr = S.expr_type(ts_node.child_by_field_name("value"), _lookup(frame, ts_node.start_byte))
        frame.bindings.append((ts_node.end_byte, _FOREVER, S.text(pattern), texpr))
        return None

    def _closure(self, ts_node: TSNode, frame: _Frame) -> _Frame | None:
        """A closure's parameters are locals inside it (typed ones with their type)."""
        params = ts_node.child_by_field_name("parameters")
        if frame.bindings is None or params is None:
            return None
        start, end = ts_node.start_byte, ts_node.end_byte
        for param in params.named_children:
            pattern: TSNode | None = param
            ptype: TSNode | None = None
            if param.type == "parameter":
                pattern, ptype = param.child_by_field_name("pattern"), param.child_by_field_name("type")
            if pattern is not None and pattern.type == "identifier":
                texpr = S.type_expr(ptype, frame.generics) if ptype is not None else None
                frame.bindings.append((start, end, S.text(pattern), texpr))
        return None


_Capture = tuple[int, int, str, TSNode]
_MACRO_DEPTH = 3
_ITEM_LISTS = frozenset({"source_file", "declaration_list"})
#: What is kept from macro arguments read as expressions: references, not bindings or items.
_EXPRESSION_TAGS = frozenset({"call", "invoke", "literal"})
#: What any of those needs: a name (or ``>`` of a turbofish) before ``(`` (a call), ``!`` (a macro) or
#: ``{`` (a struct literal). ``println!("{}", x)`` has none: its arguments are not parsed again.
_REFERENCE_CANDIDATE = re.compile(rb"[\w>]\s*[({!]")


def _captures(root: TSNode) -> list[_Capture]:
    """Every capture of the query, as (start, -end, tag, node): sorting puts containers first."""
    captures = QueryCursor(_query()).captures(root)
    return [(n.start_byte, -n.end_byte, tag, n) for tag, ns in captures.items() for n in ns]


def _macro_bodies(captures: list[_Capture], source: bytes) -> tuple[list[Range], list[Range]]:
    """What macro invocations hold, to parse again: the inside of ``cfg_rt! { mod x; ... }`` (items,
    where items stand) and whole argument lists like ``(parse(x), 2)`` (read as one expression).
    Argument lists with nothing that can read as a call, a macro or a struct literal are left out."""
    items: list[Range] = []
    exprs: list[Range] = []
    candidate = _REFERENCE_CANDIDATE.search
    for _, _, tag, node in captures:
        if tag == "macro":  # a ``macro_rules!`` definition: what each rule expands to
            for rule in node.named_children:
                right = rule.child_by_field_name("right") if rule.type == "macro_rule" else None
                if right is None or right.end_byte - right.start_byte <= 2:
                    continue
                if candidate(source, right.start_byte + 1, right.end_byte - 1):
                    exprs.append(Range(right.start_point, right.end_point, right.start_byte, right.end_byte))
            continue
        if tag != "invoke" or not node.child_count:
            continue
        body = node.child(node.child_count - 1)
        if body is None or body.type != "token_tree" or body.end_byte - body.start_byte <= 2:
            continue
        parent = node.parent
        if parent is not None and parent.type == "expression_statement":
            parent = parent.parent
        (srow, scol), (erow, ecol) = body.start_point, body.end_point
        if parent is not None and parent.type in _ITEM_LISTS and (body.text or b"")[:1] == b"{":
            items.append(Range((srow, scol + 1), (erow, ecol - 1), body.start_byte + 1, body.end_byte - 1))
        elif candidate(source, body.start_byte + 1, body.end_byte - 1):
            exprs.append(Range((srow, scol), (erow, ecol), body.start_byte, body.end_byte))
    return sorted(items, key=lambda r: r.start_byte), sorted(exprs, key=lambda r: r.start_byte)


def _drop_attributes(found: list[_Capture], source: bytes) -> list[_Capture]:
    """Without what lies in an attribute that error recovery read as a call (``#[cfg(not(x))]`` in
    a macro body): ``cfg(..)`` right after ``#[`` is never a call, nor anything inside it."""
    junk = [
        (start, -neg_end)
        for start, neg_end, tag, _ in found
        if tag == "call" and source[max(0, start - 8) : start].rstrip().endswith((b"#[", b"#!["))
    ]
    if not junk:
        return found
    return [c for c in found if not any(start <= c[0] < end for start, end in junk)]


def _parse_ranges(source: bytes, ranges: list[Range]) -> Tree:
    """Parse only ``ranges`` of the source (offsets and points stay those of the whole file)."""
    parser = _range_parser()
    parser.included_ranges = ranges
    return parser.parse(source)


def _parse_expressions(source: bytes, ranges: list[Range]) -> Tree:
    """Parse ``ranges`` as separate expression statements (see :func:`_separated`)."""
    buf, separated = _separated(source, ranges)
    return _parse_ranges(buf, [r for pair in separated for r in pair])


def _expression_captures(source: bytes, ranges: list[Range]) -> list[_Capture]:
    """The captures of ``ranges`` parsed as expressions, each range read as if alone: they are parsed
    together, and a range whose parse reached into the next one's (error recovery carrying an
    unclosed ``impl<..`` on, say) is parsed again on its own."""
    buf, separated = _separated(source, ranges)
    root = _parse_ranges(buf, [r for pair in separated for r in pair]).root_node
    starts = [r.start_byte for r in ranges]
    mixed: set[int] = set()
    for child in root.children:
        first = bisect_right(starts, child.start_byte) - 1
        last = bisect_right(starts, child.end_byte - 1) - 1
        if first != last and child.type != "empty_statement":
            mixed.update(range(max(first, 0), last + 1))
    found = _captures(root)
    if not mixed:
        return found
    slots = [(ranges[i].start_byte, ranges[i].end_byte) for i in sorted(mixed)]
    found = [c for c in found if not any(start <= c[0] < end for start, end in slots)]
    for i in sorted(mixed):
        found.extend(_captures(_parse_ranges(buf, list(separated[i])).root_node))
    return found


def _separated(source: bytes, ranges: list[Range]) -> tuple[bytes, list[tuple[Range, ...]]]:
    """``ranges`` each with a ``;`` before it: put in a copy of the source at the last byte before the
    range that is not a line break (the ``!`` of ``m!(..)`` at the latest), so that ``(a)`` then
    ``(b)`` do not read as one call. Offsets and points stay those of the whole file."""
    buf = bytearray(source)
    separated: list[tuple[Range, ...]] = []
    prev = 0
    for r in ranges:
        at = r.start_byte - 1
        while at >= prev and source[at] == 0x0A:
            at -= 1
        if at >= prev:
            buf[at] = 0x3B  # ``;``
            row = r.start_point[0] - source.count(b"\n", at, r.start_byte)
            col = at - source.rfind(b"\n", 0, at) - 1
            separated.append((Range((row, col), (row, col + 1), at, at + 1), r))
        else:
            separated.append((r,))
        prev = r.end_byte
    return bytes(buf), separated


def _lookup(frame: _Frame, at: int) -> S.Lookup:
    """Whether a name is a local variable of ``frame``'s fn at byte ``at``, and its type if known."""
    bindings = frame.bindings or []

    def look(name: str) -> tuple[bool, F.TExpr | None]:
        for start, end, var, texpr in reversed(bindings):
            if var == name and start <= at < end:
                return True, texpr
        return False, None

    return look


def _is_local(frame: _Frame, name: str, at: int) -> bool:
    return any(var == name and start <= at < end for start, end, var, _ in frame.bindings or ())
