"""The data a correlation rule works on (member rule matches) and produces (hits)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any


@dataclass(frozen=True)
class RuleMatch:
    """One signal from a member rule.

    ``member_id`` names the member within the correlation rule when the caller knows it (test
    mode always does); leave it empty to route the match by ``rule_id`` to every member that
    watches that rule. ``fields`` maps dotted paths (``p_alert_context.actor.email``) to values.
    """

    rule_id: str
    member_id: str
    time: datetime
    fields: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Member:
    """One entry of a ``Group`` or ``Sequence``."""

    id: str
    rule_id: str
    min_count: int = 1
    max_count: int | None = None
    absence: bool = False


@dataclass(frozen=True)
class Criterion:
    """One ``MatchCriteria`` entry: the field each listed member must share a value on."""

    name: str
    fields: Mapping[str, str]  # member id -> field path


@dataclass(frozen=True)
class Transition:
    """A ``Sequence`` edge: ``to`` must follow ``from_`` within ``within`` and share a key."""

    id: str
    from_: int  # member positions in the sequence
    to: int
    within: timedelta | None
    from_field: str | None  # None: no key has to match
    to_field: str | None


@dataclass(frozen=True)
class Schedule:
    rate_minutes: int | None
    cron_expression: str | None
    timeout_minutes: int


@dataclass(frozen=True)
class CorrelationHit:
    """One alert-worthy correlation: the key it was found on and the signals that make it up.

    ``key`` lists ``(name, value)`` pairs: MatchCriteria names for a group, transition fields
    for a sequence; it is empty when the rule correlates on time alone.
    """

    key: tuple[tuple[str, str], ...]
    members: tuple[tuple[str, tuple[RuleMatch, ...]], ...]
    reverse_chronological: bool = False

    @property
    def matches(self) -> tuple[RuleMatch, ...]:
        every = {id(m): m for _, found in self.members for m in found}.values()
        return tuple(sorted(every, key=lambda m: _utc(m.time), reverse=self.reverse_chronological))

    @property
    def by_member(self) -> dict[str, tuple[RuleMatch, ...]]:
        return dict(self.members)

    @property
    def first_time(self) -> datetime:
        return min(_utc(m.time) for m in self.matches)

    @property
    def last_time(self) -> datetime:
        return max(_utc(m.time) for m in self.matches)

    @property
    def dedup(self) -> str:
        return ",".join(f"{name}={value}" for name, value in self.key)


def _utc(moment: datetime) -> datetime:
    """Naive times are taken as UTC so they compare with aware ones."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


utc = _utc
