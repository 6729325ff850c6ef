"""The index name resolution reads: every file's scopes in one list, modules by name, definitions by
id and by name. Built once from all files' facts."""

from __future__ import annotations

from collections.abc import Mapping

from pt_tui.core.lang.base import FileFacts
from pt_tui.core.lang.python.facts import DECODER, Import, Scope
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
