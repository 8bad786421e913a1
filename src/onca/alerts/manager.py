"""The alert manager: detection Findings in, deduplicated alerts out, as Panther raises them.

- A match joins the alert of its (detection, dedup string) while that alert's deduplication window is open,
  else counts toward a new one; with a threshold, no alert is raised until that many matches share the dedup
  string within the period. Counts and windows live in the store, so they survive restarts and hold across
  processes.
- A rule error raises a "rule_error" alert, deduplicated by exception type and the first line of its message.
- Signals never alert.
- The alert-storm limiter (onca.alerts.limiter) suspends a detection's alerting past its limit.

A `process` call handles its findings in one transaction that locks each detection's state row before deciding
on its alerts, detection by detection in id order: two processes handling the same detection take turns, so
they never raise two alerts for one dedup string, and the fixed order keeps them from deadlocking. If that
transaction fails, each detection is tried again in its own, so one detection's failure costs only its alerts.
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
from onca.store.alerts import NewMatches

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
        now = as_utc(self.clock())
        by_detection: dict[str, list[int]] = {}
        for index, finding in enumerate(findings):
            if finding.kind in ("match", "error"):  # signals never alert
                by_detection.setdefault(finding.detection_id, []).append(index)
        outcome = self._process_together(findings, by_detection, now) if len(by_detection) > 1 else None
        if outcome is None:
            outcome = self._process_apart(findings, by_detection, now)
        self._purge_closed_windows(now)
        return outcome

    def _process_together(self, findings: Sequence[Finding], by_detection: dict[str, list[int]],
                          now: datetime) -> ProcessOutcome | None:
        """All detections in one transaction (one commit instead of one per detection); None if it failed."""
        outcome = ProcessOutcome(alert_ids=[None] * len(findings))
        try:
            with self.store.transaction():
                raised_here = _Batch(self, now, outcome).run(findings, by_detection)
        except (SQLAlchemyError, StoreError):
            log.warning("alerts of %d detections could not be stored together; trying each on its own",
                        len(by_detection), exc_info=True)
            return None
        outcome.to_deliver = [to_alert(record, console_url=self.console_url) for record in raised_here]
        return outcome

    def _process_apart(self, findings: Sequence[Finding], by_detection: dict[str, list[int]],
                       now: datetime) -> ProcessOutcome:
        """Each detection in its own transaction, so one that cannot be stored does not lose the others."""
        outcome = ProcessOutcome(alert_ids=[None] * len(findings))
        for detection_id in sorted(by_detection):
            indexes = by_detection[detection_id]
            try:
                with self.store.transaction():
                    raised_here = _Batch(self, now, outcome).run(findings, {detection_id: indexes})
            except (SQLAlchemyError, StoreError) as exc:
                # the detection's transaction rolled back: none of its findings joined or raised an alert
                log.exception("alerts of detection %s could not be stored", detection_id)
                for index in indexes:
                    outcome.alert_ids[index] = None
                outcome.system_errors.append(f"alerts of detection {detection_id} were not stored: {exc}")
                continue
            outcome.to_deliver += [to_alert(record, console_url=self.console_url) for record in raised_here]
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

    def record_attempts(self, records: Sequence[Any]) -> None:
        """Keep delivery attempts (AttemptRecords) with their alerts, in one transaction; fits
        `Dispatcher(on_attempts=...)`."""
        self.store.alerts.record_attempts([DeliveryAttempt(
            alert_id=record.alert_id, destination_name=record.destination_name,
            destination_kind=record.destination_kind, attempt=record.attempt, at=record.finished_at,
            ok=record.result.ok, retryable=record.result.retryable, status_code=record.result.status_code,
            response=record.result.response or "", error=record.result.error or "",
            destination_id=getattr(record, "destination_id", "") or "") for record in records])


class _Batch:
    """Some detections' findings from one `process` call, inside one transaction: their state rows are locked
    first (in id order), their windows read in one query, and what changed is written once at the end."""

    def __init__(self, manager: AlertManager, now: datetime, outcome: ProcessOutcome):
        self.manager = manager
        self.store = manager.store
        self.now = now
        self.outcome = outcome
        self.locked: dict[str, DedupWindow | None] = {}  # windows read (and locked) up front, by key
        self.windows: dict[str, DedupWindow | None] = {}  # windows looked at, as they now are
        self.joined: dict[str, _Joined] = {}  # alert id -> matches joining it
        self.new_alerts: list[AlertRecord] = []  # raised in this batch, stored together at the end

    def run(self, findings: Sequence[Finding], by_detection: dict[str, list[int]]) -> list[AlertRecord]:
        states = self.store.detections.lock_many(by_detection)
        self._lock_windows(findings, by_detection, states)
        for detection_id in sorted(by_detection):
            _DetectionRun(self, states[detection_id]).run(findings, by_detection[detection_id])
        return self._flush()

    def _lock_windows(self, findings: Sequence[Finding], by_detection: dict[str, list[int]],
                      states: dict[str, DetectionState]) -> None:
        """Read the windows the findings may touch in one query rather than one per dedup string."""
        keys = {alert_key(findings[index]) for detection_id, indexes in by_detection.items() for index in indexes
                if not (states[detection_id].alerting_suspended and findings[index].kind == "match")}
        found = self.store.windows.lock_many((k.detection_id, k.alert_type, k.dedup) for k in keys)
        self.locked = {k.key: found.get(k.key) for k in keys}

    def window(self, key: str, detection_id: str, alert_type: str, dedup: str) -> DedupWindow | None:
        if key not in self.windows:
            if key in self.locked:
                self.windows[key] = self.locked[key]
            else:  # not foreseen (cannot happen today): read it on its own
                self.windows[key] = self.store.windows.lock(detection_id, alert_type, dedup)
        return self.windows[key]

    def join(self, alert_id: str, finding: Finding) -> None:
        joined = self.joined.get(alert_id)
        if joined is None:
            when = as_utc(finding.event_time)
            self.joined[alert_id] = _Joined(1, when, when, [finding.log_type] if finding.log_type else [])
        else:
            joined.add(finding)

    def _flush(self) -> list[AlertRecord]:
        """Write what the batch changed; the new alerts come first, since windows and joins may name them."""
        created = self.store.alerts.create_many(self.new_alerts)
        self.store.windows.save_many(window for window in self.windows.values() if window is not None)
        self.store.alerts.add_matches_many(
            {alert_id: NewMatches(joined.count, joined.first, joined.last, joined.log_types)
             for alert_id, joined in self.joined.items()}, at=self.now)
        return created


class _DetectionRun:
    """One detection's findings in a `_Batch`, its state row already locked."""

    def __init__(self, batch: _Batch, state: DetectionState):
        self.batch = batch
        self.store = batch.store
        self.limiter = batch.manager.limiter
        self.state = state
        self.detection_id = state.detection_id
        self.now = batch.now
        self.outcome = batch.outcome

    def run(self, findings: Sequence[Finding], indexes: list[int]) -> None:
        suspended = self.state.alerting_suspended
        created: int | None = None  # counted when first needed: most batches only join alerts
        for index in indexes:
            finding = findings[index]
            limited = finding.kind == "match"
            if limited and suspended:
                continue  # stored as a match in the lake, no alert
            key = alert_key(finding)
            window = advance(self.batch.window(key.key, key.detection_id, key.alert_type, key.dedup), key,
                             finding, self.now)
            if window.alert_id is not None:
                self.batch.join(window.alert_id, finding)
            elif window.match_count >= threshold_of(finding):
                if created is None:  # before this run created any alert, so none is counted twice
                    created = self.limiter.created(self.store, self.state, self.now)
                if limited and self.limiter.reached(created):
                    suspended = self._suspend()
                    self.batch.windows[key.key] = window
                    continue
                record = new_record(new_id(), finding, key, window, self.now)
                self.batch.new_alerts.append(record)
                window = raised(window, record.id, finding, self.now)
                if limited:
                    created += 1
                    if self.limiter.reached(created):
                        suspended = self._suspend()
            self.batch.windows[key.key] = window
            self.outcome.alert_ids[index] = window.alert_id

    def _suspend(self) -> bool:
        message = self.limiter.message(self.detection_id)
        self.store.detections.suspend(self.detection_id, at=self.now, reason=message)
        self.store.system_errors.report(STORM_KIND, self.detection_id, message, at=self.now)
        self.outcome.system_errors.append(message)
        log.warning("%s", message)
        return True
