"""The rule index: per key path, a table from value to the guard clauses that value lets through.

Each rule's condition (extract.py) is reduced to a guard: clauses, each a conjunction of atoms on
distinct key paths. Every clause has a bit; per key path the tables hold, for each string value,
prefix and set of substrings, the bits of the clauses whose atom on that path holds it, plus the bits
for a missing/null value and for any other value. An event keeps the clauses whose atoms all hold: for
each path, its bits are and-ed with the table's answer or-ed with the bits of clauses that do not
constrain the path. A path whose clauses are all dead already is not read at all. The tuple of rules
a set of surviving clauses selects (plus every unguarded rule) is cached.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from onca.detect.index.extract import detection_formula
from onca.detect.index.formula import Atom, Formula, Guard, KeyPath, Unknown, atoms, reduce
from onca.detect.index.lookup import compile_lookup
from onca.detect.index.sources import Sources
from onca.detect.runner import Detection

_MISSING: Any = object()
CACHE_LIMIT = 4096  # candidate tuples kept, one per distinct set of surviving clauses
SHAPES_LIMIT = 1024  # events' key lists whose case-folded keys are kept
PATH_LOOKUP_COST = 0.1  # one key path's lookup per event, against one run of a rule


@dataclass(frozen=True)
class GuardReport:
    """What the index knows of one rule: ``guard`` (clauses, any of which lets an event through; each
    clause's atoms must all hold) when guarded, else ``reason``."""

    detection_id: str
    guard: tuple[tuple[Atom, ...], ...] | None
    reason: str = ""

    @property
    def guarded(self) -> bool:
        return self.guard is not None

    @property
    def atoms(self) -> tuple[Atom, ...]:
        return tuple(atom for clause in self.guard or () for atom in clause)

    def describe(self) -> str:
        if self.guard is None:
            return f"unguarded: {self.reason}"
        if not self.guard:
            return "never runs: no event can make it alert or fail"
        clauses = [" and ".join(atom.describe() for atom in clause) for clause in self.guard]
        if len(clauses) > 1:
            clauses = [f"({text})" if len(clause) > 1 else text for text, clause in zip(clauses, self.guard)]
        return " or ".join(clauses)


class _Table:
    __slots__ = ("path", "exact", "prefixes", "contains", "absent", "other", "constrained", "atoms")

    def __init__(self, path: KeyPath) -> None:
        self.path = path
        self.exact: dict[str, int] = {}
        self.prefixes: dict[str, int] = {}
        self.contains: dict[tuple[str, ...], int] = {}
        self.absent = 0
        self.other = 0
        self.constrained = 0  # clauses with an atom on this path
        self.atoms: list[tuple[int, Atom]] = []  # (clause bit, its atom here)

    def add(self, atom: Atom, bit: int) -> None:
        self.constrained |= bit
        self.atoms.append((bit, atom))
        for value in atom.values:
            self.exact[value] = self.exact.get(value, 0) | bit
        for prefix in atom.prefixes:
            self.prefixes[prefix] = self.prefixes.get(prefix, 0) | bit
        for parts in atom.contains:
            self.contains[parts] = self.contains.get(parts, 0) | bit
        if atom.absent:
            self.absent |= bit
        if atom.other:
            self.other |= bit


class _Plan:
    """The tables for one data model: what ``candidates`` reads."""

    def __init__(self, detections: tuple[Detection, ...], formulas: list[Formula]) -> None:
        first = [reduce(formula, _cost_function(formulas, {})) for formula in formulas]
        # Again, now charging each key path its lookup on every event, shared by the rules that use it.
        usage: dict[KeyPath, int] = {}
        for guard in first:
            for path in {path for clause in guard for path in clause} if not isinstance(guard, Unknown) else ():
                usage[path] = usage.get(path, 0) + 1
        cost = _cost_function(formulas, usage)
        reduced = [reduce(formula, cost) for formula in formulas]
        self.reports = [
            GuardReport(d.id, None, g.reason) if isinstance(g, Unknown) else GuardReport(d.id, _ordered(g))
            for d, g in zip(detections, reduced, strict=True)
        ]
        always: list[int] = []
        owners: list[int] = []  # clause bit -> rule position
        tables: dict[KeyPath, _Table] = {}
        for position, guard in enumerate(reduced):
            if isinstance(guard, Unknown):
                always.append(position)
                continue
            for clause in guard:
                bit = 1 << len(owners)
                owners.append(position)
                for path, atom in clause.items():
                    tables.setdefault(path, _Table(path)).add(atom, bit)
        everything = (1 << len(owners)) - 1
        self.detections = detections
        self.always = tuple(always)
        self.owners = owners
        self.everything = everything
        ordered = _read_order(list(tables.values()))
        self.entries = tuple(
            (
                table.path[0],
                table.path[0].lower(),
                table.path[1:],
                table.path,
                table.constrained,
                everything & ~table.constrained,
                table.exact,
                tuple(table.prefixes.items()),
                tuple(table.contains.items()),
                table.absent,
                table.other,
            )
            for table in ordered
        )
        self.mask_of = compile_lookup(
            tuple(entry[3:] for entry in self.entries), everything, lambda raw, path: _deep_get(raw, path)
        )
        self.cache: dict[int, tuple[int, ...]] = {}
        self.chosen: dict[tuple[int, ...], tuple[Detection, ...]] = {}

    def detections_at(self, positions: tuple[int, ...]) -> tuple[Detection, ...]:
        found = self.chosen.get(positions)
        if found is None:
            found = tuple(self.detections[position] for position in positions)
            if len(self.chosen) < CACHE_LIMIT:
                self.chosen[positions] = found
        return found

    def positions(self, mask: int) -> tuple[int, ...]:
        """The positions (in content order) of the rules with a clause in ``mask``, and the unguarded."""
        found = self.cache.get(mask)
        if found is None:
            chosen = set(self.always)
            owners = self.owners
            rest = mask
            while rest:
                low = rest & -rest
                chosen.add(owners[low.bit_length() - 1])
                rest ^= low
            found = tuple(sorted(chosen))
            if len(self.cache) < CACHE_LIMIT:
                self.cache[mask] = found
        return found


class RuleIndex:
    """Built from the detections of one log type, in content order; ``candidates(event)`` is the
    subsequence of them that the event could make alert, fail or act.

    Rules that read ``event.udm()`` are read again for the data model events carry (``data_model`` here,
    or the one the first event brings); until then they run on every event."""

    def __init__(self, detections: Sequence[Detection], data_model: Any = None) -> None:
        self.detections = tuple(detections)
        sources = Sources()
        self._formulas: list[Formula] = []
        self._reads_udm: list[int] = []  # positions of the rules whose guard depends on the data model
        for position, detection in enumerate(self.detections):
            sources.read_udm = False
            self._formulas.append(_formula(detection, sources))
            if sources.read_udm:
                self._reads_udm.append(position)
        self._plans: dict[int, tuple[Any, _Plan]] = {id(None): (None, _Plan(self.detections, self._formulas))}
        self._model: Any = None
        self._plan = self._plans[id(None)][1]
        self._shapes: dict[tuple[Any, ...], dict[str, Any]] = {}
        if data_model is not None:
            self._use(data_model)

    @property
    def reports(self) -> list[GuardReport]:
        return self._plan.reports

    @property
    def paths(self) -> list[KeyPath]:
        """The key paths an event is looked up by."""
        return [entry[3] for entry in self._plan.entries]

    def _use(self, model: Any) -> None:
        known = self._plans.get(id(model))
        if known is None or known[0] is not model:
            formulas = list(self._formulas)
            if model is not None and self._reads_udm:
                sources = Sources()
                sources.data_model = model
                for position in self._reads_udm:
                    formulas[position] = _formula(self.detections[position], sources)
            known = self._plans[id(model)] = (model, _Plan(self.detections, formulas))
        self._model, self._plan = model, known[1]

    def candidates(self, event: Any) -> tuple[Detection, ...]:
        """The candidates for a DetectionEvent (tuples are reused: the same candidates, the same tuple)."""
        positions = self.positions(event.raw_view(), getattr(event, "data_model", None))
        return self._plan.detections_at(positions)

    reads_plain_events = True  # positions() takes an event as given when it renders as plain JSON

    def positions(self, raw: Mapping[str, Any], data_model: Any = None) -> tuple[int, ...]:
        """The positions of the candidates for the event ``raw`` whose log type's data model is
        ``data_model``: its data as rendered for rules (what DetectionEvent wraps), or as given when it
        renders as plain JSON (onca.detect.engine.render)."""
        if data_model is not self._model:
            self._use(data_model)
        plan = self._plan
        if raw.__class__ is dict:  # a rendered event: the written-out lookup (lookup.py)
            return plan.positions(plan.mask_of(raw, self._folded))
        return plan.positions(_mask_of(plan, raw))

    def _folded(self, raw: dict[str, Any]) -> dict[str, Any]:
        """The event's keys by their lower-case form; events of one shape (the same keys in the same
        order) share it."""
        shape = tuple(raw)
        folded = self._shapes.get(shape)
        if folded is None:
            folded = {}
            for key in shape:
                if isinstance(key, str):
                    folded.setdefault(key.lower(), key)
            if len(self._shapes) < SHAPES_LIMIT:
                self._shapes[shape] = folded
        return folded


def _read_order(tables: list[_Table]) -> list[_Table]:
    """Paths in the order that ends the most clauses soonest, by a rough guess of the share of events
    each atom lets through: a path whose clauses are all dead is not read at all."""
    alive: dict[int, float] = {bit: 1.0 for table in tables for bit, _ in table.atoms}
    remaining = list(tables)
    order = []
    while remaining:
        best = max(
            remaining,
            key=lambda t: (sum(alive[bit] * (1.0 - _share(atom)) for bit, atom in t.atoms), t.path),
        )
        remaining.remove(best)
        order.append(best)
        for bit, atom in best.atoms:
            alive[bit] *= _share(atom)
    return order


def _share(atom: Atom) -> float:
    """Roughly, the share of events ``atom`` lets through: most events lack most keys, any text is most
    values, a few named values or prefixes are few events, and values that are not text are rare."""
    share = 0.9 if atom.absent else 0.0
    share += 0.5 if "" in atom.prefixes else 0.05 * (len(atom.values) + len(atom.prefixes) + len(atom.contains))
    share += 0.02 if atom.other else 0.0
    return min(1.0, share)


def _mask_of(plan: _Plan, raw: Mapping[str, Any]) -> int:
    """The surviving clauses for an event that is not a plain dict, read through the event's lookup."""
    mask = plan.everything
    for _, _, _, path, constrained, free, exact, prefixes, contains, absent, other in plan.entries:
        if not mask & constrained:
            continue
        value = _deep_get(raw, path)
        kind = value.__class__
        if kind is str:
            accepted = exact.get(value, 0)
            for prefix, bits in prefixes:
                if value.startswith(prefix):
                    accepted |= bits
            for parts, bits in contains:
                if all(part in value for part in parts):
                    accepted |= bits
        elif value is None:
            accepted = absent
        elif isinstance(value, str):  # a str subclass may compare in its own way: keep every clause
            accepted = plan.everything
        else:
            accepted = other
        mask &= accepted | free
    return mask


def _deep_get(raw: Mapping[str, Any], path: KeyPath) -> Any:
    from onca.detect.event import ImmutableCaseInsensitiveDict

    return ImmutableCaseInsensitiveDict(raw).deep_get(*path)


def _formula(detection: Detection, sources: Sources) -> Formula:
    try:
        return detection_formula(detection, sources)
    except Exception as exc:  # noqa: BLE001 - a rule the index cannot read simply runs on every event
        return Unknown(f"the index could not read it ({type(exc).__name__}: {exc})")


def _cost_function(formulas: list[Formula], usage: Mapping[KeyPath, int]) -> Any:
    """Estimates what a guard costs per event, in runs of its rule: the share of events its clauses let
    through (a value among the n distinct values the rules name for its path taken as 1/n of events,
    missing/null or any text as most of them, atoms of a clause as independent) plus, for each key path,
    a lookup shared among the ``usage`` rules guarded by it."""
    distinct: dict[KeyPath, set[str]] = {}
    for formula in formulas:
        for atom in atoms(formula):
            distinct.setdefault(atom.path, set()).update(atom.values)

    def share(path: KeyPath, atom: Atom) -> float:
        named = len(atom.values) + 4 * (len(atom.prefixes - {""}) + len(atom.contains))
        total = named / max(2, len(distinct.get(path, ())))
        total += 1.0 if atom.absent or "" in atom.prefixes else 0.0
        total += 0.01 if atom.other else 0.0
        return min(1.0, total)

    def cost(guard: Guard) -> float:
        total = 0.0
        paths: set[KeyPath] = set()
        for clause in guard:
            part = 1.0
            for path, atom in clause.items():
                part *= share(path, atom)
                paths.add(path)
            total += part
        return total + sum(PATH_LOOKUP_COST / max(1, usage.get(path, 0)) for path in paths)

    return cost


def _ordered(guard: Guard) -> tuple[tuple[Atom, ...], ...]:
    clauses = [tuple(clause[path] for path in sorted(clause)) for clause in guard]
    return tuple(sorted(clauses, key=lambda clause: (len(clause), [atom.path for atom in clause])))
