"""Small readers over tree-sitter Python nodes: reference chains, values, annotations, headers.

Each reads one small subtree (an expression, an annotation, a def header), never a whole file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from tree_sitter import Node as TSNode

from pt_tui.core.lang.python.facts import Chain, Coll, Value

#: Heads for literals of builtin types (their attributes are builtin methods).
_LITERAL_HEADS = {
    "concatenated_string": "#str",
    "integer": "#int",
    "float": "#float",
    "true": "#bool",
    "false": "#bool",
    "none": "#None",
    "list": "#list",
    "list_comprehension": "#list",
    "dictionary": "#dict",
    "dictionary_comprehension": "#dict",
    "set": "#set",
    "set_comprehension": "#set",
    "tuple": "#tuple",
    "generator_expression": "#generator",
}
CHAINABLE = frozenset({"identifier", "attribute", "call", "subscript", "lambda", "parenthesized_expression"})
_DOTTED = re.compile(r"[A-Za-z_]\w*(?:\s*\.\s*[A-Za-z_]\w*)*")
_PLAIN_DOTTED = re.compile(rb"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+")
_NOT_TYPES = frozenset({"None", "True", "False", "and", "or", "not", "in", "is", "if", "else", "lambda"})
_SIGNATURE_CAP = 240

UNKNOWN: Chain = ("?",)


def text(node: TSNode | None) -> str:
    if node is None:
        return ""
    raw = node.text
    return raw.decode("utf-8", "replace") if raw else ""


def named(node: TSNode) -> list[TSNode]:
    """Named children without comments."""
    return [c for c in node.named_children if c.type != "comment"]


def line_of(node: TSNode) -> int:
    return node.start_point[0] + 1


def string_content(node: TSNode) -> str | None:
    """The raw text between the quotes of a plain (non-interpolated) string literal."""
    if node.type != "string":
        return None
    kids = node.children
    if len(kids) < 2 or kids[0].type != "string_start" or kids[-1].type != "string_end":
        return None
    if any(k.type == "interpolation" for k in kids):
        return None
    src = node.text or b""
    start = kids[0].end_byte - node.start_byte
    end = kids[-1].start_byte - node.start_byte
    return src[start:end].decode("utf-8", "replace")


def subscript_key(node: TSNode | None) -> str:
    """``s:text`` for a string key, ``i:n`` for an integer, ``""`` for anything else."""
    if node is None:
        return ""
    if node.type == "integer":
        return "i:" + text(node)
    content = string_content(node)
    return "" if content is None else "s:" + content


def _string_head(node: TSNode) -> str:
    prefix = (node.children[0].text or b"") if node.children else b""
    return "#bytes" if b"b" in prefix.lower() else "#str"


def chain(node: TSNode, lambdas: Mapping[int, str]) -> Chain:
    """The reference chain of an expression (``?`` head when it is not a reference)."""
    kind = node.type
    if kind == "identifier":
        return (text(node),)
    if kind == "attribute":
        raw = node.text or b""
        if _PLAIN_DOTTED.fullmatch(raw):  # a.b.c, the common case: no walk needed
            parts = raw.decode("utf-8", "replace").split(".")
            return (parts[0], *["." + p for p in parts[1:]])
    steps: list[str] = []
    while True:
        kind = node.type
        if kind == "identifier":
            steps.append(text(node))
            break
        if kind == "attribute":
            obj = node.child_by_field_name("object")
            attr = node.child_by_field_name("attribute")
            if obj is None or attr is None:
                steps.append("?")
                break
            steps.append("." + text(attr))
            node = obj
        elif kind == "call":
            fn = node.child_by_field_name("function")
            if fn is None:
                steps.append("?")
                break
            if fn.type == "identifier" and fn.text == b"super":
                steps.append(_super_head(node))
                break
            steps.append("()")
            node = fn
        elif kind == "subscript":
            value = node.child_by_field_name("value")
            if value is None:
                steps.append("?")
                break
            steps.append("[" + subscript_key(node.child_by_field_name("subscript")) + "]")
            node = value
        elif kind in ("parenthesized_expression", "await"):
            inner = named(node)
            if len(inner) != 1:
                steps.append("?")
                break
            node = inner[0]
        elif kind == "lambda":
            ref = lambdas.get(node.start_byte)
            steps.append("!" + ref if ref else "?")
            break
        elif kind == "string":
            steps.append(_string_head(node))
            break
        else:
            steps.append(_LITERAL_HEADS.get(kind, "?"))
            break
    steps.reverse()
    return tuple(steps)


def _super_head(call: TSNode) -> str:
    args = call.child_by_field_name("arguments")
    first = named(args) if args is not None else []
    if first and first[0].type in ("identifier", "attribute"):
        return "<super>" + "".join(text(first[0]).split())
    return "<super>"


def arg_chain(node: TSNode, lambdas: Mapping[int, str]) -> Chain:
    """A call argument's chain, ``[]`` when it cannot name anything."""
    return chain(node, lambdas) if node.type in CHAINABLE else ()


