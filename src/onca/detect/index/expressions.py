"""Python expressions of a rule, read as conditions on the event.

Only forms whose behaviour is known exactly are read: reads of event values (``event.get``,
``event.deep_get``, ``event[...]``, panther's ``deep_get``), comparisons of them with string constants,
membership in constant collections of strings, ``and``/``or``/``not``, ``all([...])``/``any([...])``,
``bool()``, ``str.startswith``/``endswith``, and calls of helper functions made of the same forms.
Anything else is Unknown, including everywhere it could raise.
"""

from __future__ import annotations

import ast
import builtins
import collections.abc
import functools
import types
import typing
from collections.abc import Callable
from dataclasses import replace
from typing import Any, cast

from onca.detect.index.facts import (
    CONSTANT_TYPES,
    Facts,
    Term,
    Value,
    constant_facts,
    safe_facts,
    unknown_facts,
)
from onca.detect.index.formula import is_text, NEVER, Atom, Formula, Unknown, all_of, any_of
from onca.detect.index.sources import ModuleNames, NotReadable, Sources

_STRING_SHAPES = (tuple, list, set, frozenset)
# The one deep_get every panther helper module carries; recognised by its exact syntax tree.
_DEEP_GET = ast.parse(
    "def deep_get(dictionary, *keys, default=None):\n"
    "    out = reduce(lambda d, key: d.get(key, default) if isinstance(d, Mapping) else default, keys, dictionary)\n"
    "    if out is None:\n"
    "        return default\n"
    "    return out\n"
).body[0]
_MAPPINGS = (collections.abc.Mapping, typing.Mapping)
_LITERAL_DEFAULTS = (str, int, float, bool, type(None))
_ABSENT = object()


