"""Simple-detection match expressions (``Detection``, ``InlineFilters``) read as conditions.

Mirrors src/onca/detect/simple/compiler.py: only ``Equals``/``IsIn``/``StartsWith`` (and their negations)
on a key path of plain keys with string values are read. Their test is ``loose_equal``: text equals text exactly, but a
number or boolean may equal a string ("403" == 403), so any non-text value stays a candidate. In
``InlineFilters`` a missing key lets the event through. The compiled predicates never raise.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from onca.detect.index.formula import is_text, NEVER, Atom, Formula, KeyPath, Unknown, all_of, any_of
from onca.detect.simple.paths import parse_key_path

_POSITIVE = {"Equals": "Value", "IsIn": "Values", "StartsWith": "Value"}
_NEGATIVE = {"DoesNotEqual": "Value", "IsNotIn": "Values", "DoesNotStartWith": "Value"}
_PREFIX = ("StartsWith", "DoesNotStartWith")
_KEYS = ("Key", "DeepKey", "KeyPath", "Enrichment")


@dataclass(frozen=True)
class Truth:
    true: Formula  # needed for the expression to match
    false: Formula  # needed for it not to match


def match_truth(expr: Any, *, inline: bool, where: str) -> Truth:
    if expr is None or (isinstance(expr, list) and not expr):
        if inline:
            return Truth(Unknown(f"{where} is empty: every event passes", weak=True), NEVER)
        return _unknown(where, "is empty")
    if isinstance(expr, Mapping):
        return _node(expr, inline, where)
    if not isinstance(expr, list):
        return _unknown(where, "is not a list of match expressions")
    return _all([_node(node, inline, f"{where}[{i}]") for i, node in enumerate(expr)])


def _unknown(where: str, why: str = "is not a condition the index reads") -> Truth:
    unknown = Unknown(f"{where} {why}")
    return Truth(unknown, unknown)


def _all(parts: list[Truth]) -> Truth:
    return Truth(all_of(*(p.true for p in parts)), any_of(*(p.false for p in parts)))


def _any(parts: list[Truth]) -> Truth:
    return Truth(any_of(*(p.true for p in parts)), all_of(*(p.false for p in parts)))


def _node(node: Any, inline: bool, where: str) -> Truth:
    if not isinstance(node, Mapping):
        return _unknown(where)
    combinators = [name for name in ("All", "Any", "OnlyOne", "None") if name in node]
    if combinators:
        name = combinators[0]
        children = node[name]
        if len(node) != 1 or not isinstance(children, list):
            return _unknown(where)
        parts = [_node(child, inline, f"{where}.{name}[{i}]") for i, child in enumerate(children)]
        if not parts:  # all([]) and not any([]) hold; any([]) and "exactly one of none" do not
            holds = name in ("All", "None")
            reason = Unknown(f"{where}.{name} is empty and always {'true' if holds else 'false'}", weak=True)
            return Truth(reason, NEVER) if holds else Truth(NEVER, reason)
        if name == "All":
            return _all(parts)
        if name == "Any":
            return _any(parts)
        if name == "None":
            negated = _any(parts)
            return Truth(negated.false, negated.true)
        return Truth(
            any_of(*(p.true for p in parts)), Unknown(f"{where}.OnlyOne may fail on any event", weak=True)
        )
    return _leaf(node, inline, where)


def _leaf(node: Mapping[str, Any], inline: bool, where: str) -> Truth:
    condition = node.get("Condition")
    if condition == "AlwaysTrue" and len(node) == 1:
        return Truth(Unknown(f"{where} is AlwaysTrue", weak=True), NEVER)
    if condition == "AlwaysFalse" and len(node) == 1:
        return Truth(NEVER, Unknown(f"{where} is AlwaysFalse", weak=True))
    argument = _POSITIVE.get(condition) or _NEGATIVE.get(condition)
    keys = [key for key in _KEYS if key in node]
    if argument is None or len(keys) != 1 or set(node) != {"Condition", keys[0], argument}:
        return _unknown(where)
    path = _path(keys[0], node[keys[0]])
    raw = node[argument]
    values = [raw] if argument == "Value" else raw
    if path is None or not isinstance(values, list) or not values or not all(is_text(v) for v in values):
        return _unknown(where)
    unknown = Unknown(f"{where} ({condition}) narrows no key to a set of values", weak=True)
    # Equal: the text itself, or (loose_equal) any non-text value; in InlineFilters also a missing key.
    texts = frozenset(values)
    # StartsWith compares the text form of numbers and booleans too: any non-text value may match.
    exact, prefixes = (frozenset(), texts) if condition in _PREFIX else (texts, frozenset())
    if condition in _POSITIVE:
        return Truth(Atom(path, exact, absent=inline, other=True, prefixes=prefixes), unknown)
    # The negations fail only on a present value that matches.
    return Truth(unknown, Atom(path, exact, other=True, prefixes=prefixes))


def _path(kind: str, spec: Any) -> KeyPath | None:
    """The key path as ``deep_get`` reads it, when the key specifier walks only through maps."""
    if kind == "Key":
        return (spec,) if isinstance(spec, str) and spec and spec != "*" else None
    if kind == "DeepKey":
        steps = tuple(spec) if isinstance(spec, list) else ()
    elif kind == "KeyPath":
        try:
            steps = parse_key_path(spec, kind)
        except ValueError:
            return None
    else:
        return None
    if not steps or not all(is_text(step) for step in steps):
        return None
    # "*" walks every list element; past the first step a digit key also indexes a list: deep_get does neither.
    if "*" in steps or any(step.lstrip("-").isdigit() for step in steps[1:]):
        return None
    return steps