def values(node: TSNode, lambdas: Mapping[int, str], depth: int = 0) -> list[Value]:
    """The values an expression may evaluate to (both arms of ``a if c else b`` and ``a or b``)."""
    kind = node.type
    if depth < 8:
        if kind == "conditional_expression":
            parts = named(node)
            if len(parts) >= 3:
                return values(parts[0], lambdas, depth + 1) + values(parts[2], lambdas, depth + 1)
        elif kind == "boolean_operator":
            left = node.child_by_field_name("left")
            right = node.child_by_field_name("right")
            out: list[Value] = []
            for side in (left, right):
                if side is not None:
                    out.extend(values(side, lambdas, depth + 1))
            return out
        elif kind == "parenthesized_expression":
            inner = named(node)
            if len(inner) == 1:
                return values(inner[0], lambdas, depth + 1)
        elif kind == "dictionary":
            return [_dict_literal(node, lambdas)]
        elif kind in ("list", "tuple"):
            items = named(node)
            keys = tuple(f"i:{i}" for i in range(len(items)))
            return [Coll(keys=keys, values=tuple(chain(i, lambdas) for i in items))]
    ref = chain(node, lambdas)
    return [] if ref == UNKNOWN else [ref]


def _dict_literal(node: TSNode, lambdas: Mapping[int, str]) -> Coll:
    keys: list[str] = []
    vals: list[Chain] = []
    for pair in named(node):
        if pair.type != "pair":
            continue
        key = pair.child_by_field_name("key")
        value = pair.child_by_field_name("value")
        if value is None:
            continue
        keys.append(subscript_key(key))
        vals.append(chain(value, lambdas))
    return Coll(keys=tuple(keys), values=tuple(vals))


# -- annotations ----------------------------------------------------------------------------------


def type_refs(node: TSNode, out: list[Chain]) -> None:
    """Every name an annotation mentions (``Optional[list[Foo]]`` -> Optional, list, Foo)."""
    stack = [node]
    while stack:
        cur = stack.pop()
        kind = cur.type
        if kind == "identifier":
            out.append((text(cur),))
        elif kind == "attribute" and _is_dotted(cur):
            out.append(dotted_chain(text(cur)))
        elif kind == "string":
            content = string_content(cur)
            if content is not None:
                out.extend(string_type_refs(content))
        elif kind in ("generic_type", "subscript") and _is_literal_form(cur):
            continue
        else:
            stack.extend(reversed(named(cur)))


def _is_literal_form(node: TSNode) -> bool:
    """``Literal[...]``: its strings are values, not type names."""
    head = node.named_children[0] if node.named_children else None
    return head is not None and text(head).rsplit(".", 1)[-1] == "Literal"


def _is_dotted(node: TSNode) -> bool:
    while node.type == "attribute":
        obj = node.child_by_field_name("object")
        if obj is None:
            return False
        node = obj
    return node.type == "identifier"


