"""Find the entity (or file) a query names.

Order: exact qualname, exact short name, qualname suffix at a separator (``Class.method``,
``Type::m``); each case-sensitive first, then case-insensitive. The first step with any match
decides: one match is the answer, several are an :class:`AmbiguousEntity` error listing them.
"""

from __future__ import annotations

import difflib

from pt_tui.core.model import Node
from pt_tui.core.query.errors import AmbiguousEntity, EntityNotFound, QueryError
from pt_tui.core.query.fuzzy import close_names, similarity
from pt_tui.core.query.indexes import QueryIndex, has_separator


def candidates(index: QueryIndex, name: str) -> list[Node]:
    """The entities of the first lookup step that matches ``name`` (empty when none does)."""
    isg = index.isg
    found = isg.by_qualname(name) or isg.by_name(name)
    if found:
        return found
    ids = index.by_suffix(name)
    if ids:
        return index.nodes_by_ids(ids)
    folded = name.casefold()
    ids = (
        index.folded_qualnames.get(folded)
        or index.folded_names.get(folded)
        or index.by_suffix(name, folded=True)
    )
    return index.nodes_by_ids(ids or ())


def find_entity(index: QueryIndex, name: str, column: int) -> Node:
    """The one entity ``name`` denotes. Raises :class:`EntityNotFound` or :class:`AmbiguousEntity`."""
    found = candidates(index, name)
    if len(found) == 1:
        return found[0]
    if found:
        raise AmbiguousEntity(name, column, sorted(found, key=lambda n: (n.qualname, n.file, n.line)))
    raise EntityNotFound(name, column, suggest(index, name))


def suggest(index: QueryIndex, name: str, n: int = 5) -> list[str]:
    """Close names for an unknown entity; qualnames when ``name`` was qualified."""
    if not has_separator(name):
        return close_names(index, name, n)
    last = name.rsplit("::", 1)[-1].rsplit(".", 1)[-1]
    nodes = [node for short in close_names(index, last, n * 2) for node in index.isg.by_name(short)]
    ranked = sorted({node.qualname for node in nodes}, key=lambda q: (-similarity(name, q), q))
    return ranked[:n]


def find_file(index: QueryIndex, path: str, column: int) -> str:
    """The indexed file ``path`` names: exact, or a unique suffix at a ``/`` boundary, or the file
    of an entity of that name."""
    files = index.isg.files
    wanted = path.replace("\\", "/").removeprefix("./")
    if wanted in files:
        return wanted
    matches = sorted(f for f in files if f.endswith("/" + wanted))
    if len(matches) == 1:
        return matches[0]
    if matches:
        listed = ", ".join(matches[:10]) + (f" and {len(matches) - 10} more" if len(matches) > 10 else "")
        raise QueryError(f"{path!r} matches {len(matches)} files: {listed}", column)
    entity = candidates(index, path)
    if len(entity) == 1:
        return entity[0].file
    close = difflib.get_close_matches(wanted, list(files), n=3, cutoff=0.5)
    hint = f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""
    raise QueryError(f"no indexed file {path!r}{hint}", column)
