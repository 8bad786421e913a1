"""What the analysis of a Python expression knows about it, as necessary conditions on the event."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from onca.detect.index.formula import is_text, NEVER, Atom, Formula, KeyPath, Unknown, all_of, any_of


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
class SomeText:
    """Text not known when the index is built, beyond that it starts with ``prefix``."""

    prefix: str = ""


class _AnyValue:
    def __repr__(self) -> str:
        return "ANY_VALUE"


ANY_VALUE: Any = _AnyValue()  # a value not known when the index is built: anything at all


def _may(result: Any, test: Callable[[Any], bool], text: Callable[[SomeText], bool]) -> bool:
    """Whether ``result`` (a known value, SomeText or ANY_VALUE) can pass ``test``."""
    if result is ANY_VALUE:
        return True
    if isinstance(result, SomeText):
        return text(result)
    return test(result)


@dataclass(frozen=True)
class Value:
    """An event value read at ``path``; ``on_null`` lists what the expression can give when that path
    reads missing or null (``event.get(k, d)``: None or d; ``deep_get(..., default=d)``: d). A default
    the index cannot know in advance is SomeText or ANY_VALUE."""

    path: KeyPath
    on_null: tuple[Any, ...]

    def may_give(self, test: Callable[[Any], bool], text: Callable[[SomeText], bool]) -> bool:
        """Whether the expression can give a value passing ``test`` when the path reads missing or null
        (``text`` answers for text known only by its prefix)."""
        return any(_may(result, test, text) for result in self.on_null)

    def equal_atom(self, strings: frozenset[str]) -> Atom:
        """Needed for the expression to equal one of ``strings`` (Python ``==``: only text equals text)."""
        absent = self.may_give(
            lambda r: is_text(r) and r in strings, lambda t: any(s.startswith(t.prefix) for s in strings)
        )
        return Atom(self.path, strings, absent=absent)

    def prefix_atom(self, prefixes: frozenset[str]) -> Atom:
        """Needed for the expression to be text starting with one of ``prefixes``."""
        absent = self.may_give(
            lambda r: is_text(r) and r.startswith(tuple(prefixes)),
            lambda t: any(p.startswith(t.prefix) or t.prefix.startswith(p) for p in prefixes),
        )
        return Atom(self.path, absent=absent, prefixes=prefixes)

    def text_atom(self, holds: Callable[[str], bool], **condition: Any) -> Atom:
        """Needed for the expression to be text for which ``holds``: the text condition ``condition``
        (prefixes= or contains=) on a present value, or a default that may pass."""
        absent = self.may_give(lambda r: is_text(r) and holds(r), lambda t: True)
        return Atom(self.path, absent=absent, **condition)

    def not_text_atom(self) -> Atom:
        """Needed for the expression to give something other than text (string methods raise then)."""
        return Atom(self.path, absent=self.may_give(lambda r: not is_text(r), lambda t: False), other=True)

    def unhashable_atom(self) -> Atom:
        """Needed for the expression to give an unhashable value (set membership raises then)."""
        absent = self.may_give(lambda r: not isinstance(r, Hashable), lambda t: False)
        return Atom(self.path, absent=absent, other=True)

    def present_atom(self, on_null: Callable[[Any], bool]) -> Atom:
        """Needed for the expression to give anything the path holds, or a default passing ``on_null``."""
        return Atom(self.path, absent=self.may_give(on_null, lambda t: True), other=True, prefixes=ANY_PREFIX)

    def truthy_atom(self) -> Atom:
        """Needed for the expression to be truthy: a present value (text, or anything else) or a truthy
        default."""
        return self.present_atom(bool)

    def falsy_atom(self) -> Atom:
        """Needed for the expression to be falsy: "", missing/null, or a non-text value (0, False, [], {})."""
        absent = self.may_give(lambda r: not r, lambda t: not t.prefix)
        return Atom(self.path, frozenset([""]), absent=absent, other=True)


ANY_PREFIX = frozenset([""])  # every text starts with ""


@dataclass(frozen=True)
class Term:
    """An analysed expression. ``kind``: ``event`` (the event itself), ``mapping`` (the plain mapping a
    data model method gets), ``value`` (an event value), ``strings`` (a string constant or a constant
    collection of strings), ``text`` (a str whose content is not known beyond ``text.prefix``) or
    ``plain`` (anything else). ``shape`` is the Python type of a ``strings`` term: str, tuple, list, set,
    frozenset, or dict (a dict display with those keys; ``truthy`` when every value in it is truthy)."""

    facts: Facts
    kind: str = "plain"
    value: Value | None = None
    strings: frozenset[str] = frozenset()
    shape: type = str
    text: SomeText | None = None
    truthy: bool = False

    def settled(self) -> Term:
        """The term as read again from a local variable: evaluating it already happened."""
        return replace(self, facts=replace(self.facts, risk=NEVER))


CONSTANT_TYPES = (str, bool, int, type(None))
# Built-in types whose instances can never change class: what isinstance says of them is fixed.
EXACT_TYPES = (str, bytes, int, float, bool, type(None), tuple, list, dict, set, frozenset)


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


def collection_facts(nonempty: bool, where: str, shape: type) -> Facts:
    """A constant collection (or string): truthy when not empty, and never a bool."""
    return Facts(
        true=Unknown(f"{where} is always true", weak=True) if nonempty else NEVER,
        false=NEVER if nonempty else Unknown(f"{where} is always false", weak=True),
        risk=NEVER,
        other=Unknown(f"{where} is a {shape.__name__}, not a bool"),
    )


def text_term(where: str, text: SomeText, risk: Formula = NEVER) -> Term:
    """Text whose content is not known beyond ``text.prefix``."""
    unknown = Unknown(f"{where} narrows no key to a set of values", weak=True)
    facts = Facts(unknown, NEVER if text.prefix else unknown, risk, Unknown(f"{where} is text, not a bool"))
    return Term(facts, "text", text=text)


def safe_facts(where: str, risk: Formula = NEVER, other: Formula = NEVER) -> Facts:
    """An expression known not to raise (beyond ``risk``) whose truth says nothing about key values."""
    unknown = Unknown(f"{where} narrows no key to a set of values", weak=True)
    return Facts(unknown, unknown, risk, other)


def branches(test: Facts, then: Facts, otherwise: Facts) -> Facts:
    """``if test: <then> else: <otherwise>``, each branch followed by what comes after the ``if``."""

    def part(name: str) -> Formula:
        return any_of(all_of(test.true, getattr(then, name)), all_of(test.false, getattr(otherwise, name)))

    values = None
    if then.values is not None and otherwise.values is not None:
        values = {
            value: any_of(
                all_of(test.true, then.values[value]) if value in then.values else NEVER,
                all_of(test.false, otherwise.values[value]) if value in otherwise.values else NEVER,
            )
            for value in [*then.values, *otherwise.values]
        }
    return Facts(part("true"), part("false"), any_of(test.risk, part("risk")), part("other"), values)