def dotted_chain(dotted: str) -> Chain:
    parts = [p.strip() for p in dotted.split(".")]
    return (parts[0], *["." + p for p in parts[1:]])


def string_type_refs(content: str) -> list[Chain]:
    return [dotted_chain(m) for m in _DOTTED.findall(content) if m not in _NOT_TYPES]


def instance_chain(node: TSNode | None) -> Chain | None:
    """The class an annotation says a value is an instance of (``C``, ``"C"``, ``Optional[C]``,
    ``C | None``), as a chain ending in ``()``; None when it is not that simple."""
    for _ in range(6):
        if node is None:
            return None
        kind = node.type
        if kind == "type":
            inner = named(node)
            node = inner[0] if len(inner) == 1 else None
        elif kind == "identifier" or (kind == "attribute" and _is_dotted(node)):
            return (*dotted_chain(text(node)), "()")
        elif kind == "string":
            content = string_content(node)
            if content is None or not _DOTTED.fullmatch(content.strip()) or content.strip() in _NOT_TYPES:
                return None
            return (*dotted_chain(content.strip()), "()")
        elif kind == "binary_operator":
            sides = [s for s in named(node) if s.type != "none"]
            node = sides[0] if len(sides) == 1 else None
        elif kind in ("generic_type", "subscript"):
            parts = named(node)
            if not parts or text(parts[0]).rsplit(".", 1)[-1] != "Optional":
                return None
            rest = named(parts[1]) if len(parts) == 2 and parts[1].type == "type_parameter" else parts[1:]
            node = rest[0] if len(rest) == 1 else None
        else:
            return None
    return None


# -- headers --------------------------------------------------------------------------------------


def signature(node: TSNode, body: TSNode | None, source: bytes) -> str:
    """The header of a def, class or lambda up to its colon, whitespace collapsed."""
    end = node.end_byte
    if body is not None:
        colon = body.prev_sibling
        while colon is not None and colon.type != ":":
            colon = colon.prev_sibling  # a comment after the colon
        end = colon.start_byte if colon is not None else body.start_byte
    head = source[node.start_byte : end]
    if b"#" in head:
        head = _without_comments(node, head, end)
    sig = " ".join(head.decode("utf-8", "replace").split())
    if "( " in sig or " )" in sig or ",)" in sig or "[ " in sig or " ]" in sig:
        sig = (
            sig.replace("( ", "(").replace(" )", ")").replace("[ ", "[").replace(" ]", "]").replace(",)", ")")
        )
    if len(sig) > _SIGNATURE_CAP:
        sig = sig[: _SIGNATURE_CAP - 1] + "…"
    return sig


def _without_comments(node: TSNode, head: bytes, end: int) -> bytes:
    """The header with its comment nodes cut out (rare: only when it holds a ``#``)."""
    cuts: list[tuple[int, int]] = []
    stack = [c for c in node.children if c.start_byte < end]
    while stack:
        cur = stack.pop()
        if cur.type == "comment":
            cuts.append((cur.start_byte - node.start_byte, cur.end_byte - node.start_byte))
        elif cur.start_byte < end:
            stack.extend(cur.children)
    for start, stop in sorted(cuts, reverse=True):
        head = head[:start] + head[stop:]
    return head


def docstring(body: TSNode | None) -> str:
    """The first non-empty line of the docstring opening a block (or a module)."""
    if body is None:
        return ""
    count = body.named_child_count
    i = 0
    first = body.named_child(0) if count else None
    while first is not None and first.type == "comment":
        i += 1
        first = body.named_child(i) if i < count else None
    if first is None or first.type != "expression_statement" or not first.named_child_count:
        return ""
    expr = first.named_child(0)
    if expr is None or expr.type not in ("string", "concatenated_string"):
        return ""
    if expr.type == "concatenated_string":
        expr = expr.named_children[0] if expr.named_children else expr
    content = string_content(expr) if expr.type == "string" else None
    if content is None:
        return ""
    for line in content.splitlines():
        stripped = line.strip()
        if stripped:
            return stripped
    return ""
