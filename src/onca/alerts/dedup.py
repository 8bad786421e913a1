"""Which alert a finding belongs to: its alert type, dedup string and title, and how a deduplication window
moves as matches arrive.

A window opens at the first match of a key (detection, alert type, dedup string) and lasts the detection's
deduplication period. Matches in it are counted toward the threshold; once the alert is raised, its window
restarts at the alert's creation, and matches within the period after it join the alert. Changing an alert's
status does not end its window (as in Panther: a match after resolving still joins the resolved alert).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from onca.detect.findings import Finding
from onca.store import DedupWindow, window_key

ALERT_TYPE_OF_DETECTION = {"rule": "rule", "policy": "policy", "correlation": "correlation",
                           "scheduled_rule": "scheduled_rule"}
RULE_ERROR = "rule_error"
_EXCEPTION_NAME = re.compile(r"[A-Za-z_][\w.]*")


@dataclass(frozen=True, slots=True)
class AlertKey:
    detection_id: str
    alert_type: str
    dedup: str
    title: str

    @property
    def key(self) -> str:
        return window_key(self.detection_id, self.alert_type, self.dedup)


def error_parts(error: str) -> tuple[str, str]:
    """(exception type, first line of its message) from a finding's error, which reads
    "<function>: <ExceptionType>: <message>"; ("", first line) when it has another shape (a timeout)."""
    lines = error.strip().splitlines()
    first = lines[0].strip() if lines else ""
    parts = first.split(": ", 2)
    if len(parts) == 3 and _EXCEPTION_NAME.fullmatch(parts[1]):
        return parts[1], parts[2]
    if len(parts) == 2 and _EXCEPTION_NAME.fullmatch(parts[1]):  # "<function>: <ExceptionType>"
        return parts[1], ""
    return "", first


def detection_label(finding: Finding) -> str:
    return finding.detection_name or finding.detection_id


def alert_key(finding: Finding) -> AlertKey:
    """The key a finding deduplicates under and the title a new alert for it gets."""
    if finding.kind == "error":
        exc_type, message = error_parts(finding.error) if finding.error else ("", finding.dedup)
        dedup = f"{exc_type}: {message}" if exc_type else message
        title = f"Error in {detection_label(finding)}: {exc_type or message or 'unknown error'}"
        return AlertKey(finding.detection_id, RULE_ERROR, dedup or finding.detection_id, title)
    title = finding.title or detection_label(finding)
    alert_type = ALERT_TYPE_OF_DETECTION.get(finding.detection_type, "rule")
    # Panther's default dedup string is the title, and the detection id when there is no title
    return AlertKey(finding.detection_id, alert_type, finding.dedup or title, title)


def as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def threshold_of(finding: Finding) -> int:
    return 1 if finding.kind == "error" else max(1, finding.threshold)


def period_of(finding: Finding) -> timedelta:
    return timedelta(minutes=max(1, finding.dedup_period_minutes))


def advance(window: DedupWindow | None, key: AlertKey, finding: Finding, now: datetime) -> DedupWindow:
    """The window after one more match: a fresh one if there was none or it has closed."""
    event_time = as_utc(finding.event_time)
    if window is None or now >= window.closes_at:
        return DedupWindow(key=key.key, detection_id=key.detection_id, alert_type=key.alert_type,
                           dedup=key.dedup, opened_at=now, closes_at=now + period_of(finding), match_count=1,
                           alert_id=None, first_event_time=event_time, last_event_time=event_time)
    return replace(window, match_count=window.match_count + 1,
                   first_event_time=min(window.first_event_time, event_time),
                   last_event_time=max(window.last_event_time, event_time))


def raised(window: DedupWindow, alert_id: str, finding: Finding, now: datetime) -> DedupWindow:
    """The window once its alert is raised: matches join the alert for one period from now."""
    return replace(window, alert_id=alert_id, opened_at=now, closes_at=now + period_of(finding))
