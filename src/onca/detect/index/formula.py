"""Necessary conditions on an event: what must hold of it for a rule to do anything at all.

A formula is built from atoms ("the value at this key path is one of these strings") with ``all_of`` and
``any_of``. ``Unknown`` stands for "no condition we can state" (any event may do) and carries the reason,
so the rules the index cannot narrow say why. ``NEVER`` is the empty disjunction: no event does.

``reduce`` turns a formula into a ``Guard``: a disjunction of atoms, at most one per key path, which is
what the lookup tables hold. A conjunction keeps one of its parts (any part of a conjunction is itself
a necessary condition), the one the cost function finds most selective.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

KeyPath = tuple[str, ...]


def is_text(value: Any) -> bool:
    """Exactly a str: a subclass may compare in its own way."""
    return type(value) is str  # noqa: E721 - the exact type is the point


@dataclass(frozen=True)
class Atom:
    """The value at ``path`` (as ``event.deep_get(*path)`` reads it) is one of ``values`` or text starting
    with one of ``prefixes``; or, when ``absent``, it is missing or null; or, when ``other``, it is
    neither text nor null."""

    path: KeyPath
    values: frozenset[str] = frozenset()
    absent: bool = False
    other: bool = False
    prefixes: frozenset[str] = frozenset()

    @property
    def empty(self) -> bool:
        return not (self.values or self.prefixes or self.absent or self.other)

    def union(self, other: Atom) -> Atom:
        return Atom(
            self.path,
            self.values | other.values,
            self.absent or other.absent,
            self.other or other.other,
            self.prefixes | other.prefixes,
        )

    def intersection(self, other: Atom) -> Atom:
        values = {v for v in self.values if v in other.values or v.startswith(tuple(other.prefixes))}
        values |= {v for v in other.values if v.startswith(tuple(self.prefixes))}
        # Two prefixes agree on the texts that start with the longer one, if one extends the other.
        prefixes = {
            max(p, q, key=len)
            for p in self.prefixes
            for q in other.prefixes
            if p.startswith(q) or q.startswith(p)
        }
        return Atom(
            self.path,
            frozenset(values),
            self.absent and other.absent,
            self.other and other.other,
            frozenset(prefixes),
        )

    def describe(self) -> str:
        parts = [repr(value) for value in sorted(self.values)]
        parts += [f"{prefix!r}..." for prefix in sorted(self.prefixes)]
        if self.absent:
            parts.append("missing/null")
        if self.other:
            parts.append("non-text")
        return f"{'.'.join(self.path)} in {{{', '.join(parts)}}}"


@dataclass(frozen=True)
class Unknown:
    """Any event may satisfy it; ``reason`` says why nothing narrower is known. A ``weak`` reason (a
    condition that narrows nothing) gives way to a strong one (code the index cannot read) in reports."""

    reason: str
    weak: bool = False


def _stronger(current: Unknown | None, candidate: Unknown) -> Unknown:
    return candidate if current is None or (current.weak and not candidate.weak) else current


@dataclass(frozen=True)
class AllOf:
    items: tuple[Formula, ...]


@dataclass(frozen=True)
class AnyOf:
    items: tuple[Formula, ...]


Formula = Atom | Unknown | AllOf | AnyOf
NEVER = AnyOf(())


def all_of(*items: Formula) -> Formula:
    parts: list[Formula] = []
    unknown: Unknown | None = None
    for item in items:
        if isinstance(item, Unknown):
            unknown = _stronger(unknown, item)
        elif item == NEVER or (isinstance(item, Atom) and item.empty):
            return NEVER
        elif isinstance(item, AllOf):
            parts.extend(item.items)
        else:
            parts.append(item)
    if not parts:
        return unknown or Unknown("no condition")
    return parts[0] if len(parts) == 1 else AllOf(tuple(parts))


def any_of(*items: Formula) -> Formula:
    parts: list[Formula] = []
    unknown: Unknown | None = None
    for item in items:
        if isinstance(item, Unknown):
            unknown = _stronger(unknown, item)
            if not unknown.weak:
                return unknown
            continue
        if unknown is not None:
            continue
        if item == NEVER or (isinstance(item, Atom) and item.empty):
            continue
        if isinstance(item, AnyOf):
            parts.extend(item.items)
        else:
            parts.append(item)
    if unknown is not None:
        return unknown
    if not parts:
        return NEVER
    return parts[0] if len(parts) == 1 else AnyOf(tuple(parts))


def atoms(formula: Formula) -> Iterator[Atom]:
    if isinstance(formula, Atom):
        yield formula
    elif isinstance(formula, AllOf | AnyOf):
        for item in formula.items:
            yield from atoms(item)


# A disjunction of atoms, one per key path; {} matches no event.
Guard = Mapping[KeyPath, Atom]
Cost = Callable[[Guard], float]


def merge(guards: list[Guard]) -> Guard:
    merged: dict[KeyPath, Atom] = {}
    for guard in guards:
        for path, atom in guard.items():
            merged[path] = merged[path].union(atom) if path in merged else atom
    return merged


def reduce(formula: Formula, cost: Cost) -> Guard | Unknown:
    """The cheapest guard that every event satisfying ``formula`` satisfies, or Unknown."""
    if isinstance(formula, Unknown):
        return formula
    if isinstance(formula, Atom):
        return {} if formula.empty else {formula.path: formula}
    reduced = [reduce(item, cost) for item in formula.items]
    unknown: Unknown | None = None
    for item in reduced:
        if isinstance(item, Unknown):
            unknown = _stronger(unknown, item)
    if isinstance(formula, AnyOf):
        return unknown or merge([item for item in reduced if not isinstance(item, Unknown)])
    known = [item for item in reduced if not isinstance(item, Unknown)]
    if not known:
        assert unknown is not None
        return unknown
    # Conditions on one key path combine exactly: both must hold of the same value.
    single: dict[KeyPath, Atom] = {}
    choices: list[Guard] = []
    for guard in known:
        if len(guard) == 1:
            ((path, atom),) = guard.items()
            single[path] = single[path].intersection(atom) if path in single else atom
        else:
            choices.append(guard)
    choices += [{} if atom.empty else {path: atom} for path, atom in single.items()]
    return min(choices, key=cost)
