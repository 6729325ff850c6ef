"""Extract one Python file: its entities (module, classes, functions, methods, lambdas) and the
unresolved facts name resolution needs (bindings, calls, type uses, imports, returns).

One query finds every interesting node. A first sweep over the definitions (sorted by position,
with a stack of open bodies) creates the nodes and scopes; every other capture is then assigned to
its innermost scope by bisecting the byte segments the scope bodies cut the file into. Only small
subtrees are walked in Python (a callee, an argument, a def header, an annotation).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from functools import cache

import tree_sitter_python
from tree_sitter import Language as TSLanguage
from tree_sitter import Node as TSNode
from tree_sitter import Parser, Query, QueryCursor

from pt_tui.core.lang.base import (
    ExtractContext,
    FileFacts,
    count_errors,
    count_lines,
    make_node,
    query_source,
)
from pt_tui.core.lang.python import syntax as sx
from pt_tui.core.lang.python.facts import (
    ENCODER,
    SPECIAL_HEADS,
    Call,
    Chain,
    Coll,
    Import,
    PyFacts,
    Scope,
    Use,
    Value,
)
from pt_tui.core.model import Edge, EdgeKind, Node, NodeKind, Visibility

LANG = "python"
_MODULE, _CLASS, _METHOD, _LAMBDA = (
    str(k) for k in (NodeKind.MODULE, NodeKind.CLASS, NodeKind.METHOD, NodeKind.LAMBDA)
)
_OPEN, _DEF = 0, 1
#: Decorators that leave a function callable as itself (the name stays bound to the def).
_TRANSPARENT_DECORATORS = frozenset(
    {"property", "abstractmethod", "abc.abstractmethod", "override", "typing.override", "overload"}
)
_PROPERTY_PARTS = (".setter", ".getter", ".deleter")
_CLASS_FIRST_PARAM = frozenset({"__new__", "__init_subclass__", "__class_getitem__"})


@cache
def ts_language() -> TSLanguage:
    return TSLanguage(tree_sitter_python.language())


@cache
def parser() -> Parser:
    return Parser(ts_language())


@cache
def _query() -> Query:
    return Query(ts_language(), query_source(__package__ or "pt_tui.core.lang.python", "python.scm"))


def module_qualname(path: str, root_name: str) -> str:
    """``pkg/mod.py`` -> ``pkg.mod``, ``pkg/__init__.py`` -> ``pkg``, ``__init__.py`` -> the root's name."""
    parts = path.split("/")
    last = parts[-1]
    parts[-1] = last[: last.rfind(".")] if "." in last else last
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts) if parts else root_name


def visibility(name: str) -> Visibility:
    if name.startswith("_") and not (name.startswith("__") and name.endswith("__") and len(name) > 4):
        return Visibility.PRIVATE
    return Visibility.PUBLIC