class Expressions:
    """Reads the expressions of one function. ``where(node)`` names a node for reasons;
    ``call_helper(function, node)`` analyses a helper function called with the event."""

    def __init__(
        self,
        *,
        globals_: dict[str, Any],
        names: ModuleNames,
        local_names: frozenset[str],
        where: Callable[[ast.AST], str],
        call_helper: Callable[[Any, ast.Call, list[Term]], Term],
        udm: Callable[[ast.Call, str], Term],
        sources: Sources,
    ) -> None:
        self.globals = globals_
        self.names = names
        self.local_names = local_names
        self.where = where
        self.call_helper = call_helper
        self.udm = udm
        self.sources = sources

    def unknown(
        self, node: ast.AST, why: str = "is not a form the index reads", parts: tuple[Term, ...] = ()
    ) -> Term:
        # An operand the index could not read is the better explanation than the expression around it.
        for part in parts:
            if isinstance(part.facts.risk, Unknown) and not part.facts.risk.weak:
                return Term(unknown_facts(part.facts.risk.reason))
        return Term(unknown_facts(f"{self.where(node)} {why}"))

    def term(self, node: ast.AST, env: dict[str, Term]) -> Term:
        if isinstance(node, ast.Constant):
            return self._constant(node.value, node)
        if isinstance(node, ast.Name):
            return self._name(node, env)
        if isinstance(node, ast.Attribute):
            return self._module_constant(node)
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            return self._literal(node)
        if isinstance(node, ast.Call):
            return self._call(node, env)
        if isinstance(node, ast.Subscript):
            return self._subscript(node, env)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            inner = self.term(node.operand, env).facts
            return Term(Facts(inner.false, inner.true, inner.risk, NEVER))
        if isinstance(node, ast.BoolOp):
            return self._bool_op(node, env)
        if isinstance(node, ast.Compare):
            return self._compare(node, env)
        return self.unknown(node)

    # Names and constants
    def _constant(self, value: Any, node: ast.AST) -> Term:
        facts = constant_facts(value, self.where(node))
        if is_text(value):
            return Term(facts, "strings", strings=frozenset([value]), shape=str)
        return Term(facts)

    def _name(self, node: ast.Name, env: dict[str, Term]) -> Term:
        if node.id in env:
            return env[node.id].settled()
        found, value = self.global_value(node.id)
        if not found:
            return self.unknown(node, "is a name the index cannot pin down")
        return self._constant_value(value, node)

    def global_value(self, name: str) -> tuple[bool, Any]:
        """The value a global (or builtin) name has whenever the function runs, if it cannot change."""
        if name in self.local_names:  # a local read before it is set, or set on a path not followed
            return False, None
        if name in self.globals:
            return (True, self.globals[name]) if name in self.names.once else (False, None)
        if name in self.names.bound or not hasattr(builtins, name):
            return False, None
        return True, getattr(builtins, name)

    def _constant_value(self, value: Any, node: ast.Name) -> Term:
        kind = type(value)
        if kind is str or kind is bool or value is None:
            return self._constant(value, node)
        if kind in _STRING_SHAPES and all(is_text(item) for item in value):
            # A mutable collection counts only when its module never does anything with it but read it.
            if kind in (list, set) and node.id not in self.names.read_only:
                return self.unknown(node, "may be changed after loading")
            return Term(
                constant_facts(bool(value), self.where(node)), "strings", strings=frozenset(value), shape=kind
            )
        return self.unknown(node, "is not a constant the index reads")

    def _module_constant(self, node: ast.Attribute) -> Term:
        """``module.NAME``: a constant of an imported module that its own module binds once."""
        if not isinstance(node.value, ast.Name):
            return self.unknown(node)
        found, module = self.global_value(node.value.id)
        filename = getattr(module, "__file__", None)
        if not found or not isinstance(module, types.ModuleType) or not filename:
            return self.unknown(node)
        try:
            names = self.sources.module_names(filename)
        except NotReadable:
            return self.unknown(node)
        value = module.__dict__.get(node.attr, _ABSENT)
        if node.attr not in names.once or type(value) not in CONSTANT_TYPES:
            return self.unknown(node, "is not a constant the index reads")
        return self._constant(value, node)

    def _literal(self, node: ast.Tuple | ast.List | ast.Set) -> Term:
        items = [element.value for element in node.elts if isinstance(element, ast.Constant)]
        if len(items) != len(node.elts) or not all(is_text(item) for item in items):
            return self.unknown(node)
        shape = {ast.Tuple: tuple, ast.List: list, ast.Set: set}[type(node)]
        facts = constant_facts(bool(items), self.where(node))
        return Term(facts, "strings", strings=frozenset(items), shape=shape)

    # Reads of event values
    def _value_term(self, node: ast.AST, value: Value, risk: Formula = NEVER) -> Term:
        where = self.where(node)
        return Term(
            safe_facts(where, risk=risk, other=Unknown(f"{where} is an event value, not a bool")),
            "value",
            value=value,
        )

    def _subscript(self, node: ast.Subscript, env: dict[str, Term]) -> Term:
        base = self.term(node.value, env)
        key = node.slice
        if base.kind not in ("event", "mapping") or not (
            isinstance(key, ast.Constant) and is_text(key.value)
        ):
            return self.unknown(node)
        # event["k"] raises KeyError when k is missing.
        path = (key.value,)
        return self._value_term(node, Value(path, (None,)), risk=Atom(path, absent=True))

    def _event_method(self, node: ast.Call, name: str, *, udm: bool) -> Term:
        keywords = {keyword.arg: keyword.value for keyword in node.keywords}
        if name == "deep_get":
            return self._deep_get(node, node.args, keywords)
        if name == "udm" and udm and len(node.args) == 1 and not keywords:
            key = node.args[0]
            if isinstance(key, ast.Constant) and is_text(key.value):
                return self.udm(node, key.value)
        if name != "get" or not 1 <= len(node.args) <= 2 or set(keywords) - {"default"}:
            return self.unknown(node)
        key = node.args[0]
        if not (isinstance(key, ast.Constant) and is_text(key.value)) or (len(node.args) == 2 and keywords):
            return self.unknown(node)
        found, default = self._default(
            node.args[1] if len(node.args) == 2 else keywords.get("default"), containers=True
        )
        if not found:
            return self.unknown(node)
        # A present null reads None; only a missing key gives the default.
        return self._value_term(node, Value((key.value,), (None, default)))

    def _deep_get(
        self, node: ast.Call, key_nodes: list[ast.expr], keywords: dict[str | None, ast.expr]
    ) -> Term:
        keys = [arg.value for arg in key_nodes if isinstance(arg, ast.Constant) and is_text(arg.value)]
        if not keys or len(keys) != len(key_nodes) or set(keywords) - {"default"}:
            return self.unknown(node)
        found, default = self._default(keywords.get("default"), containers=False)
        if not found:
            return self.unknown(node)
        return self._value_term(node, Value(tuple(keys), (default,)))

    def _default(self, node: ast.expr | None, *, containers: bool) -> tuple[bool, Any]:
        if node is None:
            return True, None
        if isinstance(node, ast.Constant) and type(node.value) in _LITERAL_DEFAULTS:
            return True, node.value
        # An empty {} or [] default (a fresh object each call) is fine where the key is read once.
        if containers and isinstance(node, ast.Dict) and not node.keys:
            return True, {}
        if containers and isinstance(node, ast.List) and not node.elts:
            return True, []
        return False, None

    # Calls
    def _call(self, node: ast.Call, env: dict[str, Term]) -> Term:
        func = node.func
        if any(isinstance(arg, ast.Starred) for arg in node.args) or any(
            k.arg is None for k in node.keywords
        ):
            return self.unknown(node)
        if isinstance(func, ast.Attribute):
            base = self.term(func.value, env)
            if base.kind in ("event", "mapping"):
                return self._event_method(node, func.attr, udm=base.kind == "event")
            if base.kind == "value" and func.attr in ("startswith", "endswith"):
                return self._text_test(node, base, env)
            return self.unknown(node)
        if not isinstance(func, ast.Name) or func.id in env:
            return self.unknown(node)
        found, function = self.global_value(func.id)
        if not found:
            return self.unknown(node, "calls a name the index cannot pin down")
        if function is builtins.all or function is builtins.any:
            return self._all_any(node, env, function is builtins.all)
        if function is builtins.bool and len(node.args) == 1 and not node.keywords:
            inner = self.term(node.args[0], env).facts
            return Term(Facts(inner.true, inner.false, inner.risk, NEVER))
        arguments = [self.term(arg, env) for arg in node.args]
        if self._is_deep_get(function):
            if not arguments or arguments[0].kind not in ("event", "mapping"):
                return self.unknown(node)
            return self._deep_get(node, node.args[1:], {k.arg: k.value for k in node.keywords})
        if node.keywords or not all(argument.kind in ("event", "mapping") for argument in arguments):
            return self.unknown(node, "calls a helper with something other than the event")
        return self.call_helper(function, node, arguments)

    def _text_test(self, node: ast.Call, base: Term, env: dict[str, Term]) -> Term:
        if len(node.args) != 1 or node.keywords:
            return self.unknown(node)
        argument = self.term(node.args[0], env)
        if argument.kind != "strings" or argument.shape not in (str, tuple):
            return self.unknown(node)
        assert base.value is not None
        risk = any_of(base.facts.risk, base.value.not_text_atom())
        facts = safe_facts(self.where(node), risk=risk)
        if cast(ast.Attribute, node.func).attr == "startswith" and argument.strings:
            facts = replace(facts, true=base.value.prefix_atom(argument.strings))
        return Term(facts)

    def _all_any(self, node: ast.Call, env: dict[str, Term], every: bool) -> Term:
        if len(node.args) != 1 or node.keywords or not isinstance(node.args[0], ast.List | ast.Tuple):
            return self.unknown(node)
        # The list is built first: every element is evaluated whatever the others give.
        parts = [self.term(element, env).facts for element in node.args[0].elts]
        risk = any_of(*(part.risk for part in parts))
        trues = [part.true for part in parts]
        falses = [part.false for part in parts]
        if every:
            return Term(
                Facts(
                    all_of(*trues) if parts else Unknown("all([]) is true", weak=True),
                    any_of(*falses),
                    risk,
                    NEVER,
                )
            )
        return Term(
            Facts(
                any_of(*trues),
                all_of(*falses) if parts else Unknown("any([]) is false", weak=True),
                risk,
                NEVER,
            )
        )

    def _is_deep_get(self, function: Any) -> bool:
        if getattr(function, "__name__", None) != "deep_get":
            return False
        try:
            tree = self.sources.function_tree(function)
        except Exception:  # noqa: BLE001 - not readable: not the deep_get we know
            return False
        body = tree.body[1:] if _docstring(tree) else tree.body
        plain = ast.FunctionDef(tree.name, _bare_arguments(tree.args), body, [], None, None)
        reference = ast.FunctionDef(
            _DEEP_GET.name, _bare_arguments(_DEEP_GET.args), _DEEP_GET.body, [], None, None
        )
        helper_globals = function.__globals__
        return (
            ast.dump(plain) == ast.dump(reference)
            and helper_globals.get("reduce") is functools.reduce
            and any(helper_globals.get("Mapping") is mapping for mapping in _MAPPINGS)
            and "isinstance" not in helper_globals
        )

    # Operators
    def _bool_op(self, node: ast.BoolOp, env: dict[str, Term]) -> Term:
        facts = self.term(node.values[0], env).facts
        for operand in node.values[1:]:
            right = self.term(operand, env).facts
            if isinstance(node.op, ast.And):  # `a and b` gives a when a is falsy, else b
                facts = Facts(
                    true=all_of(facts.true, right.true),
                    false=any_of(facts.false, all_of(facts.true, right.false)),
                    risk=any_of(facts.risk, all_of(facts.true, right.risk)),
                    other=any_of(all_of(facts.false, facts.other), all_of(facts.true, right.other)),
                )
            else:  # `a or b` gives a when a is truthy, else b
                facts = Facts(
                    true=any_of(facts.true, all_of(facts.false, right.true)),
                    false=all_of(facts.false, right.false),
                    risk=any_of(facts.risk, all_of(facts.false, right.risk)),
                    other=any_of(all_of(facts.true, facts.other), all_of(facts.false, right.other)),
                )
        return Term(facts)

    def _compare(self, node: ast.Compare, env: dict[str, Term]) -> Term:
        terms = [self.term(operand, env) for operand in [node.left, *node.comparators]]
        risk = any_of(*(term.facts.risk for term in terms))
        where = self.where(node)
        if len(node.ops) > 1:
            # Chained ==, !=, is: the values an event holds compare without raising.
            if all(isinstance(op, ast.Eq | ast.NotEq | ast.Is | ast.IsNot) for op in node.ops):
                return Term(safe_facts(where, risk=risk))
            return self.unknown(node, parts=tuple(terms))
        op, (left, right) = node.ops[0], terms
        if isinstance(op, ast.Eq | ast.NotEq):
            return self._equality(op, left, right, risk, where)
        if isinstance(op, ast.In | ast.NotIn):
            return self._membership(node, op, left, right, risk, where)
        if isinstance(op, ast.Is | ast.IsNot):
            none = isinstance(node.comparators[0], ast.Constant) and node.comparators[0].value is None
            if left.kind == "value" and none:
                assert left.value is not None
                is_none = Atom(left.value.path, absent=True) if None in left.value.on_null else NEVER
                unknown = Unknown(f"{where} narrows no key to a set of values", weak=True)
                true, false = (is_none, unknown) if isinstance(op, ast.Is) else (unknown, is_none)
                return Term(Facts(true, false, risk, NEVER))
            return Term(safe_facts(where, risk=risk))
        return self.unknown(node, parts=tuple(terms))  # ordering comparisons raise between unlike types

    def _equality(self, op: ast.cmpop, left: Term, right: Term, risk: Formula, where: str) -> Term:
        known, other = left.facts.values, right.facts.values
        if known is not None and other is not None:
            # Both sides give known constants (a helper's returns, a module constant): compare them all.
            equal = [all_of(a, b) for x, a in known.items() for y, b in other.items() if x == y]
            unequal = [all_of(a, b) for x, a in known.items() for y, b in other.items() if x != y]
            true, false = any_of(*equal), any_of(*unequal)
            if isinstance(op, ast.NotEq):
                true, false = false, true
            return Term(Facts(true, false, risk, NEVER))
        value, text = (left, right) if left.kind == "value" else (right, left)
        if value.kind == "value" and text.kind == "strings" and text.shape is str:
            assert value.value is not None
            atom = value.value.equal_atom(text.strings)
            unknown = Unknown(f"{where} narrows no key to a set of values", weak=True)
            true, false = (atom, unknown) if isinstance(op, ast.Eq) else (unknown, atom)
            return Term(Facts(true, false, risk, NEVER))
        return Term(safe_facts(where, risk=risk))

    def _membership(
        self, node: ast.Compare, op: ast.cmpop, left: Term, right: Term, risk: Formula, where: str
    ) -> Term:
        if left.kind == "value" and right.kind == "strings" and right.shape is not str:
            assert left.value is not None
            atom = left.value.equal_atom(right.strings)
            if right.shape in (set, frozenset):
                risk = any_of(risk, left.value.unhashable_atom())
            unknown = Unknown(f"{where} narrows no key to a set of values", weak=True)
            true, false = (atom, unknown) if isinstance(op, ast.In) else (unknown, atom)
            return Term(Facts(true, false, risk, NEVER))
        if left.kind == "strings" and left.shape is str and right.kind == "value":
            # "x" in value: a substring, list or key test; raises for null, numbers and booleans.
            assert right.value is not None
            return Term(safe_facts(where, risk=any_of(risk, right.value.not_text_atom())))
        return self.unknown(node, parts=(left, right))


def _docstring(tree: ast.FunctionDef) -> bool:
    first = tree.body[0] if tree.body else None
    return (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    )


def _bare_arguments(arguments: ast.arguments) -> ast.arguments:
    """The parameters without annotations, which do not change what the function does."""

    def bare(arg: ast.arg | None) -> ast.arg | None:
        return None if arg is None else ast.arg(arg.arg)

    return ast.arguments(
        posonlyargs=[bare(a) for a in arguments.posonlyargs],
        args=[bare(a) for a in arguments.args],
        vararg=bare(arguments.vararg),
        kwonlyargs=[bare(a) for a in arguments.kwonlyargs],
        kw_defaults=arguments.kw_defaults,
        kwarg=bare(arguments.kwarg),
        defaults=arguments.defaults,
    )


def event_term(where: str, *, udm: bool = True) -> Term:
    """The event (``udm``: a DetectionEvent) or the plain case-insensitive mapping data models get."""
    return Term(safe_facts(where, other=Unknown(f"{where} is not a bool")), "event" if udm else "mapping")
