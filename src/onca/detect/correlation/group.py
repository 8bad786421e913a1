"""Group correlation: every member seen (each often enough), every Absence member not seen, all
on one shared value per MatchCriteria entry, inside the lookback window. Order does not matter."""

from __future__ import annotations

from datetime import datetime
from itertools import product

from onca.detect.correlation.keys import field_keys
from onca.detect.correlation.model import CorrelationHit, Criterion, Member, RuleMatch

Timed = tuple[datetime, RuleMatch]


class _MemberIndex:
    """A member's signals, indexed by the value they carry for each criterion naming the member."""

    def __init__(self, member: Member, criteria: tuple[Criterion, ...], timed: list[Timed]) -> None:
        self.matches = [match for _, match in timed]
        self.by_value: dict[int, dict[str, list[int]]] = {}
        for c_index, criterion in enumerate(criteria):
            field = criterion.fields.get(member.id)
            if field is None:
                continue
            values: dict[str, list[int]] = {}
            for position, match in enumerate(self.matches):
                for value in field_keys(match.fields, field):
                    values.setdefault(value, []).append(position)
            self.by_value[c_index] = values

    def seen(self, c_index: int) -> set[str]:
        return set(self.by_value.get(c_index, {}))

    def eligible(self, binding: dict[int, str]) -> list[RuleMatch]:
        """Signals carrying the bound value of every criterion that names this member."""
        positions: set[int] | None = None
        for c_index, value in binding.items():
            if c_index not in self.by_value:
                continue
            hits = set(self.by_value[c_index].get(value, ()))
            positions = hits if positions is None else positions & hits
            if not positions:
                return []
        if positions is None:
            return self.matches
        return [self.matches[p] for p in sorted(positions)]


def evaluate_group(
    members: tuple[Member, ...],
    criteria: tuple[Criterion, ...],
    min_members: int | None,
    found: dict[int, list[Timed]],
    reverse: bool,
) -> list[CorrelationHit]:
    present = [i for i, m in enumerate(members) if not m.absence]
    absent = [i for i, m in enumerate(members) if m.absence]
    index = {i: _MemberIndex(members[i], criteria, found[i]) for i in range(len(members))}

    # A criterion is bound to one value, drawn from what the present members listed in it saw.
    bound: list[int] = []
    choices: list[list[str]] = []
    for c_index, criterion in enumerate(criteria):
        listed = [i for i in present if members[i].id in criterion.fields]
        if not listed:
            continue  # only Absence members name it: it cannot narrow anything down
        seen = [index[i].seen(c_index) for i in listed]
        # With a group-level MinMatchCount not every listed member has to take part.
        values = set.union(*seen) if min_members is not None else set.intersection(*seen)
        if not values:
            return []
        bound.append(c_index)
        choices.append(sorted(values))

    needed = min_members if min_members is not None else len(present)
    hits: list[CorrelationHit] = []
    for combo in product(*choices):
        binding = dict(zip(bound, combo))
        satisfied: list[tuple[str, tuple[RuleMatch, ...]]] = []
        for i in present:
            matches = index[i].eligible(binding)
            member = members[i]
            if len(matches) >= member.min_count and (
                member.max_count is None or len(matches) <= member.max_count
            ):
                satisfied.append((member.id, tuple(matches)))
        if len(satisfied) < needed:
            continue
        # An Absence member spoils the correlation once it reaches its MinMatchCount (default 1).
        if any(len(index[i].eligible(binding)) >= members[i].min_count for i in absent):
            continue
        key = tuple((criteria[c].name, value) for c, value in binding.items())
        hits.append(CorrelationHit(key, tuple(satisfied), reverse))
    return hits
