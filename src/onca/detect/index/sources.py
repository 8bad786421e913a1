"""The source behind loaded code: a function's syntax tree (checked against the code that actually runs)
and which module-level names are bound once and never changed."""

from __future__ import annotations

import ast
import types
import functools
from collections.abc import Mapping
from typing import Any

from onca.detect.index.state import deferred_reads, mock_guarded

# Calls that can rebind any global of a module behind the syntax tree's back.
_GLOBAL_WRITERS = frozenset({"globals", "exec", "eval", "vars", "setattr", "__import__"})


class NotReadable(Exception):
    """The index cannot read this code; the message says why."""


class ModuleNames:
    """``once``: names bound exactly once at module level and declared ``global`` nowhere.
    ``read_only``: names whose every use is a membership test (``x in NAME``) or an iteration.
    ``bound``: every name the module binds at all.
    ``opaque``: the module can rebind or read its names behind the syntax tree's back (``globals()``,
    ``setattr``, ``import *``, ...).
    ``mock_guarded``: names rebound only under ``if isinstance(NAME, Class):`` (state.py), with the
    class names tested; worked out when first asked for.
    ``deferred_reads``: names that code running later may read (state.py); None when nothing in the
    module is resettable; worked out when first asked for."""

    def __init__(
        self, tree: ast.Module, once: frozenset[str], read_only: frozenset[str], bound: frozenset[str], opaque: bool
    ) -> None:
        self._tree = tree
        self.once = once
        self._read_only = read_only
        self.bound = bound
        self.opaque = opaque

    @functools.cached_property
    def mock_guarded(self) -> Mapping[str, frozenset[str]]:
        return {} if self.opaque else mock_guarded(self._tree, _read_only_use)

    @functools.cached_property
    def deferred_reads(self) -> frozenset[str] | None:
        return None if self.opaque else deferred_reads(self._tree, self.once)

    def read_only(self, name: str) -> bool:
        """Whether the module only ever tests membership in ``name`` or iterates over it."""
        return name in self._read_only or name in self.mock_guarded

    def resettable(self, name: str) -> bool:
        """Whether only the module's own functions read ``name``, and only when called by name."""
        deferred = self.deferred_reads
        return not self.opaque and deferred is not None and name not in deferred


PARSED_FILES = 256  # files whose syntax tree and module facts are kept across index builds


@functools.lru_cache(maxsize=PARSED_FILES)
def _parsed(filename: str, text: str) -> tuple[ast.Module, types.CodeType, ModuleNames]:
    """A file's syntax tree, its compiled form and its module facts: a function of its text alone, so the
    indexes of several log types share the helper modules they all read."""
    tree = ast.parse(text, filename)
    # The whole file: how a function compiles can depend on the module around it.
    return tree, compile(tree, filename, "exec", dont_inherit=True), _module_names(tree)


class Sources:
    """Caches syntax trees and facts per file for one index build."""

    def __init__(self) -> None:
        self._files: dict[str, tuple[ast.Module, types.CodeType, ModuleNames]] = {}
        self._functions: dict[types.CodeType, ast.FunctionDef] = {}
        self.helpers: dict[Any, Any] = {}  # analysed helper functions, by the analyser
        self.data_model: Any = None  # the data model event.udm() reads, when known
        self.read_udm = False  # set when an analysis read event.udm()

    def module_names(self, filename: str) -> ModuleNames:
        return self._parse(filename)[2]

    def _parse(self, filename: str) -> tuple[ast.Module, types.CodeType, ModuleNames]:
        parsed = self._files.get(filename)
        if parsed is None:
            try:
                with open(filename, encoding="utf-8") as handle:
                    text = handle.read()
                parsed = _parsed(filename, text)
            except (OSError, SyntaxError, ValueError) as exc:
                raise NotReadable(f"cannot read {filename}: {exc}") from exc
            self._files[filename] = parsed
        return parsed

    def function_tree(self, function: Any) -> ast.FunctionDef:
        """The ``def`` of ``function``, undecorated, whose compiled form is the code that runs."""
        if not isinstance(function, types.FunctionType):  # a final class: no subclass can pose as one
            raise NotReadable(f"{function!r} is not a plain function")
        code = function.__code__
        node = self._functions.get(code)
        if node is not None:
            return node
        tree, compiled, _ = self._parse(code.co_filename)
        node = next(
            (
                n
                for n in ast.walk(tree)
                if isinstance(n, ast.FunctionDef)
                and n.name == code.co_name
                and n.lineno == code.co_firstlineno
            ),
            None,
        )
        if node is None or node.decorator_list:
            raise NotReadable(f"{function.__qualname__} is not a plain def in {code.co_filename}")
        built = _find_code(compiled, code.co_name, code.co_firstlineno)
        # The file may have changed since it was imported: only trust a tree that compiles to the loaded code.
        if built is None or not same_code(built, code):
            raise NotReadable(f"the source of {function.__qualname__} does not match its loaded code")
        self._functions[code] = node
        return node