class _FileExtractor:
    """The state of one file's sweep."""

    def __init__(self, path: str, source: bytes, ctx: ExtractContext) -> None:
        self.path = path
        self.source = source
        self.module = module_qualname(path, ctx.root.name)
        self.package = path.split("/")[:-1]  # folders: what relative imports climb from
        self.nodes: list[Node] = []
        self.edges: list[Edge] = []
        self.scopes: list[Scope] = []
        self.qualnames: list[str] = []
        self.imports: list[Import] = []
        self.lambdas: dict[int, str] = {}  # lambda start byte -> node id
        self.self_names: dict[int, str] = {}  # method scope -> its self/cls parameter
        self.stores: list[tuple[int, str, str, list[Value]]] = []  # d[key] = values: (scope, d, key, ...)
        self.globals: dict[int, dict[str, int]] = {}  # scope -> name -> scope that really binds it
        self.heads: list[set[str]] = []  # per scope: names called, returned, aliased or kept on self
        self.taken: dict[tuple[int, str], int] = {}  # (scope, name) -> definitions seen
        self.lambda_counts: dict[int, int] = {}
        self.all_literal: list[str] | None = None
        self.all_dynamic = False

    # -- entry ----------------------------------------------------------------------------------

    def run(self) -> FileFacts:
        tree = parser().parse(self.source)
        root = tree.root_node
        lines = count_lines(self.source)
        name = self.module.rsplit(".", 1)[-1]
        module_node = make_node(
            LANG,
            NodeKind.MODULE,
            self.module,
            name,
            self.path,
            1,
            max(lines, 1),
            doc=sx.docstring(root),
            visibility=visibility(name),
        )
        self.nodes.append(module_node)
        mod_id = module_node.id
        self._new_scope(Scope(node=mod_id, kind=_MODULE, name=name, line=1), self.module)
        captures = QueryCursor(_query()).captures(root)
        self._sweep(captures)
        self._finish()
        module = self.scopes[0]
        if self.all_literal is not None and not self.all_dynamic:
            module.all_names = self.all_literal
        payload = ENCODER.encode(PyFacts(scopes=self.scopes, imports=self.imports))
        return FileFacts(
            path=self.path,
            language=LANG,
            module=self.module,
            nodes=self.nodes,
            edges=self.edges,
            payload=payload,
            lines=lines,
            syntax_errors=count_errors(root),
        )

    def _new_scope(self, scope: Scope, qualname: str) -> int:
        self.scopes.append(scope)
        self.qualnames.append(qualname)
        self.heads.append(set())
        return len(self.scopes) - 1

    def _sweep(self, captures: dict[str, list[TSNode]]) -> None:
        # pass 1: definitions, so that every scope (and lambda id) exists before any fact is read
        events: list[tuple[int, int, int, TSNode]] = []
        for seq, node in enumerate(sorted(captures.get("def", ()), key=_start)):
            events.append((node.start_byte, _DEF, seq, node))
            body = node.child_by_field_name("body")
            if body is not None:
                events.append((body.start_byte, _OPEN, seq, node))
        events.sort(key=lambda e: (e[0], e[1], e[2]))
        stack: list[tuple[int, int]] = [(0, 1 << 62)]  # (scope index, body end byte)
        opened: dict[int, int] = {}  # def seq -> scope index
        bodies: list[tuple[int, int, int]] = []  # (body start, body end, scope index)
        defined: list[tuple[TSNode, int]] = []
        for pos, order, seq, node in events:
            while stack[-1][1] <= pos:
                stack.pop()
            if order == _DEF:
                index = self._definition(node, stack[-1][0])
                opened[seq] = index
                defined.append((node, index))
            else:
                body = node.child_by_field_name("body")
                if body is not None:
                    stack.append((opened[seq], body.end_byte))
                    bodies.append((body.start_byte, body.end_byte, opened[seq]))
        for node, index in defined:
            self._header(node, index)
        # pass 2: every other capture, in its innermost scope (found by bisecting scope segments)
        bounds, owners = _segments(bodies)
        handlers = {
            "global": self._global,  # first: it redirects the bindings of its scope
            "call": self._call,
            "raise": self._raise,
            "import": self._import,
            "assign": self._assign,
            "augassign": self._augassign,
            "return": self._return,
            "walrus": self._walrus,
            "target": self._target,
            "astarget": self._astarget,
        }
        for tag, handler in handlers.items():
            nodes = captures.get(tag)
            if not nodes:
                continue
            nodes.sort(key=_start)  # a capture's nodes do not come in source order
            if len(bounds) == 1:
                for node in nodes:
                    handler(node, 0)
            else:
                for node in nodes:
                    handler(node, owners[bisect_right(bounds, node.start_byte) - 1])

    # -- definitions ----------------------------------------------------------------------------

    def _definition(self, node: TSNode, parent: int) -> int:
        kind_name = node.type
        pscope = self.scopes[parent]
        if kind_name == "lambda":
            count = self.lambda_counts.get(parent, 0) + 1
            self.lambda_counts[parent] = count
            name = f"<lambda{count}>"
            kind = NodeKind.LAMBDA
        else:
            name = sx.text(node.child_by_field_name("name")) or "<anonymous>"
            if kind_name == "class_definition":
                kind = NodeKind.CLASS
            else:
                kind = NodeKind.METHOD if pscope.kind == _CLASS else NodeKind.FUNCTION
        qualname = f"{self.qualnames[parent]}.{name}"
        seen = self.taken.get((parent, name), 0) + 1
        self.taken[(parent, name)] = seen
        if seen > 1:
            qualname += f"#{seen}"
        line = sx.line_of(node)
        body = node.child_by_field_name("body")
        doc = sx.docstring(body) if kind is not NodeKind.LAMBDA and body is not None else ""
        entity = make_node(
            LANG,
            kind,
            qualname,
            name,
            self.path,
            line,
            node.end_point[0] + 1,
            signature=sx.signature(node, body, self.source),
            doc=doc,
            visibility=visibility(name),
            parent=pscope.node,
        )
        self.nodes.append(entity)
        nid = entity.id
        self.edges.append(Edge(src=pscope.node, dst=nid, kind=EdgeKind.CONTAINS, file=self.path, line=line))
        index = self._new_scope(
            Scope(node=nid, kind=str(kind), name=name, parent=parent, line=line), qualname
        )
        if kind is NodeKind.LAMBDA:
            self.lambdas[node.start_byte] = nid
        else:
            self._bind(parent, name, [("@" + nid,)])
        return index

    def _header(self, node: TSNode, index: int) -> None:
        """Decorators, bases, parameters and the lambda's value: read once every lambda id is known."""
        scope = self.scopes[index]
        parent = scope.parent
        if scope.kind == _LAMBDA:
            body = node.child_by_field_name("body")
            if body is not None:
                scope.returns.extend(self._values(body, index))
        else:
            self._decorators(node, parent, scope, scope.node)
        if scope.kind == _CLASS:
            self._bases(node, scope)
        else:
            self._parameters(node, index, self.scopes[parent])

    def _decorators(self, node: TSNode, parent: int, scope: Scope, nid: str) -> None:
        """``@dec`` calls dec with the def, ``@dec(x)`` calls dec(x)'s result (the call ``dec(x)``
        is captured on its own); stacked decorators each receive what the one below returned."""
        holder = node.parent
        if holder is None or holder.type != "decorated_definition":
            return
        decorators = [d for d in holder.named_children if d.type == "decorator"]
        argument: Chain = ("!" + nid,)  # the def itself (``@`` would be the decorated value)
        transparent = True
        for deco in reversed(decorators):
            inner = sx.named(deco)
            if not inner:
                continue
            expr = inner[0]
            label = sx.text(expr)
            if label in ("staticmethod", "builtins.staticmethod"):
                scope.static = True
            elif label in ("classmethod", "builtins.classmethod"):
                scope.classmethod = True
            elif label not in _TRANSPARENT_DECORATORS and not label.endswith(_PROPERTY_PARTS):
                transparent = False
            ref = self._chain(expr, parent)
            if ref == sx.UNKNOWN:
                argument = sx.UNKNOWN
                continue
            call = Call(
                ref,
                sx.line_of(deco),
                (argument,) if argument != sx.UNKNOWN else ((),),
                {},
                expr.type == "call",
            )
            self.scopes[parent].calls.append(call)
            argument = (*ref, "()")
        if not transparent and argument != sx.UNKNOWN and scope.kind != _CLASS:
            scope.decorated = argument

    def _bases(self, node: TSNode, scope: Scope) -> None:
        supers = node.child_by_field_name("superclasses")
        if supers is None:
            return
        parent = scope.parent
        for arg in sx.named(supers):
            if arg.type in ("keyword_argument", "list_splat", "dictionary_splat"):
                continue
            ref = self._chain(arg, parent)
            while len(ref) > 1 and ref[-1].startswith("["):
                ref = ref[:-1]  # Generic[T] -> Generic
            if ref != sx.UNKNOWN:
                scope.bases.append(ref)
                scope.base_lines.append(sx.line_of(arg))

    def _parameters(self, node: TSNode, index: int, pscope: Scope) -> None:
        scope = self.scopes[index]
        params = node.child_by_field_name("parameters")
        is_method = scope.kind == _METHOD
        keyword_only = False
        first = True
        if params is not None:
            for param in sx.named(params):
                kind = param.type
                if kind == "keyword_separator":
                    keyword_only = True
                    continue
                if kind == "positional_separator":
                    continue
                name_node: TSNode | None
                annotation = param.child_by_field_name("type")
                default = param.child_by_field_name("value")
                if kind == "identifier":
                    name_node = param
                elif kind in ("default_parameter", "typed_default_parameter"):
                    name_node = param.child_by_field_name("name")
                elif kind == "typed_parameter":
                    inner = sx.named(param)
                    name_node = inner[0] if inner else None
                else:
                    name_node = param
                if name_node is None:
                    continue
                splat = name_node.type in ("list_splat_pattern", "dictionary_splat_pattern")
                if splat:
                    inner = sx.named(name_node)
                    name_node = inner[0] if inner else None
                    if name_node is None:
                        continue
                if name_node.type != "identifier":
                    continue
                name = sx.text(name_node)
                vals: list[Value] = []
                if is_method and first and not scope.static and not splat:
                    owner = pscope.node
                    cls_param = scope.classmethod or scope.name in _CLASS_FIRST_PARAM
                    vals.append(("@" + owner,) if cls_param else ("*" + owner,))
                    self.self_names[index] = name
                elif annotation is not None and not splat:
                    inst = sx.instance_chain(annotation)
                    if inst is not None:
                        vals.append(_from_parent(inst))
                if default is not None:
                    vals.extend(_from_parent(v) for v in self._values(default, index) if isinstance(v, tuple))
                if annotation is not None:
                    self._annotation_uses(annotation, scope, parent_lookup=True)
                first = False
                scope.bindings.setdefault(name, []).extend(vals)
                if splat:
                    keyword_only = True
                elif keyword_only:
                    scope.kwonly.append(name)
                else:
                    scope.params.append(name)
        returns = node.child_by_field_name("return_type")
        if returns is not None:
            self._annotation_uses(returns, scope, parent_lookup=True)
            inst = sx.instance_chain(returns)
            if inst is not None:
                scope.returns.append(_from_parent(inst))

    def _annotation_uses(self, annotation: TSNode, scope: Scope, parent_lookup: bool) -> None:
        refs: list[Chain] = []
        sx.type_refs(annotation, refs)
        line = sx.line_of(annotation)
        for ref in refs:
            scope.uses.append(Use(_from_parent(ref) if parent_lookup else ref, line))

    # -- facts ----------------------------------------------------------------------------------

    def _chain(self, node: TSNode, scope: int) -> Chain:
        return sx.chain(node, self.lambdas)

    def _values(self, node: TSNode, scope: int) -> list[Value]:
        return sx.values(node, self.lambdas)

    def _flowing(self, scope: int, vals: list[Value]) -> list[Value]:
        """Note the names these values come from (parameters worth argument flow)."""
        heads = self.heads[scope]
        for v in vals:
            if isinstance(v, Coll):
                heads.update(c[0] for c in v.values if c)
            else:
                heads.add(v[0])
        return vals

    def _call(self, node: TSNode, scope: int) -> None:
        fn = node.child_by_field_name("function")
        if fn is None:
            return
        lambdas = self.lambdas
        if fn.type == "identifier":
            callee: Chain = (fn.text.decode("utf-8", "replace") if fn.text else "?",)
        else:
            callee = sx.chain(fn, lambdas)
        heads = self.heads[scope]
        heads.add(callee[0])
        args: list[Chain] = []
        kwargs: dict[str, Chain] = {}
        arguments = node.child_by_field_name("arguments")
        if arguments is not None and arguments.named_child_count and arguments.type == "argument_list":
            splat = False
            chainable = sx.CHAINABLE
            for arg in arguments.named_children:
                kind = arg.type
                if kind == "keyword_argument":
                    value = arg.child_by_field_name("value")
                    if value is not None and value.type in chainable:
                        kwargs[sx.text(arg.child_by_field_name("name"))] = sx.chain(value, lambdas)
                elif kind in _ARG_SKIP:
                    splat = splat or kind != "comment"  # after *args, positions are unknown
                elif splat:
                    continue
                elif kind == "identifier":
                    name = arg.text.decode("utf-8", "replace") if arg.text else "?"
                    args.append((name,))
                    heads.add(name)  # passed on: g(callback)
                elif kind in chainable:
                    args.append(sx.chain(arg, lambdas))
                else:
                    args.append(())
            if len(callee) == 1 and callee[0] in ("isinstance", "issubclass"):
                self._isinstance(arguments, scope)
        self.scopes[scope].calls.append(Call(callee, node.start_point[0] + 1, tuple(args), kwargs))
        if len(callee) >= 2 and callee[-1] in _ADDERS and fn.type == "attribute" and arguments is not None:
            self._added(fn, callee[-1], args, arguments, scope)

    def _added(self, fn: TSNode, method: str, args: list[Chain], arguments: TSNode, scope: int) -> None:
        """``xs.append(f)``, ``xs.add(f)``, ``d.update({"k": f})``: items stored into a collection."""
        obj = fn.child_by_field_name("object")
        if obj is None:
            return
        if method == ".update":
            first = arguments.named_children[0] if arguments.named_child_count == 1 else None
            if first is not None and first.type == "dictionary":
                for coll in sx.values(first, self.lambdas):
                    if isinstance(coll, Coll):
                        for key, value in zip(coll.keys, coll.values, strict=False):
                            self._store(obj, key, [value], scope)
        elif len(args) == 1 and args[0]:
            self._store(obj, "", [args[0]], scope)

    def _store(self, obj: TSNode, key: str, values: list[Value], scope: int) -> None:
        """``obj[key] = value`` (or an equivalent method call) for ``obj`` a name or ``self.attr``:
        the collection bound there also holds the value (function-like values only)."""
        refs: list[Value] = [v for v in values if isinstance(v, tuple) and v and v[0][:1] not in "#?"]
        if not refs:
            return
        if obj.type == "identifier":
            self.stores.append((scope, sx.text(obj), key, refs))
            return
        owner_self = self.self_names.get(scope)
        inner = obj.child_by_field_name("object") if obj.type == "attribute" else None
        attr = obj.child_by_field_name("attribute") if obj.type == "attribute" else None
        if owner_self is None or inner is None or attr is None or inner.type != "identifier":
            return
        if sx.text(inner) == owner_self:
            coll = Coll(
                keys=(key,) * len(refs),
                values=tuple(v for v in self._flowing(scope, refs) if isinstance(v, tuple)),
            )
            self.scopes[self.scopes[scope].parent].attrs.setdefault(sx.text(attr), []).append((scope, coll))

    def _isinstance(self, arguments: TSNode, scope: int) -> None:
        """``isinstance(x, Foo)`` / ``isinstance(x, (Foo, Bar))``: type uses."""
        positional = [a for a in arguments.named_children if a.type not in ("keyword_argument", "comment")]
        if len(positional) < 2:
            return
        types = positional[1]
        items = sx.named(types) if types.type in ("tuple", "parenthesized_expression") else [types]
        for item in items:
            if item.type in ("identifier", "attribute"):
                self.scopes[scope].uses.append(Use(sx.chain(item, self.lambdas), sx.line_of(item)))

    def _import(self, node: TSNode, scope: int) -> None:
        line = sx.line_of(node)
        if node.type == "import_statement":
            for item in node.children_by_field_name("name"):
                if item.type == "aliased_import":
                    path = _dotted(item.child_by_field_name("name"))
                    alias = sx.text(item.child_by_field_name("alias"))
                    if path and alias:
                        self._bind(scope, alias, [("%" + path,)])
                else:
                    path = _dotted(item)
                    if path:
                        top = path.split(".", 1)[0]
                        self._bind(scope, top, [("%" + top,)])
                if path:
                    self.imports.append(Import(path, None, line))
            return
        source = node.child_by_field_name("module_name")
        if source is None:
            return
        path = self._absolute(source)
        if any(c.type == "wildcard_import" for c in node.children):
            self.scopes[scope].stars.append(path)
            self.imports.append(Import(path, None, line))
            return
        names: list[str] = []
        for item in node.children_by_field_name("name"):
            if item.type == "aliased_import":
                name = _dotted(item.child_by_field_name("name"))
                alias = sx.text(item.child_by_field_name("alias"))
            else:
                name = alias = _dotted(item)
            if name and alias:
                names.append(name)
                self._bind(scope, alias, [("%" + path, "." + name)])
        self.imports.append(Import(path, names, line))

    def _absolute(self, source: TSNode) -> str:
        """The absolute dotted path of an import source; ``!`` when it climbs above the root."""
        if source.type != "relative_import":
            return _dotted(source)
        dots = 0
        rest = ""
        for child in source.children:
            if child.type == "import_prefix":
                dots = len((child.text or b"").strip())
            elif child.type == "dotted_name":
                rest = _dotted(child)
        if dots - 1 > len(self.package):
            return "!"
        base = self.package[: len(self.package) - (dots - 1)]
        return ".".join([*base, rest] if rest else base)

    def _assign(self, node: TSNode, scope: int) -> None:
        left = node.child_by_field_name("left")
        right = node.child_by_field_name("right")
        annotation = node.child_by_field_name("type")
        while right is not None and right.type == "assignment":
            right = right.child_by_field_name("right")
        if left is None:
            return
        extra: list[Value] = []
        if annotation is not None:
            self._annotation_uses(annotation, self.scopes[scope], parent_lookup=False)
            inst = sx.instance_chain(annotation)
            if inst is not None:
                extra.append(inst)
        if left.type == "identifier" and left.text == b"__all__" and scope == 0:
            self._set_all(right, extend=False)
        self._bind_target(left, right, scope, extra)

    def _augassign(self, node: TSNode, scope: int) -> None:
        left = node.child_by_field_name("left")
        if left is not None and left.type == "identifier":
            if left.text == b"__all__" and scope == 0:
                self._set_all(node.child_by_field_name("right"), extend=True)
            self._bind(scope, sx.text(left), [])

    def _set_all(self, right: TSNode | None, extend: bool) -> None:
        names: list[str] = []
        if right is not None and right.type in ("list", "tuple"):
            for item in sx.named(right):
                content = sx.string_content(item)
                if content is None:
                    self.all_dynamic = True
                    return
                names.append(content)
        else:
            self.all_dynamic = True
            return
        if extend and self.all_literal is not None:
            self.all_literal.extend(names)
        else:
            self.all_literal = names

    def _bind_target(self, target: TSNode, right: TSNode | None, scope: int, extra: list[Value]) -> None:
        kind = target.type
        if kind == "identifier":
            vals = self._values(right, scope) if right is not None else []
            if right is not None and right.type == "identifier":
                self._flowing(scope, vals)  # an alias: f = callback; f()
            self._bind(scope, sx.text(target), vals + extra)
        elif kind in ("pattern_list", "tuple_pattern", "list_pattern", "tuple", "list"):
            parts = sx.named(target)
            rights = sx.named(right) if right is not None and right.type in _SEQUENCES else []
            splats = [i for i, p in enumerate(parts) if p.type == "list_splat_pattern"]
            if len(splats) == 1 and len(rights) >= len(parts) - 1:
                self._bind_starred(parts, splats[0], rights, scope)
                return
            paired = len(rights) == len(parts) and not splats
            for i, part in enumerate(parts):
                self._bind_target(part, rights[i] if paired else None, scope, [])
        elif kind == "subscript":
            obj = target.child_by_field_name("value")
            if obj is not None and right is not None:
                key = sx.subscript_key(target.child_by_field_name("subscript"))
                self._store(obj, key, self._values(right, scope), scope)
        elif kind == "attribute":
            obj = target.child_by_field_name("object")
            attr = target.child_by_field_name("attribute")
            owner_self = self.self_names.get(scope)
            if obj is None or attr is None or owner_self is None or obj.type != "identifier":
                return
            if sx.text(obj) != owner_self:
                return
            vals = self._flowing(scope, self._values(right, scope)) if right is not None else []
            slot = self.scopes[self.scopes[scope].parent].attrs.setdefault(sx.text(attr), [])
            slot.extend((scope, v) for v in vals + extra)
        elif kind in ("list_splat_pattern", "parenthesized_expression"):
            for part in sx.named(target):
                self._bind_target(part, None, scope, [])

    def _bind_starred(self, parts: list[TSNode], star: int, rights: list[TSNode], scope: int) -> None:
        """``a, *b, c = x, y, z, w``: a and c get one value each, b the list of the others."""
        tail = len(parts) - star - 1
        for i, part in enumerate(parts):
            if i != star:
                self._bind_target(part, rights[i if i < star else len(rights) - (len(parts) - i)], scope, [])
                continue
            middle = [sx.chain(r, self.lambdas) for r in rights[star : len(rights) - tail]]
            coll = Coll(keys=tuple(f"i:{k}" for k in range(len(middle))), values=tuple(middle))
            for name in sx.named(part):
                if name.type == "identifier":
                    self._bind(scope, sx.text(name), self._flowing(scope, [coll]))

    def _return(self, node: TSNode, scope: int) -> None:
        if self.scopes[scope].kind in (_MODULE, _CLASS):
            return
        inner = sx.named(node)
        if len(inner) == 1:
            self.scopes[scope].returns.extend(self._flowing(scope, self._values(inner[0], scope)))

    def _walrus(self, node: TSNode, scope: int) -> None:
        name = node.child_by_field_name("name")
        value = node.child_by_field_name("value")
        if name is not None and name.type == "identifier":
            self._bind(scope, sx.text(name), self._values(value, scope) if value is not None else [])

    def _global(self, node: TSNode, scope: int) -> None:
        if scope == 0:
            return
        if node.type == "global_statement":
            target = 0
        else:  # nonlocal: the nearest enclosing function scope
            target = self.scopes[scope].parent
            while target > 0 and self.scopes[target].kind == _CLASS:
                target = self.scopes[target].parent
        names = self.globals.setdefault(scope, {})
        for ident in sx.named(node):
            if ident.type == "identifier":
                names[sx.text(ident)] = target

    def _raise(self, node: TSNode, scope: int) -> None:
        """``raise C`` instantiates C: an implicit call (linked when C is a class of the graph)."""
        ref = sx.chain(node, self.lambdas)
        if ref != sx.UNKNOWN:
            self.heads[scope].add(ref[0])
            self.scopes[scope].calls.append(Call(ref, sx.line_of(node), (), {}, True))

    def _target(self, node: TSNode, scope: int) -> None:
        """A ``for`` target: a name gets the items of what it iterates (a literal's own items)."""
        loop = node.parent
        right = loop.child_by_field_name("right") if loop is not None else None
        if node.type == "identifier" and right is not None:
            if right.type in ("list", "tuple", "set"):
                items = [sx.chain(item, self.lambdas) for item in sx.named(right)]
                vals: list[Value] = [v for v in items if v[0][:1] not in "#?"]
            elif right.type in sx.CHAINABLE:
                ref = sx.chain(right, self.lambdas)
                vals = [(*ref, "[~]")] if ref[0][:1] not in "#?" else []
            else:
                vals = []
            self._bind(scope, sx.text(node), self._flowing(scope, vals))
            return
        self._bind_target(node, None, scope, [])

    def _astarget(self, node: TSNode, scope: int) -> None:
        pattern = node.parent
        vals: list[Value] = []
        if pattern is not None and pattern.parent is not None and pattern.parent.type.startswith("except"):
            kinds = sx.named(pattern)
            if kinds and kinds[0].type in ("identifier", "attribute"):
                vals.append((*sx.chain(kinds[0], self.lambdas), "()"))
        for part in sx.named(node):
            if part.type == "identifier":
                self._bind(scope, sx.text(part), vals)
            else:
                self._bind_target(part, None, scope, [])

    def _bind(self, scope: int, name: str, vals: Iterable[Value]) -> None:
        redirect = self.globals.get(scope)
        if redirect is not None and name in redirect:
            # `global x; x = f()`: bound in the module, but f is looked up where the code runs
            vals = [_evaluated_in(v, scope) for v in vals]
            scope = redirect[name]
        self.scopes[scope].bindings.setdefault(name, []).extend(vals)

    # -- after the sweep ------------------------------------------------------------------------

    def _store_items(self) -> None:
        """``d[k] = f``: the dict or list ``d`` is bound to also holds ``f`` under ``k`` (a one-item
        literal added to the binding of ``d`` seen from where the store runs; none when ``d`` is
        bound in no scope of the file)."""
        scopes = self.scopes
        for scope, name, key, refs in self.stores:
            redirect = self.globals.get(scope)
            owner = redirect[name] if redirect is not None and name in redirect else scope
            while owner >= 0 and name not in scopes[owner].bindings:
                owner = scopes[owner].parent
                while owner > 0 and scopes[owner].kind == _CLASS:
                    owner = scopes[owner].parent
            if owner < 0:
                continue
            vals = [_evaluated_in(v, scope) if owner != scope else v for v in self._flowing(scope, refs)]
            coll = Coll(keys=(key,) * len(vals), values=tuple(v for v in vals if isinstance(v, tuple)))
            scopes[owner].bindings[name].append(coll)

    def _finish(self) -> None:
        """Parameters worth argument flow: those some chain in the scope (or a nested one) starts with."""
        if self.stores:
            self._store_items()
        for index in range(len(self.scopes) - 1, 0, -1):
            scope = self.scopes[index]
            heads = self.heads[index]
            if scope.params or scope.kwonly:
                skip = self.self_names.get(index)
                scope.flow_params = [p for p in (*scope.params, *scope.kwonly) if p in heads and p != skip]
            self.heads[scope.parent] |= heads


