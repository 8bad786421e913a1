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
    """The value at ``path`` (as ``event.deep_get(*path)`` reads it) is one of ``values``, text starting
    with one of ``prefixes``, or text holding every substring of one of ``contains``; or, when ``absent``,
    it is missing or null; or, when ``other``, it is neither text nor null."""

    path: KeyPath
    values: frozenset[str] = frozenset()
    absent: bool = False
    other: bool = False
    prefixes: frozenset[str] = frozenset()
    contains: frozenset[tuple[str, ...]] = frozenset()

    @property
    def empty(self) -> bool:
        return not (self.values or self.prefixes or self.contains or self.absent or self.other)

    @property
    def universal(self) -> bool:
        """Holds for every value: any text, missing/null and anything else."""
        return self.absent and self.other and "" in self.prefixes

    def within(self, other: Atom) -> bool:
        """Whether every value this atom holds, ``other`` holds too (judged from their parts)."""
        return (
            all(other.text_holds(value) for value in self.values)
            # Text starting with a prefix starts with what the prefix starts with, and contains what it does.
            and all(
                prefix.startswith(tuple(other.prefixes))
                or any(all(part in prefix for part in parts) for parts in other.contains)
                for prefix in self.prefixes
            )
            and all(
                "" in other.prefixes or any(set(theirs) <= set(ours) for theirs in other.contains)
                for ours in self.contains
            )
            and (other.absent or not self.absent)
            and (other.other or not self.other)
        )

    def text_holds(self, text: str) -> bool:
        """Whether ``text`` satisfies the atom."""
        return (
            text in self.values
            or text.startswith(tuple(self.prefixes))
            or any(all(part in text for part in parts) for parts in self.contains)
        )

    def union(self, other: Atom) -> Atom:
        return Atom(
            self.path,
            self.values | other.values,
            self.absent or other.absent,
            self.other or other.other,
            self.prefixes | other.prefixes,
            self.contains | other.contains,
        )

    def intersection(self, other: Atom) -> Atom:
        """Every value both atoms hold (or, where that has no exact form, a few more)."""
        values = {v for v in self.values if other.text_holds(v)} | {v for v in other.values if self.text_holds(v)}
        # Two prefixes agree on the texts that start with the longer one, if one extends the other.
        prefixes = {
            max(p, q, key=len)
            for p in self.prefixes
            for q in other.prefixes
            if p.startswith(q) or q.startswith(p)
        }
        # Text holding both sets of substrings holds their union; text with a prefix and substrings is
        # kept as the prefix alone (a superset).
        contains = {tuple(sorted(set(a) | set(b))) for a in self.contains for b in other.contains}
        prefixes |= {p for p in self.prefixes if other.contains} | {q for q in other.prefixes if self.contains}
        return Atom(
            self.path,
            frozenset(values),
            self.absent and other.absent,
            self.other and other.other,
            frozenset(prefixes),
            frozenset(contains),
        )

    def describe(self) -> str:
        parts = [repr(value) for value in sorted(self.values)]
        parts += [f"{prefix!r}..." for prefix in sorted(self.prefixes)]
        parts += ["..." + "...".join(repr(piece) for piece in pieces) + "..." for pieces in sorted(self.contains)]
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


# A conjunction of atoms, one per key path, and a disjunction of those; () holds for no event.
Clause = Mapping[KeyPath, Atom]
Guard = tuple[Clause, ...]
Cost = Callable[[Guard], float]
MAX_CLAUSES = 8  # per rule: past this, a conjunction keeps fewer of its parts
MAX_ATOMS = 3  # per clause


def reduce(formula: Formula, cost: Cost) -> Guard | Unknown:
    """A guard that every event satisfying ``formula`` satisfies, or Unknown. A conjunction keeps as many
    of its parts as the bounds allow (each part is itself a necessary condition), the most selective
    first by ``cost``."""
    if isinstance(formula, Unknown):
        return formula
    if isinstance(formula, Atom):
        if formula.universal:
            return Unknown(f"{formula.describe()} holds for every event", weak=True)
        return () if formula.empty else ({formula.path: formula},)
    reduced = [reduce(item, cost) for item in formula.items]
    unknown: Unknown | None = None
    for item in reduced:
        if isinstance(item, Unknown):
            unknown = _stronger(unknown, item)
    known = [item for item in reduced if not isinstance(item, Unknown)]
    if isinstance(formula, AnyOf):
        if unknown is not None:
            return unknown
        merged = disjoin(known)
        if any(not clause for clause in merged):
            parts = " or ".join(_describe(guard) for guard in known)
            return Unknown(f"{parts} holds for every event", weak=True)
        return merged
    if not known:
        assert unknown is not None
        return unknown
    ordered = sorted(known, key=cost)
    guard = ordered[0]
    for part in ordered[1:]:
        product = _product(guard, part, cost)
        if product is not None:
            guard = product
    return guard


def disjoin(guards: list[Guard]) -> Guard:
    """One guard holding wherever any of ``guards`` holds: clauses of one atom on the same key path are
    merged, and clauses that another clause covers are dropped."""
    single: dict[KeyPath, Atom] = {}
    several: dict[frozenset[tuple[KeyPath, Atom]], Clause] = {}
    for guard in guards:
        for clause in guard:
            clause = {path: atom for path, atom in clause.items() if not atom.universal}
            if not clause:
                return ({},)  # holds for every event
            if len(clause) == 1:
                ((path, atom),) = clause.items()
                single[path] = single[path].union(atom) if path in single else atom
            else:
                several.setdefault(frozenset(clause.items()), clause)
    clauses: list[Clause] = [{path: atom} for path, atom in single.items()]
    if any(atom.universal for atom in single.values()):
        return ({},)
    for clause in sorted(several.values(), key=len):
        if not any(_covers(kept, clause) for kept in clauses):
            clauses.append(clause)
    return tuple(clauses)


def _describe(guard: Guard) -> str:
    return " or ".join(" and ".join(atom.describe() for atom in clause.values()) for clause in guard)


def _covers(wider: Clause, narrower: Clause) -> bool:
    """Whether every event ``narrower`` lets through, ``wider`` does too."""
    return all(path in narrower and narrower[path].within(atom) for path, atom in wider.items())


def _product(left: Guard, right: Guard, cost: Cost) -> Guard | None:
    """``left and right`` as one guard (a clause past MAX_ATOMS keeps its most selective atoms), None
    when that has more than MAX_CLAUSES clauses."""
    clauses: list[Clause] = []
    for a in left:
        for b in right:
            clause = dict(a)
            for path, atom in b.items():
                clause[path] = clause[path].intersection(atom) if path in clause else atom
            if any(atom.empty for atom in clause.values()):
                continue  # the two can never hold together
            if len(clause) > MAX_ATOMS:
                kept = sorted(clause.items(), key=lambda item: cost(({item[0]: item[1]},)))[:MAX_ATOMS]
                clause = dict(kept)
            clauses.append(clause)
    product = disjoin([tuple(clauses)])
    if any(not clause for clause in product):
        return left  # the right side narrows nothing
    return None if len(product) > MAX_CLAUSES else product
