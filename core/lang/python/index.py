"""The index name resolution reads: every file's scopes in one list, modules by name, definitions by
id and by name. Built once from all files' facts."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping
from itertools import islice

from msgspec.structs import replace

from pt_tui.core.lang.base import FileFacts
from pt_tui.core.lang.python.facts import DECODER, Import, PyFacts, Scope, Value
from pt_tui.core.model import NodeKind

CLASS = NodeKind.CLASS.value
METHOD = NodeKind.METHOD.value
FUNCTION = NodeKind.FUNCTION.value


class Index:
    """All Python files of a graph, flattened: scope ``i`` of any file is ``scopes[i]``."""

    def __init__(self, facts: Mapping[str, FileFacts]) -> None:
        self.scopes: list[Scope] = []
        self.base: list[int] = []  # per scope: the index of its file's first (module) scope
        self.file_scopes: dict[str, range] = {}
        self.imports: dict[str, list[Import]] = {}
        self.module_node: dict[str, str] = {}  # path -> module node id
        self.modules: dict[str, int] = {}  # module qualname -> its module scope
        self.scope_of: dict[str, int] = {}  # node id -> scope
        self.kind: dict[str, str] = {}  # node id -> kind
        self.globals_by_name: dict[str, list[str]] = {}  # functions and classes (not methods)
        self.methods_by_name: dict[str, dict[int, str]] = {}  # name -> class scope -> first method id
        self.root_package: str | None = None  # the root's own module when it has an __init__.py
        self.unreadable = 0
        self._by_last: dict[str, list[str]] = {}  # last component -> module qualnames
        self._found: dict[str, str | None] = {}
        for path, f in facts.items():
            self._add_file(path, f)
        self.caller: list[str] = [self._caller_of(i) for i in range(len(self.scopes))]

    def _add_file(self, path: str, f: FileFacts) -> None:
        try:
            payload = DECODER.decode(f.payload)
        except Exception:  # a payload from another version: the file keeps its nodes, no edges
            self.unreadable += 1
            return
        if not payload.scopes:
            return
        base = len(self.scopes)
        self.base.extend([base] * len(payload.scopes))
        scope_of, kinds = self.scope_of, self.kind
        for i, scope in enumerate(payload.scopes):
            if scope.parent >= 0:
                scope.parent += base
            if scope.attrs:
                scope.attrs = {k: [(j + base, v) for j, v in vs] for k, vs in scope.attrs.items()}
            node, kind = scope.node, scope.kind
            if node not in kinds:
                scope_of[node] = base + i
                kinds[node] = kind
            if kind == METHOD:  # redefinitions in one class count once (the first)
                self.methods_by_name.setdefault(scope.name, {}).setdefault(scope.parent, node)
            elif kind in (FUNCTION, CLASS):
                self.globals_by_name.setdefault(scope.name, []).append(node)
            self.scopes.append(scope)
        self.file_scopes[path] = range(base, len(self.scopes))
        self.imports[path] = payload.imports
        self.module_node[path] = payload.scopes[0].node
        if f.module not in self.modules:
            self.modules[f.module] = base
            self._by_last.setdefault(f.module.rsplit(".", 1)[-1], []).append(f.module)
        if path == "__init__.py":
            self.root_package = f.module

    def _caller_of(self, index: int) -> str:
        """The node a call in this scope is attributed to: class bodies count as the code around."""
        scope = self.scopes[index]
        while scope.kind == CLASS and scope.parent >= 0:
            scope = self.scopes[scope.parent]
        return scope.node

    def find_module(self, path: str) -> str | None:
        """The module an import path names: exactly; without the root package's name when the root
        is a package; else the one module whose name ends with ``.path`` (src layouts)."""
        memo = self._found
        if path in memo:
            return memo[path]
        found: str | None = None
        if path in self.modules:
            found = path
        elif path == "":  # a relative import of the root package itself
            found = self.root_package
        elif path != "!":
            root = self.root_package
            if root is not None and path.startswith(root + "."):
                rest = path[len(root) + 1 :]
                found = rest if rest in self.modules else None
            if found is None:
                tail = "." + path
                cands = [m for m in self._by_last.get(path.rsplit(".", 1)[-1], ()) if m.endswith(tail)]
                found = cands[0] if len(cands) == 1 else None
        memo[path] = found
        return found

    def module_scope(self, index: int) -> Scope:
        return self.scopes[self.base[index]]

    def module_id(self, module: str) -> str:
        return self.scopes[self.modules[module]].node

    # -- patching in place (incremental updates: Engine._resolve via affected.patch_resolver) -------

    #: node id -> how many scopes of the index carry it (built by the first patch, then kept).
    _node_counts: dict[str, int] | None = None
    #: Made by :meth:`copy`: its scopes are shared with the original, so patches replace them.
    _copied = False

    def copy(self) -> Index:
        """An index equal to this one that :meth:`remove_file`, :meth:`add_file` and
        :meth:`replace_file` patch without changing this one (the scopes are shared until a patch
        moves them; then they are replaced by copies)."""
        out = Index({})
        if set(vars(out)) != _INDEX_STATE:  # an attribute this copy would not know to carry
            raise TypeError(f"Index.copy() does not know {sorted(set(vars(out)) ^ _INDEX_STATE)}")
        out.scopes = list(self.scopes)
        out.base = list(self.base)
        out.caller = list(self.caller)
        out.file_scopes = dict(self.file_scopes)
        out.imports = dict(self.imports)
        out.module_node = dict(self.module_node)
        out.modules = dict(self.modules)
        out.scope_of = dict(self.scope_of)
        out.kind = dict(self.kind)
        out.globals_by_name = {k: list(v) for k, v in self.globals_by_name.items()}
        out.methods_by_name = {k: dict(v) for k, v in self.methods_by_name.items()}
        out.root_package = self.root_package
        out.unreadable = self.unreadable
        out._by_last = {k: list(v) for k, v in self._by_last.items()}
        out._node_counts = dict(self._counts())
        out._copied = True
        return out

    def remove_file(self, path: str, facts: FileFacts) -> None:
        """Take a file out as if the index had been built without it (``facts``: what it was built
        from). Later scopes move down: evaluators and memos over this index are stale after."""
        span = self.file_scopes.get(path)
        if span is None:  # no scopes, or a payload that did not decode
            if _scopes_of(facts) is None:
                self.unreadable -= 1
            return
        start, stop = span.start, span.stop
        moved = self._unregister(span, facts)
        del self.scopes[start:stop], self.base[start:stop], self.caller[start:stop]
        del self.file_scopes[path], self.imports[path], self.module_node[path]
        self._shift(start, start - stop)
        self._settle(*moved)
        if path == "__init__.py":
            self.root_package = None

    def add_file(self, path: str, facts: FileFacts) -> None:
        """Put a file in (not in the index) where a build from all files would have it: scopes in
        path order, the first holder of an id or module winning. Evaluators over it are stale after."""
        payload = _scopes_of(facts)
        if payload is None:
            self.unreadable += 1
            return
        scopes = payload.scopes
        if not scopes:
            return
        paths = list(self.file_scopes)
        at = bisect_left(paths, path)
        start = self.file_scopes[paths[at]].start if at < len(paths) else len(self.scopes)
        count = len(scopes)
        self._shift(start, count)
        self.scopes[start:start] = scopes
        self.base[start:start] = [start] * count
        self.caller[start:start] = [""] * count
        spans = list(self.file_scopes.items())
        spans.insert(at, (path, range(start, start + count)))
        self.file_scopes = dict(spans)
        self._register(path, start, payload, facts)

    def replace_file(self, path: str, old: FileFacts, new: FileFacts) -> None:
        """``remove_file(path, old)`` then ``add_file(path, new)``, moving later scopes only once
        (not at all when the file keeps its number of scopes)."""
        span = self.file_scopes.get(path)
        payload = _scopes_of(new)
        if span is None or payload is None or not payload.scopes:
            self.remove_file(path, old)
            self.add_file(path, new)
            return
        start, stop = span.start, span.stop
        scopes = payload.scopes
        count = len(scopes)
        moved = self._unregister(span, old)
        self._shift(stop, start + count - stop)
        self.scopes[start:stop] = scopes
        self.base[start:stop] = [start] * count
        self.caller[start:stop] = [""] * count
        self.file_scopes[path] = range(start, start + count)
        self._register(path, start, payload, new)
        self._settle(*moved)

    def _counts(self) -> dict[str, int]:
        counts = self._node_counts
        if counts is None:
            counts = self._node_counts = {}
            for scope in self.scopes:
                counts[scope.node] = counts.get(scope.node, 0) + 1
        return counts

    def _unregister(self, span: range, facts: FileFacts) -> tuple[list[str], str, str]:
        """Drop what names the scopes of ``span`` (still in place): ids, kinds, names, the module.
        Returns the ids another file also carries, the module and its node (for :meth:`_settle`)."""
        counts = self._counts()
        scope_of, kinds = self.scope_of, self.kind
        rehome: list[str] = []
        for i in span:
            scope = self.scopes[i]
            node = scope.node
            left = counts[node] - 1
            if left:
                counts[node] = left
            else:
                del counts[node]
            if scope_of.get(node) == i:
                del scope_of[node], kinds[node]
                if left:
                    rehome.append(node)
            if scope.kind == METHOD:
                owners = self.methods_by_name.get(scope.name)
                if owners is not None and owners.pop(scope.parent, None) is not None and not owners:
                    del self.methods_by_name[scope.name]
            elif scope.kind in (FUNCTION, CLASS):
                names = self.globals_by_name[scope.name]
                names.remove(node)
                if not names:
                    del self.globals_by_name[scope.name]
        module = facts.module
        if self.modules.get(module) == span.start:
            del self.modules[module]
        return rehome, module, self.scopes[span.start].node

    def _register(self, path: str, start: int, payload: PyFacts, facts: FileFacts) -> None:
        """Name the scopes just put at ``start`` (rebasing their indexes) as a build would."""
        scopes = payload.scopes
        for scope in scopes:
            if scope.parent >= 0:
                scope.parent += start
            if scope.attrs:
                scope.attrs = {k: [(j + start, v) for j, v in vs] for k, vs in scope.attrs.items()}
        stop = start + len(scopes)
        self.caller[start:stop] = [self._caller_of(i) for i in range(start, stop)]
        self.imports[path] = payload.imports
        self.module_node[path] = scopes[0].node
        counts = self._counts()
        scope_of, kinds = self.scope_of, self.kind
        for i, scope in enumerate(scopes, start):
            node, kind = scope.node, scope.kind
            counts[node] = counts.get(node, 0) + 1
            held = scope_of.get(node)
            if held is None or held > i:
                scope_of[node] = i
                kinds[node] = kind
            if kind == METHOD:
                self.methods_by_name.setdefault(scope.name, {}).setdefault(scope.parent, node)
            elif kind in (FUNCTION, CLASS):
                names = self.globals_by_name.setdefault(scope.name, [])
                names.insert(sum(1 for n in names if scope_of.get(n, -1) < i), node)
        module = facts.module
        held = self.modules.get(module)
        if held is None or held > start:
            self.modules[module] = start
            found = self._by_last.setdefault(module.rsplit(".", 1)[-1], [])
            if module not in found:
                found.append(module)
                found.sort(key=self.modules.__getitem__)
        if path == "__init__.py":
            self.root_package = module
        self._found.clear()

    def _settle(self, rehome: list[str], module: str, module_node: str) -> None:
        """After a file went: ids and the module it held that another file also has go to the first
        such file in path order; a module no file has left is forgotten."""
        scope_of = self.scope_of
        for node in rehome:
            if node not in scope_of:
                index = next(i for i, s in enumerate(self.scopes) if s.node == node)
                scope_of[node] = index
                self.kind[node] = self.scopes[index].kind
        if module not in self.modules:
            other = next((p for p in self.file_scopes if self.module_node[p] == module_node), None)
            if other is not None:
                self.modules[module] = self.file_scopes[other].start
            else:
                last = module.rsplit(".", 1)[-1]
                found = self._by_last.get(last)
                if found is not None and module in found:
                    found.remove(module)
                    if not found:
                        del self._by_last[last]
        self._found.clear()

    def _shift(self, start: int, by: int) -> None:
        """Add ``by`` to every scope index from ``start`` on (the scopes at their current places)."""
        if not by:
            return
        scopes = self.scopes
        method_names: set[str] = set()
        copied = self._copied  # then the scopes are shared with the index copied: never mutated
        for i in range(start, len(scopes)):
            scope = scopes[i]
            parent, attrs = scope.parent, scope.attrs
            if copied and (parent >= 0 or attrs):
                scope = scopes[i] = replace(
                    scope, parent=parent + by if parent >= 0 else parent, attrs=_moved(attrs, by)
                )
            else:
                if parent >= 0:
                    scope.parent = parent + by
                if attrs:
                    scope.attrs = _moved(attrs, by)
            if scope.kind == METHOD:
                method_names.add(scope.name)
        self.base[start:] = [b + by for b in islice(self.base, start, None)]
        self.file_scopes = {
            p: r if r.start < start else range(r.start + by, r.stop + by) for p, r in self.file_scopes.items()
        }
        self.scope_of = {k: i + by if i >= start else i for k, i in self.scope_of.items()}
        self.modules = {k: i + by if i >= start else i for k, i in self.modules.items()}
        methods = self.methods_by_name
        for name in method_names:
            owners = methods.get(name)
            if owners is not None:
                methods[name] = {k + by if k >= start else k: v for k, v in owners.items()}


def _moved(attrs: dict[str, list[tuple[int, Value]]], by: int) -> dict[str, list[tuple[int, Value]]]:
    """``Scope.attrs`` with its scope indexes moved by ``by``."""
    return {k: [(j + by, v) for j, v in vs] for k, vs in attrs.items()} if attrs else attrs


#: What a fresh Index holds (what :meth:`Index.copy` carries).
_INDEX_STATE = frozenset(
    {
        "scopes", "base", "caller", "file_scopes", "imports", "module_node", "modules", "scope_of", "kind",
        "globals_by_name", "methods_by_name", "root_package", "unreadable", "_by_last", "_found",
    }
)  # fmt: skip


def _scopes_of(facts: FileFacts) -> PyFacts | None:
    """A file's decoded payload (None: from another version, unreadable)."""
    try:
        return DECODER.decode(facts.payload)
    except Exception:
        return None
