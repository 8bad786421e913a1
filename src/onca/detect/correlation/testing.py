"""Correlation rule unit tests: ``RuleOutputs`` turned into member matches and evaluated.

A test lists, per member ID, the values its signals carried and when:
``{ID: Member, Matches: {field: {value: [0, 5, "2024-06-01T10:00:00Z"]}}}``. Numbers are minutes
after a fixed base time; strings are timestamps. The rule is evaluated once, for the lookback
window ending at the latest signal of the test.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from dateutil import parser as date_parser

from onca.detect.correlation.errors import CorrelationError
from onca.detect.correlation.model import CorrelationHit, RuleMatch, utc
from onca.detect.correlation.rule import CorrelationRule, compile_correlation

BASE_TIME = datetime(2024, 1, 1, tzinfo=UTC)


def signal_time(value: Any, path: str, base: datetime = BASE_TIME) -> datetime:
    """A minute offset from ``base``, or an absolute timestamp."""
    if isinstance(value, bool):
        raise CorrelationError(path, f"must be minutes or a timestamp, got {value!r}")
    if isinstance(value, (int, float)):
        return base + timedelta(minutes=value)
    if isinstance(value, datetime):
        return utc(value)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, str):
        text = value.strip()
        try:
            return base + timedelta(minutes=float(text))
        except ValueError:
            pass
        try:
            return utc(date_parser.isoparse(text))
        except (ValueError, OverflowError):
            raise CorrelationError(path, f"is not a timestamp: {value!r}") from None
    raise CorrelationError(path, f"must be minutes or a timestamp, got {type(value).__name__}")


def rule_output_matches(
    rule: CorrelationRule, test: Mapping[str, Any], *, base: datetime = BASE_TIME
) -> list[RuleMatch]:
    """One RuleMatch per (field, value, time) listed in the test's ``RuleOutputs``."""
    if not isinstance(test, Mapping):
        raise CorrelationError("<test>", "must be a mapping")
    outputs = test.get("RuleOutputs")
    if not isinstance(outputs, list):
        raise CorrelationError("RuleOutputs", "must be a list of {ID, Matches}")
    by_id = {m.id: m for m in rule.members}
    matches: list[RuleMatch] = []
    for index, output in enumerate(outputs):
        path = f"RuleOutputs[{index}]"
        if not isinstance(output, Mapping):
            raise CorrelationError(path, "must be a mapping with ID and Matches")
        member = by_id.get(output.get("ID"))
        if member is None:
            raise CorrelationError(f"{path}.ID", f"names no member of the rule: {output.get('ID')!r}")
        found = output.get("Matches") or {}
        if not isinstance(found, Mapping):
            raise CorrelationError(f"{path}.Matches", "must map field paths to {value: [times]}")
        for field, values in found.items():
            where = f"{path}.Matches.{field}"
            if not isinstance(values, Mapping):
                raise CorrelationError(where, "must map values to lists of times")
            for value, times in values.items():
                if not isinstance(times, list):
                    raise CorrelationError(
                        f"{where}.{value}", "must be a list of minute offsets or timestamps"
                    )
                for position, moment in enumerate(times):
                    at = signal_time(moment, f"{where}.{value}[{position}]", base)
                    matches.append(RuleMatch(member.rule_id, member.id, at, {str(field): value}))
    return matches


def correlation_test_hits(
    spec: Mapping[str, Any] | CorrelationRule, test: Mapping[str, Any]
) -> list[CorrelationHit]:
    rule = spec if isinstance(spec, CorrelationRule) else compile_correlation(spec)
    matches = rule_output_matches(rule, test)
    now = max((utc(m.time) for m in matches), default=BASE_TIME)
    return rule.evaluate(matches, now=now)


def run_correlation_test(spec: Mapping[str, Any] | CorrelationRule, test: Mapping[str, Any]) -> bool:
    """Whether the rule alerts on the test's signals (compare with the test's ExpectedResult)."""
    return bool(correlation_test_hits(spec, test))
