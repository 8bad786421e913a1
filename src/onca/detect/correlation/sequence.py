"""Sequence correlation: members seen in the listed order, each Transition's ``To`` following its
``From`` within ``WithinTimeFrameMinutes`` and sharing its ``Match`` key, Absence members not
seen where the order says they must not be.

A stage is complete when its member has been seen ``MinMatchCount`` times (after the previous
stage completed); transition time frames run from one stage's completing signal to the next's.
The search backtracks over stage completions and keeps one solution per distinct key binding.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from itertools import product

from onca.detect.correlation.keys import field_keys
from onca.detect.correlation.model import CorrelationHit, Member, RuleMatch, Transition

Timed = tuple[datetime, RuleMatch]


@dataclass(frozen=True)
class _Stage:
    matches: tuple[RuleMatch, ...]
    start: datetime
    end: datetime
    bound: dict[str, str]  # outgoing transition field -> the value this stage was chosen on


class _Search:
    def __init__(
        self,
        members: tuple[Member, ...],
        transitions: tuple[Transition, ...],
        found: dict[int, list[Timed]],
        window_start: datetime | None,
        now: datetime,
        reverse: bool,
    ) -> None:
        self.members = members
        self.transitions = transitions
        self.found = found
        self.window_start = window_start
        self.now = now
        self.reverse = reverse
        self.present = [i for i, m in enumerate(members) if not m.absence]
        self.incoming = {i: [t for t in transitions if t.to == i] for i in range(len(members))}
        self.out_fields = {
            i: sorted({t.from_field for t in transitions if t.from_ == i and t.from_field is not None})
            for i in range(len(members))
        }
        self.chosen: dict[int, _Stage] = {}
        self.hits: dict[tuple[object, ...], CorrelationHit] = {}

    def run(self) -> list[CorrelationHit]:
        self._search(0)
        return list(self.hits.values())

    def _previous_end(self, index: int) -> datetime | None:
        earlier = [i for i in self.chosen if i < index]
        return self.chosen[max(earlier)].end if earlier else None

    def _eligible(self, index: int) -> list[Timed]:
        not_before = self._previous_end(index)
        eligible = []
        for moment, match in self.found[index]:
            if not_before is not None and moment < not_before:
                continue
            if all(self._follows(t, moment, match) for t in self.incoming[index]):
                eligible.append((moment, match))
        return eligible

    def _follows(self, transition: Transition, moment: datetime, match: RuleMatch) -> bool:
        source = self.chosen.get(transition.from_)
        if source is None:
            return True  # the source is an Absence member, checked once the chain is complete
        if moment < source.end:
            return False
        if transition.within is not None and moment - source.end > transition.within:
            return False
        if transition.from_field is None or transition.to_field is None:
            return True
        return source.bound[transition.from_field] in field_keys(match.fields, transition.to_field)

    def _groups(self, index: int, eligible: list[Timed]) -> list[tuple[dict[str, str], list[Timed]]]:
        """Split a stage's candidates by the values later transitions will have to match."""
        fields = self.out_fields[index]
        if not fields:
            return [({}, eligible)] if eligible else []
        buckets: dict[tuple[str, ...], list[Timed]] = {}
        for moment, match in eligible:
            for combo in product(*(sorted(field_keys(match.fields, f)) for f in fields)):
                buckets.setdefault(combo, []).append((moment, match))
        ordered = sorted(buckets.items(), key=lambda item: (item[1][0][0], item[0]))
        return [(dict(zip(fields, combo)), timed) for combo, timed in ordered]

    def _search(self, position: int) -> bool:
        if position == len(self.present):
            return self._record()
        index = self.present[position]
        member = self.members[index]
        succeeded = False
        for bound, timed in self._groups(index, self._eligible(index)):
            if member.max_count is not None and len(timed) > member.max_count:
                continue
            last_end = None
            for k in range(member.min_count - 1, len(timed)):
                if timed[k][0] == last_end:
                    continue  # same completion time as the attempt just made
                last_end = timed[k][0]
                chosen = tuple(match for _, match in timed[: k + 1])
                self.chosen[index] = _Stage(chosen, timed[0][0], timed[k][0], bound)
                done = self._search(position + 1)
                del self.chosen[index]
                if done:
                    succeeded = True
                    break  # one solution per key binding is enough
        return succeeded

    def _record(self) -> bool:
        if not all(self._absent_ok(i) for i, m in enumerate(self.members) if m.absence):
            return False
        key = tuple(sorted({(f, v) for stage in self.chosen.values() for f, v in stage.bound.items()}))
        members = tuple((self.members[i].id, self.chosen[i].matches) for i in self.present)
        identity = (key, tuple(id(m) for _, found in members for m in found))
        self.hits.setdefault(identity, CorrelationHit(key, members, self.reverse))
        return True

    def _absent_ok(self, index: int) -> bool:
        before = [i for i in self.present if i < index]
        after = [i for i in self.present if i > index]
        low = self.chosen[before[-1]].end if before else self.window_start
        high = self.chosen[after[0]].start if after else self.now
        spoilers = 0
        for moment, match in self.found[index]:
            if (low is not None and moment < low) or moment > high:
                continue
            if all(
                self._spoils(t, index, moment, match) for t in self.transitions if index in (t.from_, t.to)
            ):
                spoilers += 1
        return spoilers < self.members[index].min_count

    def _spoils(self, transition: Transition, index: int, moment: datetime, match: RuleMatch) -> bool:
        """Whether an absent member's signal falls under this transition (so it counts)."""
        if transition.to == index:
            source = self.chosen.get(transition.from_)
            if source is None:
                return True
            if transition.within is not None and moment - source.end > transition.within:
                return False
            if transition.from_field is None or transition.to_field is None:
                return True
            return source.bound[transition.from_field] in field_keys(match.fields, transition.to_field)
        target = self.chosen.get(transition.to)
        if target is None:
            return True
        if transition.within is not None and target.start - moment > transition.within:
            return False
        if transition.from_field is None or transition.to_field is None:
            return True
        theirs = set().union(*(field_keys(m.fields, transition.to_field) for m in target.matches))
        return bool(field_keys(match.fields, transition.from_field) & theirs)


def evaluate_sequence(
    members: tuple[Member, ...],
    transitions: tuple[Transition, ...],
    found: dict[int, list[Timed]],
    window_start: datetime | None,
    now: datetime,
    reverse: bool,
) -> list[CorrelationHit]:
    return _Search(members, transitions, found, window_start, now, reverse).run()
