"""Compile match expressions (``Detection``, ``InlineFilters``, ``Expressions``, ``Conditions``)
into plain Python predicates over an event.

Compilation validates everything it can and names the key path of any mistake; the predicates it
returns never raise, whatever the event holds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from onca.detect.simple.conditions import (
    ABSOLUTE,
    ELEMENTS,
    UNARY,
    VALUE,
    VALUES,
    Condition,
    lookup,
    suggestion,
)
from onca.detect.simple.errors import SimpleDetectionError
from onca.detect.simple.paths import KEY_SPECIFIERS, MISSING, KeyGetter, compile_key, is_sequence

Matcher = Callable[[Mapping[str, Any]], bool]
COMBINATORS = ("All", "Any", "OnlyOne", "None")
_SCALARS = (str, int, float, bool)


def compile_match(expr: Any, *, where: str = "Detection", inline_filter: bool | None = None) -> Matcher:
    """Compile a list of match expressions (implicitly AND-ed) into one predicate.

    ``where`` is the key path used in error messages. Blocks rooted at ``InlineFilters`` (or any
    block when ``inline_filter`` is true) follow Panther's inline-filter rule: a comparison on a
    key the event does not have lets the event through. An empty ``InlineFilters`` block matches
    every event; an empty ``Detection`` is an error, since it would alert on everything.
    """
    inline = _is_inline_root(where) if inline_filter is None else inline_filter
    if expr is None or (isinstance(expr, list) and not expr):
        if inline:
            return _always(True)
        raise SimpleDetectionError(where, "must hold at least one match expression")
    if isinstance(expr, Mapping):
        return _compile_node(expr, where, inline)
    if not isinstance(expr, list):
        raise SimpleDetectionError(where, f"must be a list of match expressions, got {type(expr).__name__}")
    return _all_of([_compile_node(node, f"{where}[{i}]", inline) for i, node in enumerate(expr)])


def _is_inline_root(where: str) -> bool:
    return where.split(".", 1)[0].split("[", 1)[0] == "InlineFilters"


def _always(result: bool) -> Matcher:
    return lambda event: result


def _all_of(matchers: list[Matcher]) -> Matcher:
    if len(matchers) == 1:
        return matchers[0]
    return lambda event: all(matcher(event) for matcher in matchers)


def _compile_node(node: Any, path: str, inline: bool) -> Matcher:
    if not isinstance(node, Mapping):
        raise SimpleDetectionError(path, f"must be a match expression (a mapping), got {type(node).__name__}")
    combinators = [name for name in COMBINATORS if name in node]
    if combinators:
        return _compile_combinator(node, combinators, path, inline)
    if "Condition" not in node:
        raise SimpleDetectionError(path, "needs a Condition, or one combinator (All, Any, OnlyOne, None)")
    name = node["Condition"]
    condition = lookup(name)
    if condition is None:
        shown = name if isinstance(name, str) else repr(name)
        hint = suggestion(name) if isinstance(name, str) else ""
        raise SimpleDetectionError(f"{path}.Condition", f"unknown operator {shown!r}{hint}")
    has_key = any(spec in node for spec in KEY_SPECIFIERS)
    if condition.arity == ABSOLUTE:
        _only_keys(node, {"Condition"}, path)
        return _always(bool(condition.test()))
    if condition.arity == ELEMENTS:
        return _compile_elements(node, condition, path, inline)
    if not has_key and "Values" in node and condition.arity == VALUE:
        return _compile_multi_key(node, condition, path, inline)
    if not has_key:
        raise SimpleDetectionError(path, f"needs a key specifier ({', '.join(KEY_SPECIFIERS)})")
    getter = compile_key(node, path)
    key_name = next(spec for spec in KEY_SPECIFIERS if spec in node)
    if condition.arity == UNARY:
        _only_keys(node, {"Condition", key_name, "Value"}, path)
        expect = node.get("Value", True)
        if not isinstance(expect, bool):
            raise SimpleDetectionError(f"{path}.Value", f"{condition.name} takes no value (or true/false)")
        return _leaf(getter, condition, None, inline, flip=not expect)
    if condition.arity == VALUES:
        _only_keys(node, {"Condition", key_name, "Values"}, path)
        return _leaf(getter, condition, _values(node, path), inline)
    allowed = {"Condition", key_name, "Value"} | ({"Values"} if condition.accepts_values else set())
    _only_keys(node, allowed, path)
    if condition.accepts_values and "Values" in node:
        if "Value" in node:
            raise SimpleDetectionError(path, "give either Value or Values, not both")
        options = tuple(
            _prepare(condition, v, f"{path}.Values[{i}]") for i, v in enumerate(_values(node, path))
        )
        return _any_leaf(getter, condition, options, inline)
    if "Value" not in node:
        raise SimpleDetectionError(path, f"{condition.name} needs a Value")
    expected = node["Value"]
    if not isinstance(expected, _SCALARS):
        raise SimpleDetectionError(
            f"{path}.Value", f"must be a string, number or boolean, got {type(expected).__name__}"
        )
    return _leaf(getter, condition, _prepare(condition, expected, f"{path}.Value"), inline)


def _only_keys(node: Mapping[str, Any], allowed: set[str], path: str) -> None:
    extra = sorted(str(key) for key in node if key not in allowed)
    if extra:
        raise SimpleDetectionError(
            f"{path}.{extra[0]}", f"unexpected key for {node.get('Condition', 'this expression')}"
        )


def _values(node: Mapping[str, Any], path: str) -> tuple[Any, ...]:
    values = node.get("Values")
    if not isinstance(values, list) or not values:
        raise SimpleDetectionError(f"{path}.Values", "must be a non-empty list")
    for index, value in enumerate(values):
        if not isinstance(value, _SCALARS):
            raise SimpleDetectionError(f"{path}.Values[{index}]", "must be a string, number or boolean")
    return tuple(values)


def _prepare(condition: Condition, value: Any, path: str) -> Any:
    if condition.prepare is None:
        return value
    try:
        return condition.prepare(value)
    except ValueError as exc:
        raise SimpleDetectionError(path, str(exc)) from None


def _safe(test: Callable[..., bool], *args: Any) -> bool:
    try:
        return bool(test(*args))
    except Exception:  # noqa: BLE001 - odd event values never break a detection; they just do not match
        return False


def _leaf(
    getter: KeyGetter, condition: Condition, expected: Any, inline: bool, flip: bool = False
) -> Matcher:
    negate = condition.negated != flip
    unary = condition.arity == UNARY

    def test(actual: Any) -> bool:
        return _safe(condition.test, actual) if unary else _safe(condition.test, actual, expected)

    def match(event: Mapping[str, Any]) -> bool:
        actual = getter(event)
        if actual is MISSING and inline and not condition.null_check:
            return True
        if getter.wildcard and actual is not MISSING:
            # A [*] path yields every value it reached: null checks need all of them to be null,
            # other conditions hold when any one value satisfies them.
            positive = all(map(test, actual)) if condition.null_check else any(map(test, actual))
        else:
            positive = test(actual)
        return positive != negate

    return match


def _any_leaf(getter: KeyGetter, condition: Condition, options: tuple[Any, ...], inline: bool) -> Matcher:
    """A condition given several Values (such as CIDR blocks): positive when any one holds."""

    def match(event: Mapping[str, Any]) -> bool:
        actual = getter(event)
        if actual is MISSING and inline:
            return True
        candidates = actual if getter.wildcard and actual is not MISSING else [actual]
        positive = any(_safe(condition.test, a, o) for a in candidates for o in options)
        return positive != condition.negated

    return match


def _compile_multi_key(node: Mapping[str, Any], condition: Condition, path: str, inline: bool) -> Matcher:
    """Compare two event keys with each other: ``Values: [<key>, <key>]``."""
    _only_keys(node, {"Condition", "Values"}, path)
    keys = node["Values"]
    if not isinstance(keys, list) or len(keys) != 2 or not all(isinstance(k, Mapping) for k in keys):
        raise SimpleDetectionError(f"{path}.Values", "must list exactly two key specifiers to compare")
    left, right = (compile_key(k, f"{path}.Values[{i}]") for i, k in enumerate(keys))
    for index, key in enumerate(keys):
        if len(key) != 1:
            raise SimpleDetectionError(f"{path}.Values[{index}]", "must hold only a key specifier")

    def spread(getter: KeyGetter, value: Any) -> list[Any]:
        return list(value) if getter.wildcard and value is not MISSING else [value]

    def match(event: Mapping[str, Any]) -> bool:
        first, second = left(event), right(event)
        if inline and (first is MISSING or second is MISSING):
            return True
        if second is MISSING or second is None:
            positive = False
        else:
            positive = any(
                _safe(condition.test, a, b) for a in spread(left, first) for b in spread(right, second)
            )
        return positive != condition.negated

    return match


def _compile_elements(node: Mapping[str, Any], condition: Condition, path: str, inline: bool) -> Matcher:
    """List comprehension: count the elements of a list that satisfy every nested expression."""
    key_name = next((spec for spec in KEY_SPECIFIERS if spec in node), None)
    if key_name is None:
        raise SimpleDetectionError(path, f"{condition.name} needs a key specifier naming a list")
    _only_keys(node, {"Condition", key_name, "Expressions"}, path)
    getter = compile_key(node, path)
    if "Expressions" not in node:
        raise SimpleDetectionError(path, f"{condition.name} needs Expressions")
    if node["Expressions"] is None or node["Expressions"] == []:
        raise SimpleDetectionError(f"{path}.Expressions", "must hold at least one match expression")
    element_matches = compile_match(node["Expressions"], where=f"{path}.Expressions", inline_filter=inline)
    when_missing = condition.name == "NoElement"

    def match(event: Mapping[str, Any]) -> bool:
        value = getter(event)
        if value is MISSING and inline:
            return True
        if not is_sequence(value):
            return when_missing
        elements = list(value)
        hits = sum(1 for element in elements if _safe(element_matches, element))
        return bool(condition.test(hits, len(elements)))

    return match


def _compile_combinator(node: Mapping[str, Any], present: list[str], path: str, inline: bool) -> Matcher:
    if len(node) != 1:
        other = min(str(key) for key in node if key != present[0])
        raise SimpleDetectionError(f"{path}.{other}", f"a combinator ({present[0]}) must be the only key")
    name = present[0]
    children = node[name]
    where = f"{path}.{name}"
    if not isinstance(children, list):
        raise SimpleDetectionError(where, "must be a list of match expressions")
    matchers = [_compile_node(child, f"{where}[{i}]", inline) for i, child in enumerate(children)]
    if name == "All":
        return lambda event: all(m(event) for m in matchers)
    if name == "Any":
        return lambda event: any(m(event) for m in matchers)
    if name == "None":
        return lambda event: not any(m(event) for m in matchers)

    def only_one(event: Mapping[str, Any]) -> bool:
        hits = 0
        for matcher in matchers:
            if matcher(event):
                hits += 1
                if hits > 1:
                    return False
        return hits == 1

    return only_one
