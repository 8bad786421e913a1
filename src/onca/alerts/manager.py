"""The alert manager: detection Findings in, deduplicated alerts out, as Panther raises them.

- A match joins the alert of its (detection, dedup string) while that alert's deduplication window is open,
  else counts toward a new one; with a threshold, no alert is raised until that many matches share the dedup
  string within the period. Counts and windows live in the store, so they survive restarts and hold across
  processes.
- A rule error raises a "rule_error" alert, deduplicated by exception type and the first line of its message.
- Signals never alert.
- The alert-storm limiter (onca.alerts.limiter) suspends a detection's alerting past its limit.

Findings are handled one detection at a time, each in one transaction that first locks the detection's state
row: two processes handling the same detection take turns, so they never raise two alerts for one dedup string.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from onca.alerts.dedup import advance, alert_key, as_utc, raised, threshold_of
from onca.alerts.lifecycle import new_record, to_alert
from onca.alerts.limiter import DEFAULT_LIMIT, DEFAULT_WINDOW, STORM_KIND, StormLimiter
from onca.alerts.model import Alert
from onca.detect.findings import Finding
from onca.store import AlertRecord, DedupWindow, DeliveryAttempt, DetectionState, Store, StoreError, new_id

log = logging.getLogger(__name__)

# Closed dedup windows are never read again (the next match opens a fresh one); they are deleted this often,
# once they have been closed for at least PURGE_AFTER (a margin for clocks of processes sharing a store).
PURGE_EVERY = timedelta(hours=1)
PURGE_AFTER = timedelta(hours=1)


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True)
class ProcessOutcome:
    alert_ids: list[str | None]  # per finding, in order: the alert it joined or raised, else None
    to_deliver: list[Alert] = field(default_factory=list)  # alerts raised by this call: deliver each once
    system_errors: list[str] = field(default_factory=list)  # e.g. a detection suspended by the limiter


@dataclass(slots=True)
class _Joined:
    """Matches joining one existing alert in this call, written as one update."""

    count: int
    first: datetime
    last: datetime
    log_types: list[str]

    def add(self, finding: Finding) -> None:
        when = as_utc(finding.event_time)
        self.count += 1
        self.first, self.last = min(self.first, when), max(self.last, when)
        if finding.log_type and finding.log_type not in self.log_types:
            self.log_types.append(finding.log_type)


class AlertManager:
    def __init__(self, store: Store, *, storm_limit: int = DEFAULT_LIMIT, storm_window: timedelta = DEFAULT_WINDOW,
                 clock: Callable[[], datetime] = _now, console_url: str = ""):
        self.store = store
        self.limiter = StormLimiter(storm_limit, storm_window)
        self.clock = clock
        self.console_url = console_url  # for the alert links destinations show
        self._purged_at: datetime | None = None

    def process(self, findings: Sequence[Finding]) -> ProcessOutcome:
        outcome = ProcessOutcome(alert_ids=[None] * len(findings))
        now = as_utc(self.clock())
        by_detection: dict[str, list[int]] = {}
        for index, finding in enumerate(findings):
            if finding.kind in ("match", "error"):  # signals never alert
                by_detection.setdefault(finding.detection_id, []).append(index)
        for detection_id in sorted(by_detection):
            indexes = by_detection[detection_id]
            try:
                with self.store.transaction():
                    raised_here = _DetectionRun(self, detection_id, now, outcome).run(findings, indexes)
            except (SQLAlchemyError, StoreError) as exc:
                # the detection's transaction rolled back: none of its findings joined or raised an alert
                log.exception("alerts of detection %s could not be stored", detection_id)
                for index in indexes:
                    outcome.alert_ids[index] = None
                outcome.system_errors.append(f"alerts of detection {detection_id} were not stored: {exc}")
                continue
            outcome.to_deliver += [to_alert(record, console_url=self.console_url) for record in raised_here]
        self._purge_closed_windows(now)
        return outcome

    def _purge_closed_windows(self, now: datetime) -> None:
        if self._purged_at is not None and now - self._purged_at < PURGE_EVERY:
            return
        self._purged_at = now
        try:
            self.store.windows.purge(closed_before=now - PURGE_AFTER)
        except (SQLAlchemyError, StoreError):  # housekeeping: try again next time
            log.exception("closed deduplication windows could not be purged")

    def resume(self, detection_id: str) -> DetectionState:
        """Let a suspended detection alert again; its alert-storm count starts afresh now."""
        now = as_utc(self.clock())
        with self.store.transaction():
            state = self.store.detections.resume(detection_id, at=now)
            self.store.system_errors.resolve_open(STORM_KIND, detection_id, at=now)
        return state

    def record_attempt(self, record: Any) -> None:
        """Keep one delivery attempt with its alert; fits `Dispatcher(on_attempt=...)` (an AttemptRecord)."""
        result = record.result
        self.store.alerts.record_attempt(DeliveryAttempt(
            alert_id=record.alert_id, destination_name=record.destination_name,
            destination_kind=record.destination_kind, attempt=record.attempt, at=record.finished_at,
            ok=result.ok, retryable=result.retryable, status_code=result.status_code,
            response=result.response or "", error=result.error or "",
            destination_id=getattr(record, "destination_id", "") or ""))


class _DetectionRun:
    """One detection's findings from one `process` call, inside the transaction that locks the detection."""

    def __init__(self, manager: AlertManager, detection_id: str, now: datetime, outcome: ProcessOutcome):
        self.store = manager.store
        self.limiter = manager.limiter
        self.detection_id = detection_id
        self.now = now
        self.outcome = outcome
        self.windows: dict[str, DedupWindow | None] = {}
        self.joined: dict[str, _Joined] = {}
        self.raised: list[AlertRecord] = []

    def run(self, findings: Sequence[Finding], indexes: list[int]) -> list[AlertRecord]:
        state = self.store.detections.lock(self.detection_id)
        suspended = state.alerting_suspended
        created = self.limiter.created(self.store, state, self.now) if not suspended else 0
        for index in indexes:
            finding = findings[index]
            limited = finding.kind == "match"
            if limited and suspended:
                continue  # stored as a match in the lake, no alert
            key = alert_key(finding)
            window = advance(self._window(key.key, key.detection_id, key.alert_type, key.dedup), key, finding,
                             self.now)
            if window.alert_id is not None:
                self._join(window.alert_id, finding)
            elif window.match_count >= threshold_of(finding):
                if limited and self.limiter.reached(created):
                    suspended = self._suspend()
                    self.windows[key.key] = window
                    continue
                record = self.store.alerts.create(new_record(new_id(), finding, key, window, self.now))
                self.raised.append(record)
                window = raised(window, record.id, finding, self.now)
                if limited:
                    created += 1
                    if self.limiter.reached(created):
                        suspended = self._suspend()
            self.windows[key.key] = window
            self.outcome.alert_ids[index] = window.alert_id
        self._flush()
        return self.raised

    def _window(self, key: str, detection_id: str, alert_type: str, dedup: str) -> DedupWindow | None:
        if key not in self.windows:
            self.windows[key] = self.store.windows.lock(detection_id, alert_type, dedup)
        return self.windows[key]

    def _join(self, alert_id: str, finding: Finding) -> None:
        joined = self.joined.get(alert_id)
        if joined is None:
            when = as_utc(finding.event_time)
            self.joined[alert_id] = _Joined(1, when, when, [finding.log_type] if finding.log_type else [])
        else:
            joined.add(finding)

    def _suspend(self) -> bool:
        message = self.limiter.message(self.detection_id)
        self.store.detections.suspend(self.detection_id, at=self.now, reason=message)
        self.store.system_errors.report(STORM_KIND, self.detection_id, message, at=self.now)
        self.outcome.system_errors.append(message)
        log.warning("%s", message)
        return True

    def _flush(self) -> None:
        for window in self.windows.values():
            if window is not None:
                self.store.windows.save(window)
        for alert_id, joined in self.joined.items():
            self.store.alerts.add_matches(alert_id, count=joined.count, first_event_time=joined.first,
                                          last_event_time=joined.last, log_types=joined.log_types, at=self.now)
