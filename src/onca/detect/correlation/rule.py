"""A compiled correlation rule and the one evaluation entry point used by tests and streaming."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from onca.detect.correlation.errors import CorrelationError
from onca.detect.correlation.group import evaluate_group
from onca.detect.correlation.model import (
    CorrelationHit,
    Criterion,
    Member,
    RuleMatch,
    Schedule,
    Transition,
    utc,
)
from onca.detect.correlation.sequence import evaluate_sequence
from onca.detect.correlation.spec import (
    detection_item,
    positive_int,
    read_criteria,
    read_kind,
    read_lookback,
    read_members,
    read_order,
    read_schedule,
    read_transitions,
)


@dataclass(frozen=True)
class CorrelationRule:
    kind: str  # "Group" or "Sequence"
    members: tuple[Member, ...]
    schedule: Schedule
    lookback: timedelta | None = None
    criteria: tuple[Criterion, ...] = ()
    transitions: tuple[Transition, ...] = ()
    min_members: int | None = None  # Group-level MinMatchCount: how many members must be seen
    reverse_chronological: bool = False

    @property
    def rule_ids(self) -> frozenset[str]:
        """The member rules whose signals this rule needs."""
        return frozenset(m.rule_id for m in self.members)

    def window_start(self, now: datetime) -> datetime | None:
        return None if self.lookback is None else utc(now) - self.lookback

    def evaluate(self, matches: Sequence[RuleMatch], *, now: datetime) -> list[CorrelationHit]:
        """The correlations found among ``matches`` in the lookback window ending at ``now``.

        Matches outside the window are ignored, so the caller may pass more than it needs.
        A match goes to the member named by its ``member_id``, or else to every member whose
        RuleID equals its ``rule_id``.
        """
        now = utc(now)
        start = self.window_start(now)
        found = self._assign(matches, start, now)
        if self.kind == "Group":
            return evaluate_group(
                self.members, self.criteria, self.min_members, found, self.reverse_chronological
            )
        return evaluate_sequence(
            self.members, self.transitions, found, start, now, self.reverse_chronological
        )

    def _assign(
        self, matches: Sequence[RuleMatch], start: datetime | None, now: datetime
    ) -> dict[int, list[tuple[datetime, RuleMatch]]]:
        by_id = {m.id: i for i, m in enumerate(self.members)}
        by_rule: dict[str, list[int]] = {}
        for i, member in enumerate(self.members):
            by_rule.setdefault(member.rule_id, []).append(i)
        found: dict[int, list[tuple[datetime, RuleMatch]]] = {i: [] for i in range(len(self.members))}
        for match in matches:
            moment = utc(match.time)
            if moment > now or (start is not None and moment < start):
                continue
            if match.member_id and match.member_id in by_id:
                targets = [by_id[match.member_id]]
            else:
                targets = by_rule.get(match.rule_id, [])
            for i in targets:
                found[i].append((moment, match))
        for timed in found.values():
            timed.sort(key=lambda pair: pair[0])
        return found


def compile_correlation(spec: Mapping[str, Any]) -> CorrelationRule:
    """Validate and compile a correlation rule's ``Detection`` block.

    ``spec`` is the whole analysis spec (or just its single Detection item). Every mistake is
    reported as a :class:`CorrelationError` naming its key path.
    """
    item, path = detection_item(spec)
    kind = read_kind(item, path)
    members = read_members(item[kind], f"{path}.{kind}")
    schedule = read_schedule(item.get("Schedule"), f"{path}.Schedule")
    lookback = read_lookback(item.get("LookbackWindowMinutes"), f"{path}.LookbackWindowMinutes")
    reverse = read_order(item.get("EventEvaluationOrder"), f"{path}.EventEvaluationOrder")
    if kind == "Sequence":
        transitions = read_transitions(item.get("Transitions"), members, f"{path}.Transitions")
        return CorrelationRule(
            kind, members, schedule, lookback, transitions=transitions, reverse_chronological=reverse
        )
    criteria = read_criteria(item.get("MatchCriteria"), members, f"{path}.MatchCriteria")
    min_members = None
    if "MinMatchCount" in item:
        present = sum(1 for m in members if not m.absence)
        min_members = positive_int(item["MinMatchCount"], f"{path}.MinMatchCount")
        if min_members > present:
            raise CorrelationError(f"{path}.MinMatchCount", f"exceeds the {present} members that can be seen")
    return CorrelationRule(kind, members, schedule, lookback, criteria, (), min_members, reverse)
