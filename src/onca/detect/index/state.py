"""Module state a rule writes with ``global``, read from the module's syntax tree.

Two forms are recognised (docs/rule-index.md says why skipping a run changes nothing observable for them):

- **mock-guarded** names: past their one module-level binding, rebound only inside the body of
  ``if isinstance(NAME, Class):``, and otherwise only read (iterated, tested for membership, or tested
  by that ``isinstance``). When the module-level value is not a ``Class``, those bodies never run.
- **resettable** names: read only directly in the bodies of module-level functions (not in lambdas,
  nested functions, classes or generator expressions), in a module whose functions are undecorated,
  bound once, and only ever called by name, never handed out as values.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
# Code that keeps a reference to the names it reads, to run later.
_DEFERRED = (*_SCOPES, ast.GeneratorExp)

ReadOnlyUse = Callable[[ast.AST, str, ast.Name], bool]
_Visit = tuple[ast.AST, ast.AST, str, frozenset[str]]  # parent, child, field, names guarded around it


def guard_test(test: ast.AST) -> tuple[str, str] | None:
    """``isinstance(NAME, Class)`` as (NAME, Class), else None."""
    if (
        isinstance(test, ast.Call)
        and isinstance(test.func, ast.Name)
        and test.func.id == "isinstance"
        and len(test.args) == 2
        and not test.keywords
        and isinstance(test.args[0], ast.Name)
        and isinstance(test.args[1], ast.Name)
    ):
        return test.args[0].id, test.args[1].id
    return None


def _walk_scope(node: ast.AST, guarded: frozenset[str] = frozenset()) -> Iterator[_Visit]:
    """Every node of ``node``'s own scope (nested scopes left out), with the names whose
    ``if isinstance(NAME, Class):`` bodies enclose it."""
    for field, value in ast.iter_fields(node):
        for child in value if isinstance(value, list) else [value]:
            if not isinstance(child, ast.AST):
                continue
            yield node, child, field, guarded
            if isinstance(child, _SCOPES):
                continue
            test = guard_test(child.test) if isinstance(child, ast.If) else None
            if test is None:
                yield from _walk_scope(child, guarded)
                continue
            assert isinstance(child, ast.If)
            yield from _walk_scope(ast.Expr(child.test), guarded)
            for statement in child.body:
                yield child, statement, "body", guarded | {test[0]}
                if not isinstance(statement, _SCOPES):
                    yield from _walk_scope(statement, guarded | {test[0]})
            for statement in child.orelse:
                yield child, statement, "orelse", guarded
                if not isinstance(statement, _SCOPES):
                    yield from _walk_scope(statement, guarded)


def _scopes(tree: ast.Module) -> Iterator[ast.AST]:
    yield tree
    for node in ast.walk(tree):
        if isinstance(node, _SCOPES):
            yield node


def _binds(node: ast.AST, name: str) -> bool:
    if isinstance(node, ast.Name):
        return node.id == name and isinstance(node.ctx, ast.Store | ast.Del)
    if isinstance(node, ast.alias):
        return (node.asname or node.name.split(".")[0]) == name
    if isinstance(node, ast.ExceptHandler | ast.MatchAs | ast.MatchStar):
        return node.name == name
    if isinstance(node, ast.MatchMapping):
        return node.rest == name
    return isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and node.name == name


def mock_guarded(tree: ast.Module, read_only_use: ReadOnlyUse) -> dict[str, frozenset[str]]:
    """Per mock-guarded name, the names of the classes its guards test against."""
    classes: dict[str, set[str]] = {}
    for node in ast.walk(tree):
        test = guard_test(node.test) if isinstance(node, ast.If) else None
        if test is not None:
            classes.setdefault(test[0], set()).add(test[1])
    return {
        name: frozenset(tested)
        for name, tested in classes.items()
        if _rebound_only_when_guarded(tree, name, read_only_use)
    }


def _rebound_only_when_guarded(tree: ast.Module, name: str, read_only_use: ReadOnlyUse) -> bool:
    module_bindings = 0
    for scope in _scopes(tree):
        visits = list(_walk_scope(scope))
        declared = scope is tree or any(
            isinstance(child, ast.Global) and name in child.names for _, child, _, _ in visits
        )
        for parent, child, field, guarded in visits:
            if name in guarded:
                continue
            if declared and _binds(child, name):
                if scope is not tree:
                    return False  # a function rebinds it outside a guard
                module_bindings += 1
            elif (
                isinstance(child, ast.Name)
                and child.id == name
                and isinstance(child.ctx, ast.Load)
                and not (isinstance(parent, ast.Call) and guard_test(parent) is not None)
                and not read_only_use(parent, field, child)
            ):
                return False  # used in some other way: it may be changed in place
    return module_bindings == 1


def deferred_reads(tree: ast.Module, once: frozenset[str]) -> frozenset[str] | None:
    """The names read by code that may run later, called from anywhere (lambdas, nested functions,
    classes, generator expressions); None when the module's functions themselves may be: one is
    decorated, bound more than once, handed out as a value, or called from such code. Any other name is
    resettable: only the module's own functions read it, and only when called by name."""
    functions = {s.name: s for s in tree.body if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef)}
    if any(f.decorator_list or name not in once for name, f in functions.items()):
        return None
    deferred: set[str] = set()
    pending: list[tuple[ast.AST, bool]] = [(tree, False)]  # (node, inside code that may run later)
    while pending:
        node, later = pending.pop()
        if later and isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            deferred.add(node.id)
        top_level = isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and functions.get(node.name) is node
        inner = later or (isinstance(node, _DEFERRED) and not top_level)
        pending.extend((child, inner) for child in ast.iter_child_nodes(node))
    for parent in ast.walk(tree):
        for child in ast.iter_child_nodes(parent):
            if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Load) and child.id in functions:
                if not (isinstance(parent, ast.Call) and parent.func is child) or child.id in deferred:
                    return None
    return frozenset(deferred)
