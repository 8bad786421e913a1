"""Python expressions of a rule, read as conditions on the event.

Only forms whose behaviour is known exactly are read: reads of event values (``event.get``,
``event.deep_get``, ``event[...]``, panther's ``deep_get``), comparisons of them with string constants,
membership in constant collections of strings, ``and``/``or``/``not``, f-strings and ``+`` of text, and
the calls calls.py reads. Anything else is Unknown, including everywhere it could raise.
"""

from __future__ import annotations

import ast
import builtins
import types
from collections.abc import Callable
from typing import Any

from onca.detect.index import calls
from onca.detect.index.facts import (
    ANY_VALUE,
    CONSTANT_TYPES,
    EXACT_TYPES,
    Facts,
    SomeText,
    Term,
    Value,
    collection_facts,
    constant_facts,
    safe_facts,
    text_term,
    unknown_facts,
)
from onca.detect.index.formula import is_text, NEVER, Atom, Formula, Unknown, all_of, any_of
from onca.detect.index.sources import ModuleNames, NotReadable, Sources

_STRING_SHAPES = (tuple, list, set, frozenset)
_LITERAL_DEFAULTS = (str, int, float, bool, type(None))
_ABSENT = object()


class Expressions:
    """Reads the expressions of one function. ``where(node)`` names a node for reasons;
    ``call_helper(function, node, arguments)`` analyses a helper function called with the event."""

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
        if isinstance(node, ast.Dict):
            return self._dict_display(node)
        if isinstance(node, ast.JoinedStr):
            return self._format(node, env)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return self._concatenate(node, env)
        if isinstance(node, ast.Call):
            return calls.call_term(self, node, env)
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
            if name in self.names.once or self._never_mocked(name):
                return True, self.globals[name]
            return False, None
        if name in self.names.bound or not hasattr(builtins, name):
            return False, None
        return True, getattr(builtins, name)

    def _never_mocked(self, name: str) -> bool:
        """A mock-guarded name (state.py) whose value is not an instance of the classes its guards test:
        the guarded bodies never run, so its module-level value is the one it always has."""
        value = self.globals.get(name, _ABSENT)
        if type(value) not in EXACT_TYPES or "isinstance" in self.names.bound:
            return False
        classes = self.names.mock_guarded.get(name)
        if classes is None:
            return False
        for class_name in classes:
            found, cls = self.global_value(class_name)
            if not found or not isinstance(cls, type) or type(cls) is not type or isinstance(value, cls):
                return False
        return True

    def _constant_value(self, value: Any, node: ast.Name) -> Term:
        kind = type(value)
        if kind is str or kind is bool or value is None:
            return self._constant(value, node)
        if kind in _STRING_SHAPES and all(is_text(item) for item in value):
            # A mutable collection counts only when its module never does anything with it but read it.
            if kind in (list, set) and not self.names.read_only(node.id):
                return self.unknown(node, "may be changed after loading")
            return Term(
                collection_facts(bool(value), self.where(node), kind), "strings", strings=frozenset(value), shape=kind
            )
        return self.unknown(node, "is not a constant the index reads")

    def _module_constant(self, node: ast.Attribute) -> Term:
        """``module.NAME``: a constant of an imported module that its own module binds once."""
        module = self.module_of(node.value)
        if module is None:
            return self.unknown(node)
        filename = getattr(module, "__file__", None)
        if not filename:
            return self.unknown(node)
        try:
            names = self.sources.module_names(filename)
        except NotReadable:
            return self.unknown(node)
        value = module.__dict__.get(node.attr, _ABSENT)
        if node.attr not in names.once or type(value) not in CONSTANT_TYPES:
            return self.unknown(node, "is not a constant the index reads")
        return self._constant(value, node)

    def module_of(self, node: ast.AST) -> types.ModuleType | None:
        """The module a global name is bound to for good, if ``node`` is such a name."""
        if not isinstance(node, ast.Name):
            return None
        found, module = self.global_value(node.id)
        return module if found and isinstance(module, types.ModuleType) else None

    def _literal(self, node: ast.Tuple | ast.List | ast.Set) -> Term:
        items = [element.value for element in node.elts if isinstance(element, ast.Constant)]
        if len(items) != len(node.elts) or not all(is_text(item) for item in items):
            return self.unknown(node)
        shape = {ast.Tuple: tuple, ast.List: list, ast.Set: set}[type(node)]
        facts = collection_facts(bool(items), self.where(node), shape)
        return Term(facts, "strings", strings=frozenset(items), shape=shape)

    def _dict_display(self, node: ast.Dict) -> Term:
        """``{"k": <lambda or constant>, ...}``: a fresh dict with string keys, built without side effects
        (a lambda without defaults is made, not run)."""
        keys = [key.value for key in node.keys if isinstance(key, ast.Constant) and is_text(key.value)]
        if len(keys) != len(node.keys):
            return self.unknown(node)
        truthy = True
        for value in node.values:
            if isinstance(value, ast.Lambda) and not value.args.defaults and not any(value.args.kw_defaults):
                continue
            if isinstance(value, ast.Constant):
                truthy = truthy and bool(value.value)
                continue
            return self.unknown(node)
        facts = collection_facts(bool(keys), self.where(node), dict)
        return Term(facts, "strings", strings=frozenset(keys), shape=dict, truthy=truthy)

    # Text
    def _format(self, node: ast.JoinedStr, env: dict[str, Term]) -> Term:
        """An f-string of constants and plain formatting (no format spec) of event values and text, which
        never raises: they are JSON values, their read-only views, or text."""
        risks: list[Formula] = []
        for part in node.values:
            if isinstance(part, ast.Constant):
                continue
            if not isinstance(part, ast.FormattedValue) or part.format_spec is not None:
                return self.unknown(node)
            inner = self.term(part.value, env)
            if inner.kind not in ("value", "strings", "text") and not _constants_only(inner):
                return self.unknown(node, parts=(inner,))
            risks.append(inner.facts.risk)
        first = node.values[0] if node.values else None
        prefix = first.value if isinstance(first, ast.Constant) and is_text(first.value) else ""
        return text_term(self.where(node), SomeText(prefix), any_of(*risks))

    def _concatenate(self, node: ast.BinOp, env: dict[str, Term]) -> Term:
        left, right = self.term(node.left, env), self.term(node.right, env)
        if not (_is_text(left) and _is_text(right)):
            return self.unknown(node, parts=(left, right))
        risk = any_of(left.facts.risk, right.facts.risk)
        if left.kind == "strings" and right.kind == "strings":
            return self._constant(next(iter(left.strings)) + next(iter(right.strings)), node)
        if left.kind == "strings":
            assert right.text is not None
            prefix = next(iter(left.strings)) + right.text.prefix
        else:
            assert left.text is not None
            prefix = left.text.prefix
        return text_term(self.where(node), SomeText(prefix), risk)

    # Reads of event values
    def value_term(self, node: ast.AST, value: Value, risk: Formula = NEVER) -> Term:
        where = self.where(node)
        facts = Facts(
            true=value.truthy_atom(),
            false=value.falsy_atom(),
            risk=risk,
            other=Unknown(f"{where} is an event value, not a bool"),
        )
        return Term(facts, "value", value=value)

    def _subscript(self, node: ast.Subscript, env: dict[str, Term]) -> Term:
        base = self.term(node.value, env)
        key = node.slice
        if base.kind not in ("event", "mapping") or not (
            isinstance(key, ast.Constant) and is_text(key.value)
        ):
            return self.unknown(node)
        # event["k"] raises KeyError when k is missing.
        path = (key.value,)
        return self.value_term(node, Value(path, (None,)), risk=Atom(path, absent=True))

    def key_of(self, node: ast.AST, env: dict[str, Term]) -> str | None:
        """A key given as a string constant or a name bound to one for good."""
        if isinstance(node, ast.Constant):
            return node.value if is_text(node.value) else None
        if isinstance(node, ast.Name) and node.id not in env:
            term = self.term(node, env)
            if term.kind == "strings" and term.shape is str:
                return next(iter(term.strings))
        return None

    def default_of(self, node: ast.AST | None, env: dict[str, Term]) -> tuple[Formula, Any] | None:
        """What a ``default=`` argument gives (ANY_VALUE or SomeText when not known in advance), and
        what evaluating it needs to raise; None when the index cannot tell."""
        if node is None:
            return NEVER, None
        if isinstance(node, ast.Constant) and type(node.value) in _LITERAL_DEFAULTS:
            return NEVER, node.value
        # An empty {} or [] (a fresh object each call) reads as empty wherever it goes.
        if isinstance(node, ast.Dict) and not node.keys:
            return NEVER, {}
        if isinstance(node, ast.List) and not node.elts:
            return NEVER, []
        term = self.term(node, env)
        risk = term.facts.risk
        if isinstance(risk, Unknown) and not risk.weak:
            return None
        if term.kind == "strings" and term.shape is str:
            return risk, next(iter(term.strings))
        if term.kind == "text":
            return risk, term.text
        return risk, ANY_VALUE

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
                if ANY_VALUE in left.value.on_null:
                    is_none = Atom(left.value.path, absent=True)
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
            if right.shape in (set, frozenset, dict):
                risk = any_of(risk, left.value.unhashable_atom())
            unknown = Unknown(f"{where} narrows no key to a set of values", weak=True)
            true, false = (atom, unknown) if isinstance(op, ast.In) else (unknown, atom)
            return Term(Facts(true, false, risk, NEVER))
        if left.kind == "strings" and left.shape is str and right.kind == "value":
            # "x" in value: a substring, list or key test; raises for null, numbers and booleans.
            assert right.value is not None
            return Term(safe_facts(where, risk=any_of(risk, right.value.not_text_atom())))
        return self.unknown(node, parts=(left, right))


def _is_text(term: Term) -> bool:
    return (term.kind == "strings" and term.shape is str) or term.kind == "text"


def _constants_only(term: Term) -> bool:
    values = term.facts.values
    return values is not None and all(type(value) in CONSTANT_TYPES for value in values)


def event_term(where: str, *, udm: bool = True) -> Term:
    """The event (``udm``: a DetectionEvent) or the plain case-insensitive mapping data models get."""
    return Term(safe_facts(where, other=Unknown(f"{where} is not a bool")), "event" if udm else "mapping")
