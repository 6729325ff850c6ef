"""Split a query into tokens: words, quoted strings, ``--options`` and ``|``.

A bare word runs to the next whitespace or ``|``, except inside balanced angle brackets, so Rust
names such as ``<Foo as Display>::fmt`` need no quotes (an unbalanced ``<`` is an ordinary
character). Quotes open a string only at the start of a token; inside one, backslash escapes
``\\``, ``\"``, ``\'``, ``\n`` and ``\t`` (any other backslash is kept as is).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from pt_tui.core.query.errors import QueryError

_ESCAPES = {"\\": "\\", '"': '"', "'": "'", "n": "\n", "t": "\t"}


class TokenKind(Enum):
    WORD = "word"
    STRING = "string"
    OPTION = "option"  # --name; ``value`` is the name, or name and inline value for --name=value
    PIPE = "pipe"


@dataclass(frozen=True)
class Token:
    kind: TokenKind
    text: str  # the word, the unescaped string, or the option name (without dashes)
    column: int  # 1-based column of the token's first character
    end: int  # 1-based column just after the token
    value: str | None = None  # the inline value of --name=value
    value_column: int = 0


def tokenize(query: str) -> list[Token]:
    """The tokens of ``query``. Raises :class:`QueryError` on an unterminated quote."""
    tokens: list[Token] = []
    i, n = 0, len(query)
    while i < n:
        ch = query[i]
        if ch.isspace():
            i += 1
        elif ch == "|":
            tokens.append(Token(TokenKind.PIPE, "|", i + 1, i + 2))
            i += 1
        elif ch in "\"'":
            text, i_next = _string(query, i)
            tokens.append(Token(TokenKind.STRING, text, i + 1, i_next + 1))
            i = i_next
        else:
            end = _word_end(query, i)
            word = query[i:end]
            if word.startswith("--"):
                tokens.append(_option(word, i + 1))
            else:
                tokens.append(Token(TokenKind.WORD, word, i + 1, end + 1))
            i = end
    return tokens


def _string(query: str, start: int) -> tuple[str, int]:
    quote = query[start]
    out: list[str] = []
    i = start + 1
    while i < len(query):
        ch = query[i]
        if ch == quote:
            return "".join(out), i + 1
        if ch == "\\" and i + 1 < len(query):
            nxt = query[i + 1]
            out.append(_ESCAPES.get(nxt, "\\" + nxt))
            i += 2
            continue
        out.append(ch)
        i += 1
    raise QueryError(f"unterminated string: missing closing {quote}", start + 1)


def _word_end(query: str, start: int) -> int:
    i, n = start, len(query)
    while i < n:
        ch = query[i]
        if ch.isspace() or ch == "|":
            break
        if ch == "<":
            close = _angle_close(query, i)
            if close > 0:
                i = close + 1
                continue
        i += 1
    return i


def _angle_close(query: str, start: int) -> int:
    """The index of the ``>`` balancing the ``<`` at ``start``, or -1."""
    depth = 0
    for i in range(start, len(query)):
        ch = query[i]
        if ch == "<":
            depth += 1
        elif ch == ">":
            depth -= 1
            if depth == 0:
                return i
    return -1


def _option(word: str, column: int) -> Token:
    body = word[2:]
    name, eq, value = body.partition("=")
    if not name:
        raise QueryError(f"empty option name in {word!r}", column)
    end = column + len(word)
    if eq:
        return Token(TokenKind.OPTION, name, column, end, value, column + 2 + len(name) + 1)
    return Token(TokenKind.OPTION, name, column, end)
