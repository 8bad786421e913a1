"""What the analysis of a Python expression knows about it, as necessary conditions on the event."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from onca.detect.index.formula import is_text, NEVER, Atom, Formula, KeyPath, Unknown


@dataclass(frozen=True)
class Facts:
    """For one expression (or one function body, for what it returns):

    ``true``/``false``: needed for it to give a truthy/falsy value without raising;
    ``risk``: needed for it to raise or to do anything but read the event;
    ``other``: needed for it to give something that is not a bool;
    ``values``: when known, every constant it can give, each with what is needed for it to give that one."""

    true: Formula
    false: Formula
    risk: Formula
    other: Formula
    values: Mapping[Any, Formula] | None = None


def unknown_facts(reason: str) -> Facts:
    unknown = Unknown(reason)
    return Facts(unknown, unknown, unknown, unknown)


@dataclass(frozen=True)
class Value:
    """An event value read at ``path``; ``on_null`` lists what the expression can give when that path
    reads missing or null (``event.get(k, d)``: None or d; ``deep_get(..., default=d)``: d)."""

    path: KeyPath
    on_null: tuple[Any, ...]

    def equal_atom(self, strings: frozenset[str]) -> Atom:
        """Needed for the expression to equal one of ``strings`` (Python ``==``: only text equals text)."""
        absent = any(is_text(result) and result in strings for result in self.on_null)
        return Atom(self.path, strings, absent=absent)

    def prefix_atom(self, prefixes: frozenset[str]) -> Atom:
        """Needed for the expression to be text starting with one of ``prefixes``."""
        absent = any(is_text(result) and result.startswith(tuple(prefixes)) for result in self.on_null)
        return Atom(self.path, absent=absent, prefixes=prefixes)

    def not_text_atom(self) -> Atom:
        """Needed for the expression to give something other than text (string methods raise then)."""
        return Atom(self.path, absent=any(not is_text(result) for result in self.on_null), other=True)

    def unhashable_atom(self) -> Atom:
        """Needed for the expression to give an unhashable value (set membership raises then)."""
        return Atom(self.path, absent=any(not isinstance(r, Hashable) for r in self.on_null), other=True)


@dataclass(frozen=True)
class Term:
    """An analysed expression. ``kind``: ``event`` (the event itself), ``value`` (an event value),
    ``strings`` (a string constant or a constant collection of strings) or ``plain`` (anything else).
    ``shape`` is the Python type of a ``strings`` term: str, tuple, list, set or frozenset."""

    facts: Facts
    kind: str = "plain"
    value: Value | None = None
    strings: frozenset[str] = frozenset()
    shape: type = str

    def settled(self) -> Term:
        """The term as read again from a local variable: evaluating it already happened."""
        return replace(self, facts=replace(self.facts, risk=NEVER))


CONSTANT_TYPES = (str, bool, int, type(None))


def constant_facts(value: Any, where: str) -> Facts:
    return Facts(
        true=Unknown(f"{where} is always true", weak=True) if value else NEVER,
        false=NEVER if value else Unknown(f"{where} is always false", weak=True),
        risk=NEVER,
        other=NEVER
        if isinstance(value, bool)
        else Unknown(f"{where} is a {type(value).__name__}, not a bool"),
        values={value: Unknown(f"{where} is a constant", weak=True)}
        if type(value) in CONSTANT_TYPES
        else None,
    )


def safe_facts(where: str, risk: Formula = NEVER, other: Formula = NEVER) -> Facts:
    """An expression known not to raise (beyond ``risk``) whose truth says nothing about key values."""
    unknown = Unknown(f"{where} narrows no key to a set of values", weak=True)
    return Facts(unknown, unknown, risk, other)