_ADDERS = frozenset({".append", ".add", ".update"})
_ARG_SKIP = frozenset({"list_splat", "dictionary_splat", "comment"})
_SEQUENCES = frozenset({"expression_list", "tuple", "list", "pattern_list"})


def _start(node: TSNode) -> tuple[int, int]:
    """Source order, an enclosing node before the nodes it starts with (``f(x)(y)`` before ``f(x)``)."""
    return node.start_byte, -node.end_byte


def _segments(bodies: list[tuple[int, int, int]]) -> tuple[list[int], list[int]]:
    """Cut the file into segments owned by one innermost scope: (segment starts, their scopes).
    ``bodies`` are nested or disjoint (start, end, scope) byte ranges, end exclusive."""
    events: list[tuple[int, int, int, int]] = []
    for start, end, index in bodies:
        events.append((start, 1, -end, index))
        events.append((end, 0, 0, index))
    events.sort()
    owner_at: dict[int, int] = {0: 0}
    stack = [0]
    for pos, opening, _, index in events:
        if opening:
            stack.append(index)
        elif len(stack) > 1:
            stack.pop()
        owner_at[pos] = stack[-1]
    bounds = sorted(owner_at)
    return bounds, [owner_at[b] for b in bounds]


def _dotted(node: TSNode | None) -> str:
    return "".join(sx.text(node).split()) if node is not None else ""


def _evaluated_in(value: Value, scope: int) -> Value:
    """Mark a value's head name to be looked up from another scope of the file (``&scope:name``)."""
    if isinstance(value, Coll) or not value or value[0][:1] in SPECIAL_HEADS:
        return value
    return (f"&{scope}:{value[0]}", *value[1:])


def _from_parent(ref: Chain) -> Chain:
    """Mark a chain's head to be looked up from the scope's parent (defaults, annotations)."""
    head = ref[0] if ref else "?"
    if head[:1] in SPECIAL_HEADS:
        return ref
    return ("^" + head, *ref[1:])


def extract_file(path: str, source: bytes, ctx: ExtractContext) -> FileFacts:
    return _FileExtractor(path, source, ctx).run()
