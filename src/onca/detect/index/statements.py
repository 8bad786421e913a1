"""Statements beyond ``if``/``return``/assignment that a function body is followed through.

- ``for NAME in <iterable>:`` is followed on the path where the loop runs no iteration (then its
  ``else`` and what comes after): the iterable is a constant collection, or an event value (or its
  ``keys()``/``values()``/``items()``) that is missing or null with an empty default. Any iteration ends
  what is known.
- ``try: f(value)`` ``except E: ...`` where ``f`` is a standard-library function whose exceptions (all
  caught by ``E``) are known for every value an event holds (library.py): both the handler and the path
  past the ``try`` are followed.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from onca.detect.index.calls import library_call
from onca.detect.index.facts import ANY_PREFIX, Facts, SomeText, Term, branches, unknown_facts
from onca.detect.index.formula import NEVER, Atom, Formula, Unknown, any_of
from onca.detect.index.library import ACCEPTS, RAISES

if TYPE_CHECKING:
    from onca.detect.index.functions import _FunctionAnalysis

Env = dict[str, Term]
_NESTED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_VIEWS = ("keys", "values", "items")


def own_scope(function: ast.FunctionDef) -> Iterator[ast.AST]:
    """The nodes of a function's body, nested functions, lambdas and classes left out."""
    pending: list[ast.AST] = list(function.body)
    while pending:
        node = pending.pop()
        yield node
        pending.extend(child for child in ast.iter_child_nodes(node) if not isinstance(child, _NESTED))


def fresh_constant(node: ast.AST) -> bool:
    """A constant, or a display of constants (a new tuple, list, set or dict each time): evaluating it
    reads nothing, changes nothing and cannot raise."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Tuple | ast.List):
        return all(fresh_constant(element) for element in node.elts)
    if isinstance(node, ast.Set):
        return all(isinstance(element, ast.Constant) for element in node.elts)
    if isinstance(node, ast.Dict):
        return all(isinstance(key, ast.Constant) for key in node.keys) and all(
            fresh_constant(value) for value in node.values
        )
    return False


def for_loop(analysis: _FunctionAnalysis, loop: ast.For, rest: list[ast.stmt], env: Env) -> Facts | None:
    found = _iteration(analysis, loop.iter, env)
    if found is None:
        return None
    empty, nonempty, risk = found
    test = Facts(true=empty, false=nonempty, risk=risk, other=NEVER)
    runs = unknown_facts(f"{analysis.where(loop)} runs its body, which the index does not follow")
    return branches(test, analysis.body(loop.orelse + rest, env), runs)


def _iteration(analysis: _FunctionAnalysis, node: ast.expr, env: Env) -> tuple[Formula, Formula, Formula] | None:
    """(needed for no iteration, needed for some iteration, needed to raise) of ``for ... in node``."""
    ex = analysis.expressions
    where = analysis.where(node)
    weak = Unknown(f"{where} narrows no key to a set of values", weak=True)
    view = (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in _VIEWS
        and not node.args
        and not node.keywords
    )
    term = ex.term(node.func.value if view else node, env)  # type: ignore[union-attr]
    if term.kind == "strings" and not view:
        nonempty = bool(term.strings) and (term.shape is not str or "" not in term.strings)
        return (NEVER, weak, term.facts.risk) if nonempty else (weak, NEVER, term.facts.risk)
    if term.kind != "value":
        return None
    value = term.value
    assert value is not None

    def raises(result: Any) -> bool:
        if view:
            return not isinstance(result, dict)
        return not isinstance(result, str | list | tuple | dict)

    def some(result: Any) -> bool:
        return not raises(result) and len(result) > 0

    # Any present value may iterate or raise; a missing or null one gives the default.
    raise_atom = Atom(value.path, absent=value.may_give(raises, _maybe), other=True, prefixes=ANY_PREFIX)
    some_atom = Atom(value.path, absent=value.may_give(some, _maybe), other=True, prefixes=ANY_PREFIX)
    return weak, some_atom, any_of(term.facts.risk, raise_atom)


def _maybe(text: SomeText) -> bool:
    return True


def try_call(analysis: _FunctionAnalysis, statement: ast.Try, rest: list[ast.stmt], env: Env) -> Facts | None:
    if statement.finalbody or len(statement.handlers) != 1 or len(statement.body) != 1:
        return None
    (only,) = statement.body
    if not isinstance(only, ast.Expr):
        return None
    ex = analysis.expressions
    found = library_call(ex, only.value, env)
    if found is None:
        return None
    function, argument = found
    handler = statement.handlers[0]
    caught = _exceptions(analysis, handler.type, env)
    if caught is None or not all(issubclass(raised, caught) for raised in RAISES[function]):
        return None
    accepts = ACCEPTS[function]
    where = analysis.where(only)
    weak = Unknown(f"{where} narrows no key to a set of values", weak=True)
    if argument.kind == "value":
        assert argument.value is not None
        absent = argument.value.may_give(accepts, lambda text: True)
        ok: Formula = Atom(argument.value.path, absent=absent, other=True, prefixes=ANY_PREFIX)
        raised: Formula = weak
    elif argument.kind == "strings" and argument.shape is str:
        accepted = accepts(next(iter(argument.strings)))
        ok, raised = (weak, NEVER) if accepted else (NEVER, weak)
    else:
        return None
    test = Facts(true=raised, false=ok, risk=argument.facts.risk, other=NEVER)
    # The handler's name is unbound again once the handler ends.
    handled = {name: term for name, term in env.items() if name != handler.name}
    return branches(test, analysis.body(handler.body + rest, handled), analysis.body(statement.orelse + rest, env))


def _exceptions(analysis: _FunctionAnalysis, node: ast.expr | None, env: Env) -> tuple[type, ...] | None:
    if node is None:
        return (BaseException,)
    names = node.elts if isinstance(node, ast.Tuple) else [node]
    found = []
    for name in names:
        if not isinstance(name, ast.Name) or name.id in env:
            return None
        known, cls = analysis.expressions.global_value(name.id)
        if not known or not isinstance(cls, type) or not issubclass(cls, BaseException):
            return None
        found.append(cls)
    return tuple(found)
