"""Small-subtree readers: paths, types, labels, docs and signatures from tree-sitter Rust nodes.

Each function looks at one item header, one type or one expression, never at a whole file.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from typing import TypeVar

import tree_sitter_rust
from tree_sitter import Language as TSLanguage
from tree_sitter import Node as TSNode

from pt_tui.core.lang.rust.facts import (
    Path,
    TBounds,
    TCall,
    TExpr,
    TField,
    TMethod,
    TPath,
    TSelf,
    TUnwrap,
    TValue,
    TypeRef,
)
from pt_tui.core.model import Visibility

#: Smart pointers a method call sees through (auto-deref): ``Box<Foo>`` receives ``Foo``'s methods.
DEREF_WRAPPERS = frozenset({"Box", "Rc", "Arc", "Pin"})
SIGNATURE_CAP = 240
_EXPR_DEPTH = 8

_K = TypeVar("_K")
_V = TypeVar("_V")

Generics = Mapping[str, tuple[TypeRef, ...]]  # type parameter -> its trait bounds
Lookup = Callable[[str], "tuple[bool, TExpr | None]"]  # whether a name is a local variable; its type


_SIMPLE_PATHS = frozenset({"identifier", "type_identifier", "scoped_identifier", "scoped_type_identifier"})
_PATH_CHARS = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_:"

#: Per-process memos of what only depends on a node's kind and text (the same few thousand paths and
#: types are read again and again): cleared when full. Nodes with parse errors are not memoised.
_MEMO_CAP = 1 << 16
_PATHS: dict[bytes, Path] = {}
_TYPE_PATHS: dict[tuple[int, bytes], tuple[tuple[Path, int], ...]] = {}
_TYPE_REFS: dict[tuple[int, bytes], TypeRef | None] = {}
_TYPE_SHAPES: dict[tuple[int, bytes], TypeRef | TBounds | None] = {}


def _remember(memo: dict[_K, _V], key: _K, value: _V) -> None:
    if len(memo) >= _MEMO_CAP:
        memo.clear()
    memo[key] = value


@cache
def tree_sitter_rust_language() -> TSLanguage:
    return TSLanguage(tree_sitter_rust.language())


def text(node: TSNode) -> str:
    raw = node.text
    return raw.decode("utf-8", "replace") if raw is not None else ""


def collapse(s: str, cap: int = SIGNATURE_CAP) -> str:
    out = " ".join(s.split())
    return out if len(out) <= cap else out[: cap - 1] + "…"


# -- paths ------------------------------------------------------------------------------------


def path_of(node: TSNode | None) -> Path | None:
    """The segments of a path expression or path type, generic arguments stripped."""
    if node is None:
        return None
    t = node.type
    if t in _SIMPLE_PATHS:
        raw = node.text or b""
        known = _PATHS.get(raw)
        if known is not None:
            return known
        if not raw.strip(_PATH_CHARS):  # the common case, read at once: ``a::b::C``
            parts = raw.decode().split("::")
            path = tuple(parts) if parts[0] else ("::", *parts[1:])
            _remember(_PATHS, raw, path)
            return path
    if t in ("identifier", "type_identifier", "self", "super", "crate", "metavariable", "field_identifier"):
        return (text(node),)
    if t in ("scoped_identifier", "scoped_type_identifier"):
        name = node.child_by_field_name("name")
        if name is None:
            return None
        prefix_node = node.child_by_field_name("path")
        if prefix_node is None:  # ``::std::io``: a global path
            return ("::", text(name))
        prefix = path_of(prefix_node)
        return None if prefix is None else (*prefix, text(name))
    if t == "generic_type":
        return path_of(node.child_by_field_name("type"))
    if t == "generic_function":
        return path_of(node.child_by_field_name("function"))
    if t == "bracketed_type":  # ``<T as Trait>::f`` names Trait's f; ``<Foo>::f`` Foo's f
        inner = node.named_children[0] if node.named_child_count else None
        if inner is not None and inner.type == "qualified_type":
            return path_of(inner.child_by_field_name("alias"))
        return path_of(inner)
    return None


def qualified_self(fn: TSNode, generics: Generics) -> TExpr | None:
    """The type ``X`` of a qualified path call ``<X as Trait>::f(..)`` (its path names Trait's f)."""
    prefix = fn.child_by_field_name("path") if fn.type == "scoped_identifier" else None
    inner = prefix.named_children[0] if prefix is not None and prefix.type == "bracketed_type" else None
    if inner is None or inner.type != "qualified_type":
        return None
    return type_expr(inner.child_by_field_name("type"), generics)


def type_paths(node: TSNode | None, out: list[tuple[Path, int]]) -> None:
    """Every type path named inside a type (``Vec<a::Foo>`` gives ``Vec`` and ``a::Foo``), with lines."""
    if node is None:
        return
    key = (node.kind_id, node.text or b"")
    known = _TYPE_PATHS.get(key)
    row = node.start_point[0]
    if known is None:
        found: list[tuple[Path, int]] = []
        _type_paths(node, found)
        known = tuple((path, line - row) for path, line in found)
        if not node.has_error:
            _remember(_TYPE_PATHS, key, known)
    out.extend((path, row + delta) for path, delta in known)


def _type_paths(node: TSNode, out: list[tuple[Path, int]]) -> None:
    stack = [node]
    while stack:
        n = stack.pop()
        t = n.type
        if t in ("type_identifier", "scoped_type_identifier"):
            path = path_of(n)
            if path is not None:
                out.append((path, n.start_point[0] + 1))
            continue
        if t == "generic_type":
            path = path_of(n.child_by_field_name("type"))
            if path is not None:
                out.append((path, n.start_point[0] + 1))
            args = n.child_by_field_name("type_arguments")
            if args is not None:
                stack.extend(reversed(args.named_children))
            continue
        if t == "type_binding":  # ``Item = Foo``: the name is not a type
            bound = n.child_by_field_name("type")
            if bound is not None:
                stack.append(bound)
            continue
        if t in ("primitive_type", "lifetime", "identifier", "string_literal", "integer_literal", "block"):
            continue
        if t == "function_type":
            trait = n.child_by_field_name("trait")
            if trait is not None and trait.type != "type_identifier":
                stack.append(trait)
            elif trait is not None:
                out.append(((text(trait),), n.start_point[0] + 1))
            for field in ("parameters", "return_type"):
                child = n.child_by_field_name(field)
                if child is not None:
                    stack.append(child)
            continue
        stack.extend(reversed(n.named_children))


def _peel(node: TSNode | None) -> TSNode | None:
    """The type under references, raw pointers and smart pointers (``&mut Box<Foo>`` -> ``Foo``);
    None past ``_EXPR_DEPTH`` layers."""
    for _ in range(_EXPR_DEPTH):
        if node is None:
            return None
        t = node.type
        if t in ("reference_type", "pointer_type"):
            node = node.child_by_field_name("type")
            continue
        if t == "generic_type":
            path = path_of(node.child_by_field_name("type"))
            args = node.child_by_field_name("type_arguments")
            if (
                path is not None
                and path[-1] in DEREF_WRAPPERS
                and args is not None
                and args.named_child_count
            ):
                node = args.named_children[0]
                continue
        return node
    return None


def type_ref(node: TSNode | None) -> TypeRef | None:
    """A written type reduced for name resolution: references and smart pointers are seen through."""
    if node is None:
        return None
    key = (node.kind_id, node.text or b"")
    if key in _TYPE_REFS:
        return _TYPE_REFS[key]
    ref = _type_ref(node)
    if not node.has_error:
        _remember(_TYPE_REFS, key, ref)
    return ref


def _type_ref(node: TSNode | None) -> TypeRef | None:
    node = _peel(node)
    if node is None:
        return None
    t = node.type
    if t == "generic_type":
        path = path_of(node.child_by_field_name("type"))
        if path is None:
            return None
        args_node = node.child_by_field_name("type_arguments")
        arg_nodes = args_node.named_children if args_node is not None else []
        args = tuple(a for a in (type_ref(x) for x in arg_nodes if x.type != "lifetime") if a is not None)
        return TypeRef(path, args)
    if t in ("type_identifier", "scoped_type_identifier"):
        path = path_of(node)
        return None if path is None else TypeRef(path)
    return None


def type_expr(node: TSNode | None, generics: Generics) -> TExpr | None:
    """The type of a value declared with this type: a path, or bounds for ``dyn``/``impl``/``T: Tr``."""
    if node is None:
        return None
    key = (node.kind_id, node.text or b"")
    if key in _TYPE_SHAPES:
        shape = _TYPE_SHAPES[key]
    else:
        shape = _type_shape(node)
        if not node.has_error:
            _remember(_TYPE_SHAPES, key, shape)
    if not isinstance(shape, TypeRef):
        return shape
    if len(shape.path) == 1 and shape.path[0] in generics:
        bounds = generics[shape.path[0]]
        return TBounds(bounds) if bounds else None
    return TPath(shape)


def _type_shape(node: TSNode | None) -> TypeRef | TBounds | None:
    """What :func:`type_expr` reads from the type itself: bounds, or a path (maybe a type parameter)."""
    node = _peel(node)
    if node is None:
        return None
    t = node.type
    if t in ("dynamic_type", "abstract_type"):
        bounds = _bound_refs(node.child_by_field_name("trait"))
        return TBounds(bounds) if bounds else None
    if t == "bounded_type":
        bounds = tuple(b for c in node.named_children for b in _bound_refs(c))
        return TBounds(bounds) if bounds else None
    return type_ref(node)


def _bound_refs(node: TSNode | None) -> tuple[TypeRef, ...]:
    """The traits of a bound list (``Tr + Send + 'a``), lifetimes dropped."""
    if node is None:
        return ()
    if node.type in ("trait_bounds", "bounded_type"):
        return tuple(b for c in node.named_children for b in _bound_refs(c))
    if node.type == "dynamic_type" or node.type == "abstract_type":
        return _bound_refs(node.child_by_field_name("trait"))
    if node.type == "higher_ranked_trait_bound":
        return _bound_refs(node.child_by_field_name("type"))
    ref = type_ref(node)
    return (ref,) if ref is not None else ()


def generics(item: TSNode, outer: Generics) -> tuple[Generics, list[TSNode]]:
    """The type parameters in scope in an item (the outer ones plus its own, with their trait
    bounds), and the item's bound nodes (``T: Tr``, ``where X: Tr``) for USES."""
    tps = item.child_by_field_name("type_parameters")
    body = item.child_by_field_name("body")
    where = body.prev_named_sibling if body is not None else item.named_child(item.named_child_count - 1)
    if tps is None and (where is None or where.type != "where_clause"):
        return outer, []
    params = dict(outer)
    bound_nodes: list[TSNode] = []
    for tp in tps.named_children if tps is not None else ():
        if tp.type not in ("type_parameter", "constrained_type_parameter", "optional_type_parameter"):
            continue
        name = tp.child_by_field_name("name") or tp.child_by_field_name("left")
        bounds = tp.child_by_field_name("bounds")
        if name is not None:
            params[text(name)] = _bound_refs(bounds)
        if bounds is not None:
            bound_nodes.append(bounds)
    if where is not None and where.type == "where_clause":
        for pred in where.named_children:
            left, bounds = pred.child_by_field_name("left"), pred.child_by_field_name("bounds")
            if bounds is None:
                continue
            bound_nodes.append(bounds)
            bounded = text(left) if left is not None and left.type == "type_identifier" else ""
            if bounded in params:
                params[bounded] = params[bounded] + _bound_refs(bounds)
    return params, bound_nodes


# -- expressions --------------------------------------------------------------------------------


def expr_type(node: TSNode | None, lookup: Lookup) -> TExpr | None:
    """What extraction can tell of an expression's type, for method calls on it."""
    return _expr_type(node, lookup, _EXPR_DEPTH)


def _expr_type(node: TSNode | None, lookup: Lookup, depth: int) -> TExpr | None:
    if node is None or depth <= 0:
        return None
    t = node.type
    if t == "self":
        return TSelf()
    if t == "identifier":
        var = text(node)
        local, found = lookup(var)
        return found if local else TValue((var,)) if var[:1].isupper() else None
    if t == "scoped_identifier":  # ``E::B``, ``Self::B``, ``m::UNIT``: a value path (not ``m::var``)
        path = path_of(node)
        return TValue(path) if path is not None and path[-1][:1].isupper() else None
    if t == "field_expression":
        inner = _expr_type(node.child_by_field_name("value"), lookup, depth - 1)
        field = node.child_by_field_name("field")
        return TField(inner, text(field)) if inner is not None and field is not None else None
    if t == "call_expression":
        fn = node.child_by_field_name("function")
        if fn is not None and fn.type == "generic_function":
            fn = fn.child_by_field_name("function")
        if fn is None:
            return None
        if fn.type == "field_expression":
            recv = _expr_type(fn.child_by_field_name("value"), lookup, depth - 1)
            name = fn.child_by_field_name("field")
            return TMethod(recv, text(name)) if recv is not None and name is not None else None
        path = path_of(fn)
        if path is None or (fn.type == "identifier" and lookup(path[0])[0]):
            return None  # not a path call, or a call of a local closure
        return TCall(path)
    if t == "try_expression":
        inner = _expr_type(node.named_children[0] if node.named_child_count else None, lookup, depth - 1)
        return TUnwrap(inner) if inner is not None else None
    if t in ("reference_expression", "parenthesized_expression", "unary_expression", "await_expression"):
        value = node.child_by_field_name("value")
        if value is None and node.named_child_count:
            value = node.named_children[-1]
        return _expr_type(value, lookup, depth - 1)
    if t == "struct_expression":
        path = path_of(node.child_by_field_name("name"))
        return TPath(TypeRef(path)) if path is not None else None
    return None


# -- item headers --------------------------------------------------------------------------------


def visibility(item: TSNode) -> Visibility:
    """``pub`` -> public, ``pub(crate)`` -> crate, ``pub(super)`` / ``pub(in p)`` -> restricted."""
    for child in item.children:
        if child.type == "visibility_modifier":
            inner = child.named_children[0] if child.named_child_count else None
            if inner is None:
                return Visibility.PUBLIC
            if inner.type == "crate":
                return Visibility.CRATE
            if inner.type == "self":
                return Visibility.PRIVATE
            return Visibility.RESTRICTED
        if child.is_named and child.type not in ("attribute_item", "line_comment", "block_comment"):
            break
    return Visibility.PRIVATE


def outer_doc(item: TSNode) -> str:
    """The first line of the ``///`` comments or ``#[doc = "..."]`` attributes above an item."""
    above: list[TSNode] = []
    sib = item.prev_sibling
    prefix = _item_prefix_ids()
    while sib is not None and sib.kind_id in prefix:  # ids, not names: long doc blocks are walked often
        above.append(sib)
        sib = sib.prev_sibling
    for node in reversed(above):  # the topmost doc line first; decode no more than needed
        line = _doc_line(node, outer=True)
        if line:
            return line
    return ""


@cache
def _item_prefix_ids() -> frozenset[int]:
    lang = tree_sitter_rust_language()
    ids = (lang.id_for_node_kind(kind, True) for kind in _ITEM_PREFIX)
    return frozenset(i for i in ids if i is not None)


def inner_doc(first_children: list[TSNode]) -> str:
    """The first line of the leading ``//!`` comments among a module's (or body's) first children."""
    for child in first_children:
        if child.type not in _MODULE_PREFIX:
            break
        line = _doc_line(child, outer=False)
        if line:
            return line
    return ""


_ITEM_PREFIX = frozenset({"line_comment", "block_comment", "attribute_item"})
_MODULE_PREFIX = frozenset({"line_comment", "block_comment", "attribute_item", "inner_attribute_item"})


def _doc_line(node: TSNode, *, outer: bool) -> str | None:
    """The first non-empty line of a doc comment or ``doc`` attribute, None if not a doc."""
    raw = node.text or b""
    if node.type in ("attribute_item", "inner_attribute_item"):
        if (node.type == "attribute_item") != outer or b"doc" not in raw[:8]:
            return None
        attr = node.named_children[0] if node.named_child_count else None
        if attr is None or attr.named_child_count < 2 or text(attr.named_children[0]) != "doc":
            return None
        value = attr.named_children[-1]
        return _first_line(text(value).strip('"')) if value.type == "string_literal" else None
    marker = raw[:3]
    if outer:
        is_doc = marker in (b"///", b"/**") and raw[:4] not in (b"////", b"/***") and raw != b"/**/"
    else:
        is_doc = marker in (b"//!", b"/*!")
    if not is_doc:
        return None
    body = raw[3:].decode("utf-8", "replace")
    if marker[1:2] == b"*":
        body = body.removesuffix("*/")
    return _first_line(body)


def _first_line(raw: str) -> str:
    for line in raw.splitlines():
        line = line.strip().lstrip("*").strip()
        if line:
            return line
    return ""


def signature(item: TSNode, source: bytes) -> str:
    """The item header up to its body (``{``), value (``=``) or end (``;``), whitespace collapsed."""
    cut = item.end_byte
    t = item.type
    if t == "macro_definition":
        name = item.child_by_field_name("name")
        cut = name.end_byte if name is not None else cut
    elif t in ("const_item", "static_item"):
        value = item.child_by_field_name("value")
        cut = value.start_byte if value is not None else cut
    elif t not in ("type_item",):
        body = item.child_by_field_name("body")
        if body is not None and body.type != "ordered_field_declaration_list":
            cut = body.start_byte
    head = source[item.start_byte : cut].decode("utf-8", "replace").rstrip()
    head = head.rstrip(";").rstrip().removesuffix("=").rstrip()
    return collapse(head)


def type_label(node: TSNode | None) -> str:
    """A type as it appears in an impl's qualified name: generic arguments stripped."""
    if node is None:
        return "?"
    t = node.type
    if t == "generic_type":
        return type_label(node.child_by_field_name("type"))
    if t == "scoped_type_identifier":
        path = path_of(node)
        return "::".join(path) if path is not None else collapse(text(node))
    if t == "reference_type":
        mut = any(c.type == "mutable_specifier" for c in node.children)
        return "&" + ("mut " if mut else "") + type_label(node.child_by_field_name("type"))
    return collapse(text(node))


# -- use trees, attributes, errors -----------------------------------------------------------------


def use_leaves(node: TSNode, prefix: Path = ()) -> list[tuple[Path, str]]:
    """Flatten a use tree: ``a::{b, c::{d as e}, f::*}`` -> (a::b, b), (a::c::d, e), (a::f, "")."""
    t = node.type
    if t == "use_as_clause":
        path = path_of(node.child_by_field_name("path"))
        alias = node.child_by_field_name("alias")
        if path is None or alias is None:
            return []
        full = (*prefix, *path)
        if full[-1] == "self":
            full = full[:-1]
        return [(full, text(alias))] if full else []
    if t == "use_wildcard":
        inner = node.named_children[0] if node.named_child_count else None
        path = path_of(inner) if inner is not None else ()
        if path is None or not (prefix or path):
            return []  # ``use *;`` (malformed) names nothing
        return [((*prefix, *path), "")]
    if t == "scoped_use_list":
        path_node = node.child_by_field_name("path")
        path = path_of(path_node) if path_node is not None else ()
        listing = node.child_by_field_name("list")
        if path is None or listing is None:
            return []
        return use_leaves(listing, (*prefix, *path))
    if t == "use_list":
        return [leaf for child in node.named_children for leaf in use_leaves(child, prefix)]
    path = path_of(node)
    if path is None:
        return []
    full = (*prefix, *path)
    if full[-1] == "self":  # ``use a::{self}`` binds ``a``
        full = full[:-1]
    if not full or full[-1] in ("crate", "super", "::"):
        return []
    return [(full, full[-1])]


def path_attribute(item: TSNode) -> str:
    """The file of ``#[path = "file"]`` above an item, or ""."""
    sib = item.prev_sibling
    while sib is not None and sib.type in ("attribute_item", "line_comment", "block_comment"):
        attr = sib.named_children[0] if sib.type == "attribute_item" and sib.named_child_count else None
        if attr is not None and attr.named_child_count >= 2 and text(attr.named_children[0]) == "path":
            value = attr.named_children[-1]
            if value.type == "string_literal":
                return text(value)[1:-1]
        sib = sib.prev_sibling
    return ""


def has_attribute(item: TSNode, name: bytes) -> bool:
    sib = item.prev_sibling
    while sib is not None and sib.type in ("attribute_item", "line_comment", "block_comment"):
        if sib.type == "attribute_item" and sib.text is not None and name in sib.text:
            return True
        sib = sib.prev_sibling
    return False
