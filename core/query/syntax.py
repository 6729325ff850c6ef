"""The typed query AST: a pipeline of stages, each a verb with converted arguments and options.

Columns are kept for error messages but take no part in equality, so a query and its rendering
parse to equal pipelines.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: A converted argument or option value: entity names, paths and words stay strings.
Value = str | int | tuple[str, ...]


@dataclass(frozen=True)
class Arg:
    """One bound argument or option: the parameter's name and its converted value."""

    name: str
    value: Value
    text: str = field(compare=False)  # the value as written (unescaped)
    column: int = field(compare=False, default=0)


@dataclass(frozen=True)
class Stage:
    verb: str
    args: tuple[Arg, ...] = ()
    options: tuple[Arg, ...] = ()
    fed: str | None = None  # the parameter taken from the previous stage's result
    column: int = field(compare=False, default=0)
    end_column: int = field(compare=False, default=0)

    def arg(self, name: str) -> Arg | None:
        for a in self.args:
            if a.name == name:
                return a
        for a in self.options:
            if a.name == name:
                return a
        return None

    def render(self) -> str:
        parts = [self.verb]
        parts.extend(quote(a.text) for a in self.args)
        for opt in self.options:
            parts.append(f"--{opt.name}")
            parts.append(quote(opt.text))
        return " ".join(parts)


@dataclass(frozen=True)
class Pipeline:
    stages: tuple[Stage, ...]

    def render(self) -> str:
        """Canonical text of the pipeline; parsing it gives an equal pipeline."""
        return " | ".join(stage.render() for stage in self.stages)


def quote(text: str) -> str:
    """``text`` as a token: bare when the lexer reads it back unchanged, else double-quoted."""
    if text and not text.startswith(("--", '"', "'")) and not any(_special(ch) for ch in text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _special(ch: str) -> bool:
    return ch.isspace() or ch in "|<>"
