"""Python functions read as conditions: when a rule can do anything but return False.

A body is followed statement by statement along each path: ``if`` (both branches, each continued by the
statements after it), assignments of local names, ``return``, a ``for`` loop while it is known to run no
iteration (statements.py), a ``try`` around a call whose exceptions are known (statements.py). Any other
statement ends what is known on its path (Unknown from there on), so a rule whose first statements call
unknown code is unguarded.

In ``rule()`` itself, leading statements that only reset the rule module's own state (``global NAME``
then ``NAME = <constant>``) are passed over when nothing else can observe that state between runs; see
docs/rule-index.md.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import replace
from typing import Any

from onca.detect.index import statements
from onca.detect.index.calls import docstring
from onca.detect.index.expressions import Expressions, event_term
from onca.detect.index.facts import Facts, Term, branches, unknown_facts
from onca.detect.index.formula import NEVER, Formula, Unknown, any_of
from onca.detect.index.sources import NotReadable, Sources

MAX_HELPER_DEPTH = 3
STEPS_PER_RULE = 20_000  # bounds the work on pathological bodies (each `if` is followed on both branches)


class _Budget:
    def __init__(self, steps: int) -> None:
        self.steps = steps


def rule_formula(function: Any, sources: Sources, *, method: bool = False) -> Formula:
    """Needed for ``function`` (``rule(event)``, or ``rule(self, event)`` when ``method``) to do anything
    other than return False: return anything else, raise, or act beyond reading the event."""
    try:
        analysis = _FunctionAnalysis(function, sources, _Budget(STEPS_PER_RULE), depth=0)
    except NotReadable as exc:
        return Unknown(str(exc))
    parameters = analysis.parameters()
    if parameters is None or len(parameters) != (2 if method else 1):
        return Unknown(f"{function.__qualname__} does not take the event as its only argument")
    body = analysis.tree.body
    if not method and _private_module(function):
        body = analysis.past_resets(body)
    facts = analysis.body(body, {parameters[-1]: event_term(parameters[-1])})
    return any_of(facts.risk, facts.true, facts.other)


def _private_module(function: Any) -> bool:
    """A detection module (imported under the detection's id, kept out of sys.modules): no other module
    can import it, so only the detection's own runs call its functions."""
    module = sys.modules.get(function.__module__)
    return getattr(module, "__dict__", None) is not function.__globals__


class _FunctionAnalysis:
    def __init__(self, function: Any, sources: Sources, budget: _Budget, depth: int) -> None:
        self.function = function
        self.sources = sources
        self.budget = budget
        self.depth = depth
        self.tree = sources.function_tree(function)
        code = function.__code__
        self.first_line = code.co_firstlineno
        self.names = sources.module_names(code.co_filename)
        self.declared_global = frozenset(
            name for node in statements.own_scope(self.tree) if isinstance(node, ast.Global) for name in node.names
        )
        self.expressions = Expressions(
            globals_=function.__globals__,
            names=self.names,
            local_names=frozenset(code.co_varnames + code.co_cellvars + code.co_freevars),
            where=self.where,
            call_helper=self.call_helper,
            udm=self.udm,
            sources=sources,
        )

    def where(self, node: ast.AST) -> str:
        line = getattr(node, "lineno", self.first_line)
        text = ast.unparse(node)
        if len(text) > 70:
            text = text[:67] + "..."
        return f"{self.function.__name__}() line {line}: `{text}`"

    def parameters(self) -> list[str] | None:
        arguments = self.tree.args
        if arguments.posonlyargs or arguments.vararg or arguments.kwonlyargs or arguments.kwarg:
            return None
        return [arg.arg for arg in arguments.args]

    def past_resets(self, body: list[ast.stmt]) -> list[ast.stmt]:
        """``body`` past its leading ``global`` declarations and resets of resettable module names to
        constants (docs/rule-index.md: why skipping them changes nothing another run can see)."""
        for position, statement in enumerate(body):
            if isinstance(statement, ast.Global | ast.Pass) or _is_docstring(statement):
                continue
            if (
                isinstance(statement, ast.Assign)
                and all(isinstance(target, ast.Name) for target in statement.targets)
                and all(
                    target.id in self.declared_global and self.names.resettable(target.id)
                    for target in statement.targets
                    if isinstance(target, ast.Name)
                )
                and statements.fresh_constant(statement.value)
            ):
                continue
            return body[position:]
        return []

    def body(self, statements_: list[ast.stmt], env: dict[str, Term]) -> Facts:
        for position, statement in enumerate(statements_):
            self.budget.steps -= 1
            if self.budget.steps < 0:
                return unknown_facts(f"{self.where(statement)}: too many paths to follow")
            if isinstance(statement, ast.Pass) or _is_docstring(statement):
                continue
            rest = statements_[position + 1 :]
            if isinstance(statement, ast.Return):
                value = statement.value or ast.Constant(None, lineno=statement.lineno)
                return self.expressions.term(value, env).facts
            if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
                target = statement.targets[0]
                if isinstance(target, ast.Name) and target.id not in self.declared_global:
                    term = self.expressions.term(statement.value, env)
                    after = self.body(rest, {**env, target.id: term})
                    return replace(after, risk=any_of(term.facts.risk, after.risk))
            if isinstance(statement, ast.If):
                test = self.expressions.term(statement.test, env).facts
                then = self.body(statement.body + rest, env)
                otherwise = self.body(statement.orelse + rest, env)
                return branches(test, then, otherwise)
            if isinstance(statement, ast.For):
                facts = statements.for_loop(self, statement, rest, env)
                if facts is not None:
                    return facts
            if isinstance(statement, ast.Try):
                facts = statements.try_call(self, statement, rest, env)
                if facts is not None:
                    return facts
            return unknown_facts(f"{self.where(statement)} is a statement the index does not read")
        unknown = Unknown(f"{self.function.__name__}() can end without a return (it returns None)")
        return Facts(NEVER, unknown, NEVER, unknown, {None: unknown})

    def call_helper(self, function: Any, node: ast.Call, arguments: list[Term]) -> Term:
        """A helper called with the event (or the mapping a data model method gets) in every argument:
        what its body returns (the expression itself when its body is one ``return``)."""
        if self.depth >= MAX_HELPER_DEPTH:
            return self.expressions.unknown(node, "calls helpers too deeply nested")
        try:
            helper = _FunctionAnalysis(function, self.sources, self.budget, self.depth + 1)
        except NotReadable as exc:
            return self.expressions.unknown(node, f"calls a helper the index cannot read ({exc})")
        parameters = helper.parameters()
        if parameters is None or len(parameters) != len(arguments):
            return self.expressions.unknown(node, "calls a helper with other arguments than its parameters")
        key = (function, tuple(argument.kind for argument in arguments))
        cached = self.sources.helpers.get(key)
        if cached is not None:
            return cached
        self.sources.helpers[key] = Term(unknown_facts(f"{self.where(node)} calls itself"))  # recursion
        env = {name: arg.settled() for name, arg in zip(parameters, arguments, strict=True)}
        body = helper.tree.body[1:] if docstring(helper.tree) else helper.tree.body
        if len(body) == 1 and isinstance(body[0], ast.Return) and body[0].value is not None:
            term = helper.expressions.term(body[0].value, env)
        else:
            term = Term(helper.body(helper.tree.body, env))
        self.sources.helpers[key] = term
        return term

    def udm(self, node: ast.Call, name: str) -> Term:
        """``event.udm(name)`` through the data model's method for ``name``, read like a helper that gets
        the event's fields as a plain case-insensitive mapping (no udm of its own)."""
        model = self.sources.data_model
        self.sources.read_udm = True
        if model is None:
            return self.expressions.unknown(node, "reads the data model, which is not known yet")
        method = model.methods.get(name)
        if name in model.paths or method is None:
            return self.expressions.unknown(node, "reads a data model field the index does not resolve")
        # udm() hands back what the method returned (a container wrapped, as event reads are).
        return self.call_helper(method, node, [event_term("the data model's event", udm=False)])


def _is_docstring(statement: ast.stmt) -> bool:
    return isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)
