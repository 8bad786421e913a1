"""The rule index: per key path, a table from value to the rules that value lets through.

Each rule's condition (extract.py) is reduced to a guard, one atom per key path; the tables hold, per
path, a bitmask of rules per string value and per prefix, one for a missing/null value and one for any
other value.
An event's candidates are the union, over the paths, of the masks its values select, plus every
unguarded rule; the tuple of detections is cached per mask.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from onca.detect.index.extract import detection_formula
from onca.detect.index.formula import Atom, Formula, Guard, KeyPath, Unknown, atoms, reduce
from onca.detect.index.sources import Sources
from onca.detect.runner import Detection

_MISSING: Any = object()
CACHE_LIMIT = 4096  # candidate tuples kept, one per distinct mask
PATH_LOOKUP_COST = 0.1  # one key path's lookup per event, against one run of a rule


@dataclass(frozen=True)
class GuardReport:
    """What the index knows of one rule: ``guard`` (a disjunction) when guarded, else ``reason``."""

    detection_id: str
    guard: tuple[Atom, ...] | None
    reason: str = ""

    @property
    def guarded(self) -> bool:
        return self.guard is not None

    def describe(self) -> str:
        if self.guard is None:
            return f"unguarded: {self.reason}"
        if not self.guard:
            return "never runs: no event can make it alert or fail"
        return " or ".join(atom.describe() for atom in self.guard)


class _Table:
    __slots__ = ("path", "exact", "prefixes", "absent", "other")

    def __init__(self, path: KeyPath) -> None:
        self.path = path
        self.exact: dict[str, int] = {}
        self.prefixes: dict[str, int] = {}
        self.absent = 0
        self.other = 0

    def add(self, atom: Atom, bit: int) -> None:
        for value in atom.values:
            self.exact[value] = self.exact.get(value, 0) | bit
        for prefix in atom.prefixes:
            self.prefixes[prefix] = self.prefixes.get(prefix, 0) | bit
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
            for path in guard if not isinstance(guard, Unknown) else ():
                usage[path] = usage.get(path, 0) + 1
        cost = _cost_function(formulas, usage)
        reduced = [reduce(formula, cost) for formula in formulas]
        self.reports = [
            GuardReport(d.id, None, g.reason) if isinstance(g, Unknown) else GuardReport(d.id, _ordered(g))
            for d, g in zip(detections, reduced, strict=True)
        ]
        always = 0
        tables: dict[KeyPath, _Table] = {}
        for position, guard in enumerate(reduced):
            bit = 1 << position
            if isinstance(guard, Unknown):
                always |= bit
                continue
            for path, atom in guard.items():
                tables.setdefault(path, _Table(path)).add(atom, bit)
        self.always = always
        self.entries = tuple(
            (
                table.path[0],
                table.path[1:],
                table.path,
                table.exact,
                tuple(table.prefixes.items()),
                table.absent,
                table.other,
            )
            for table in tables.values()
        )
        self.cache: dict[int, tuple[Detection, ...]] = {}


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
        if data_model is not None:
            self._use(data_model)

    @property
    def reports(self) -> list[GuardReport]:
        return self._plan.reports

    @property
    def paths(self) -> list[KeyPath]:
        """The key paths an event is looked up by."""
        return [entry[2] for entry in self._plan.entries]

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
        model = getattr(event, "data_model", None)
        if model is not self._model:
            self._use(model)
        plan = self._plan
        raw = event.raw_view()
        plain = raw.__class__ is dict  # the rendered event: read it directly
        mask = plan.always
        for first, rest, path, exact, prefixes, absent, other in plan.entries:
            value = raw.get(first, _MISSING) if plain else _MISSING
            if value is _MISSING or rest:
                value = _read(event, value, rest, path) if plain else event.deep_get(*path)
            kind = type(value)
            if kind is str:
                mask |= exact.get(value, 0)
                for prefix, bits in prefixes:
                    if value.startswith(prefix):
                        mask |= bits
            elif value is None:
                mask |= absent
            elif isinstance(value, str):  # a str subclass may compare in its own way: run everything
                return self.detections
            else:
                mask |= other
        cache = plan.cache
        found = cache.get(mask)
        if found is None:
            found = tuple(d for position, d in enumerate(self.detections) if mask >> position & 1)
            if len(cache) < CACHE_LIMIT:
                cache[mask] = found
        return found


def _read(event: Any, value: Any, rest: KeyPath, path: KeyPath) -> Any:
    """What ``event.deep_get(*path)`` gives, reading plain dicts directly (``value``: the first step's value
    read exactly, or _MISSING)."""
    if value is _MISSING:
        value = event.get(path[0])  # the event folds key case once and remembers it
    for key in rest:
        if value.__class__ is dict:
            found = value.get(key, _MISSING)
            if found is _MISSING:
                # As the event's views do: no exact key, so the first key equal but for case.
                folded, found = key.lower(), None
                for name in value:
                    if isinstance(name, str) and name.lower() == folded:
                        found = value[name]
                        break
            value = found
        elif isinstance(value, Mapping):
            return event.deep_get(*path)  # not a plain dict: its own lookup decides
        else:
            return None
    return value


def _formula(detection: Detection, sources: Sources) -> Formula:
    try:
        return detection_formula(detection, sources)
    except Exception as exc:  # noqa: BLE001 - a rule the index cannot read simply runs on every event
        return Unknown(f"the index could not read it ({type(exc).__name__}: {exc})")


def _cost_function(formulas: list[Formula], usage: Mapping[KeyPath, int]) -> Any:
    """Estimates what a guard costs per event, in runs of its rule: the share of events it lets through
    (a value among the n distinct values the rules name for its path taken as 1/n of events; missing/null
    as most of them) plus, for each key path, a lookup shared among the ``usage`` rules guarded by it."""
    distinct: dict[KeyPath, set[str]] = {}
    for formula in formulas:
        for atom in atoms(formula):
            distinct.setdefault(atom.path, set()).update(atom.values)

    def cost(guard: Guard) -> float:
        total = 0.0
        for path, atom in guard.items():
            # A prefix stands for several values.
            total += (len(atom.values) + 4 * len(atom.prefixes)) / max(2, len(distinct.get(path, ())))
            total += 1.0 if atom.absent else 0.0
            total += 0.01 if atom.other else 0.0
            total += PATH_LOOKUP_COST / max(1, usage.get(path, 0))
        return total

    return cost


def _ordered(guard: Guard) -> tuple[Atom, ...]:
    return tuple(guard[path] for path in sorted(guard))