def _find_code(code: types.CodeType, name: str, line: int) -> types.CodeType | None:
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            if const.co_name == name and const.co_firstlineno == line:
                return const
            found = _find_code(const, name, line)
            if found is not None:
                return found
    return None


def same_code(a: types.CodeType, b: types.CodeType) -> bool:
    if (a.co_code, a.co_names, a.co_varnames, a.co_freevars, a.co_cellvars, a.co_argcount) != (
        b.co_code,
        b.co_names,
        b.co_varnames,
        b.co_freevars,
        b.co_cellvars,
        b.co_argcount,
    ):
        return False
    if len(a.co_consts) != len(b.co_consts):
        return False
    for x, y in zip(a.co_consts, b.co_consts, strict=True):
        if isinstance(x, types.CodeType) and isinstance(y, types.CodeType):
            if not same_code(x, y):
                return False
        elif type(x) is not type(y) or x != y:
            return False
    return True


def _module_names(tree: ast.Module) -> ModuleNames:
    counts: dict[str, int] = {}
    declared_global: set[str] = set()
    loads: dict[str, bool] = {}  # name -> every load so far is read-only
    star = False
    writers = False

    def bind(name: str) -> None:
        counts[name] = counts.get(name, 0) + 1

    def scan_scope(node: ast.AST) -> None:
        """Bindings in module scope: everything outside function and class bodies."""
        nonlocal star
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                bind(child.name)
                continue
            if isinstance(child, ast.Lambda):
                continue
            if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store | ast.Del):
                bind(child.id)
            elif isinstance(child, ast.Import | ast.ImportFrom):
                for alias in child.names:
                    if alias.name == "*":
                        star = True
                    else:
                        bind(alias.asname or alias.name.split(".")[0])
            elif isinstance(child, ast.ExceptHandler) and child.name:
                bind(child.name)
            elif isinstance(child, ast.MatchAs | ast.MatchStar) and child.name:
                bind(child.name)
            elif isinstance(child, ast.MatchMapping) and child.rest:
                bind(child.rest)
            scan_scope(child)

    scan_scope(tree)
    for parent in ast.walk(tree):
        if isinstance(parent, ast.Global):
            declared_global.update(parent.names)
        for slot, value in ast.iter_fields(parent):
            children = value if isinstance(value, list) else [value]
            for child in children:
                if not isinstance(child, ast.Name) or not isinstance(child.ctx, ast.Load):
                    continue
                if child.id in _GLOBAL_WRITERS:
                    writers = True
                loads[child.id] = loads.get(child.id, True) and _read_only_use(parent, slot, child)
    opaque = star or writers
    once = frozenset(set() if opaque else {n for n, c in counts.items() if c == 1} - declared_global)
    read_only = frozenset(name for name in once if loads.get(name, True))
    return ModuleNames(tree, once, read_only, frozenset(counts) | declared_global, opaque)


def _read_only_use(parent: ast.AST, field: str, child: ast.Name) -> bool:
    if isinstance(parent, ast.Compare) and field == "comparators":
        index = parent.comparators.index(child)
        return isinstance(parent.ops[index], ast.In | ast.NotIn)
    return isinstance(parent, ast.For | ast.AsyncFor | ast.comprehension) and field == "iter"
