"""Value types of verb arguments and options: each converts a token's text or says why not."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

from pt_tui.core.model import NodeKind
from pt_tui.core.query.syntax import Value


class ValueType:
    """Base of argument types. ``convert`` raises ``ValueError`` with a user-facing message."""

    name = "text"

    def convert(self, text: str) -> Value:
        return text

    def choices(self) -> Sequence[str]:
        """Fixed values to complete and suggest (empty when free-form)."""
        return ()


class Text(ValueType):
    name = "text"


class Entity(ValueType):
    """A qualified or short entity name, looked up in the graph when the query runs."""

    name = "entity"


class FilePath(ValueType):
    name = "path"


@dataclass(frozen=True)
class Integer(ValueType):
    minimum: int | None = None
    maximum: int | None = None
    name = "int"

    def convert(self, text: str) -> Value:
        try:
            value = int(text, 10)
        except ValueError:
            raise ValueError(f"expected an integer, got {text!r}") from None
        if self.minimum is not None and value < self.minimum:
            raise ValueError(f"must be at least {self.minimum}, got {value}")
        if self.maximum is not None and value > self.maximum:
            raise ValueError(f"must be at most {self.maximum}, got {value}")
        return value


@dataclass(frozen=True)
class Choice(ValueType):
    options: tuple[str, ...]
    name = "choice"

    def convert(self, text: str) -> Value:
        if text in self.options:
            return text
        raise ValueError(
            f"expected one of {', '.join(self.options)}; got {text!r}{_hint(text, self.options)}"
        )

    def choices(self) -> Sequence[str]:
        return self.options


class Kinds(ValueType):
    """One node kind or a comma-separated list of them (``function,method``)."""

    name = "kind"
    _all = tuple(k.value for k in NodeKind)

    def convert(self, text: str) -> Value:
        kinds: list[str] = []
        for part in text.split(","):
            word = part.strip().lower()
            if word not in self._all:
                raise ValueError(f"unknown kind {part.strip()!r}{_hint(word, self._all)}")
            if word not in kinds:
                kinds.append(word)
        return tuple(kinds)

    def choices(self) -> Sequence[str]:
        return self._all


def _hint(word: str, options: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
