"""Alerts and what happens to them: listing with filters and cursors, triage updates with their history,
comments, and every delivery attempt."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import String, and_, bindparam, func, insert, or_, select, update
from sqlalchemy.orm import Session

from onca.store.errors import InvalidValue, NotFound
from onca.store.models import AlertRow, CommentRow, DeliveryAttemptRow, HistoryRow
from onca.store.paging import check_limit, decode_cursor, encode_cursor
from onca.store.records import (
    ALERT_SEVERITIES,
    ALERT_STATUSES,
    ALERT_TYPES,
    AlertRecord,
    Comment,
    DeliveryAttempt,
    HistoryEntry,
)
from onca.store.session import Transactions
from onca.store.types import utc

_ALERT_ID = re.compile(r"[0-9a-f]{32}")
SYSTEM_ACTOR = "onca"


def new_id() -> str:
    """A fresh alert or error id: 32 lowercase hex digits."""
    return uuid.uuid4().hex


def _now() -> datetime:
    return datetime.now(UTC)


_CHUNK = 10_000  # ids per IN (...): under every backend's limit on bound parameters


@dataclass(slots=True)
class NewMatches:
    """Matches joining one alert: how many, their event time span and log types."""

    count: int
    first_event_time: datetime
    last_event_time: datetime
    log_types: Sequence[str] = ()


def _chunks(ids: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start:start + _CHUNK]


def _lock_rows(session: Session, ids: Sequence[str], *columns: Any) -> list[Any]:
    """The alerts' columns, their rows locked by detection then id: the order the alert manager locks them in
    (detection by detection), so two writers cannot deadlock. NotFound if one is missing."""
    table = AlertRow.__table__
    rows: list[Any] = []
    for chunk in _chunks(sorted(ids)):
        query = (select(table.c.id, *columns).where(table.c.id.in_(chunk))
                 .order_by(table.c.detection_id, table.c.id).with_for_update())
        rows += session.execute(query).all()
    if len(rows) != len(set(ids)):
        missing = sorted(set(ids) - {row.id for row in rows})
        raise NotFound(f"no alert with id {missing[0]!r}")
    return rows


def _forget(session: Session, ids: Iterable[str]) -> None:
    """Rows just changed by Core statements: objects the session holds for them are reloaded when read."""
    for alert_id in ids:
        row = session.identity_map.get(Session.identity_key(AlertRow, alert_id))
        if row is not None:
            session.expire(row)


def _choices(name: str, value: str | Iterable[str] | None, allowed: Sequence[str] | None = None) -> list[str]:
    values = [value] if isinstance(value, str) else list(value or ())
    if allowed is not None:
        for item in values:
            if item not in allowed:
                raise InvalidValue(f"{name} {item!r} is not one of {', '.join(allowed)}")
    return values


def _check(name: str, value: str, allowed: Sequence[str]) -> None:
    _choices(name, value, allowed)


def to_record(row: AlertRow) -> AlertRecord:
    return AlertRecord(
        id=row.id, detection_id=row.detection_id, type=row.type, title=row.title, severity=row.severity,
        status=row.status, created_at=row.created_at, updated_at=row.updated_at, update_time=row.update_time,
        first_event_time=row.first_event_time, last_event_time=row.last_event_time, dedup=row.dedup,
        detection_version=row.detection_version, detection_name=row.detection_name, assignee=row.assignee,
        event_count=row.event_count, log_types=tuple(row.log_types or ()),
        destinations=tuple(row.destinations or ()), alert_context=dict(row.alert_context or {}),
        description=row.description, runbook=row.runbook, reference=row.reference,
        tags=tuple(row.tags or ()), reports=dict(row.reports or {}), sample_event=row.sample_event,
    )


def _check_new(alert: AlertRecord) -> None:
    if not _ALERT_ID.fullmatch(alert.id):
        raise InvalidValue(f"alert id {alert.id!r} is not 32 lowercase hex digits")
    _check("alert type", alert.type, ALERT_TYPES)
    _check("alert status", alert.status, ALERT_STATUSES)
    _check("severity", alert.severity, ALERT_SEVERITIES)
    if not alert.detection_id:
        raise InvalidValue("an alert needs a detection id")


def _row_values(alert: AlertRecord) -> dict[str, Any]:
    return {
        "id": alert.id, "detection_id": alert.detection_id, "detection_version": alert.detection_version,
        "detection_name": alert.detection_name, "type": alert.type, "title": alert.title,
        "severity": alert.severity, "status": alert.status, "assignee": alert.assignee, "dedup": alert.dedup,
        "first_event_time": alert.first_event_time, "last_event_time": alert.last_event_time,
        "event_count": alert.event_count, "log_types": list(alert.log_types),
        "destinations": list(alert.destinations), "alert_context": dict(alert.alert_context),
        "description": alert.description, "runbook": alert.runbook, "reference": alert.reference,
        "tags": list(alert.tags), "reports": {k: list(v) for k, v in alert.reports.items()},
        "created_at": alert.created_at, "updated_at": alert.updated_at, "update_time": alert.update_time,
        "sample_event": alert.sample_event,
    }


class AlertRepo:
    def __init__(self, tx: Transactions) -> None:
        self._tx = tx

    # creating and reading
    def create(self, alert: AlertRecord, *, actor: str = SYSTEM_ACTOR) -> AlertRecord:
        return self.create_many([alert], actor=actor)[0]

    def create_many(self, alerts: Sequence[AlertRecord], *, actor: str = SYSTEM_ACTOR) -> list[AlertRecord]:
        """Store new alerts with their first history entry: one insert each for all of them, then one read
        back, so each record handed back is what was stored (JSON as read back), as get() would give it."""
        for alert in alerts:
            _check_new(alert)
        if not alerts:
            return []
        with self._tx.transaction() as session:
            session.execute(insert(AlertRow), [_row_values(alert) for alert in alerts])
            session.execute(insert(HistoryRow), [
                {"alert_id": alert.id, "at": alert.created_at, "actor": actor, "action": "create",
                 "field": "status", "old": None, "new": alert.status} for alert in alerts])
            stored: dict[str, AlertRow] = {}
            for chunk in _chunks([alert.id for alert in alerts]):
                stored.update((row.id, row) for row in session.scalars(select(AlertRow).where(AlertRow.id.in_(chunk))))
            return [to_record(stored[alert.id]) for alert in alerts]

    def get(self, alert_id: str) -> AlertRecord | None:
        with self._tx.transaction(write=False) as session:
            row = session.get(AlertRow, alert_id)
            return to_record(row) if row is not None else None

    def list(
        self,
        *,
        status: str | Iterable[str] | None = None,
        severity: str | Iterable[str] | None = None,
        detection_id: str | Iterable[str] | None = None,
        type: str | Iterable[str] | None = None,  # noqa: A002 - the field's name
        assignee: str | None = None,
        text: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        log_type: str | None = None,
        min_events: int | None = None,
        max_events: int | None = None,
        oldest_first: bool = False,
        limit: int = 50,
        cursor: str | None = None,
    ) -> tuple[list[AlertRecord], str | None]:
        """Alerts newest first (or oldest first), filtered; returns the page and the cursor of the next page
        (None at the end). `since`/`until` bound the creation time (since inclusive, until exclusive); `text` is
        a case-insensitive substring of the title; `log_type` one of the alert's log types."""
        check_limit(limit)
        conditions: list[Any] = []
        for column, name, value, allowed in (
            (AlertRow.status, "alert status", status, ALERT_STATUSES),
            (AlertRow.severity, "severity", severity, ALERT_SEVERITIES),
            (AlertRow.type, "alert type", type, ALERT_TYPES),
            (AlertRow.detection_id, "detection id", detection_id, None),
        ):
            values = _choices(name, value, allowed)
            if values:
                conditions.append(column.in_(values))
        if assignee is not None:
            conditions.append(AlertRow.assignee == assignee)
        if text:
            escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            conditions.append(AlertRow.title.ilike(f"%{escaped}%", escape="\\"))
        if log_type:
            # log_types is a JSON array kept as text on every backend: match the quoted element
            escaped = log_type.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            conditions.append(AlertRow.log_types.cast(String).like(f'%"{escaped}"%', escape="\\"))
        if min_events is not None:
            conditions.append(AlertRow.event_count >= min_events)
        if max_events is not None:
            conditions.append(AlertRow.event_count <= max_events)
        if since is not None:
            conditions.append(AlertRow.created_at >= utc(since))
        if until is not None:
            conditions.append(AlertRow.created_at < utc(until))
        if cursor:
            after_time, after_id = decode_cursor(cursor)
            if oldest_first:
                conditions.append(or_(AlertRow.created_at > after_time,
                                      and_(AlertRow.created_at == after_time, AlertRow.id > after_id)))
            else:
                conditions.append(or_(AlertRow.created_at < after_time,
                                      and_(AlertRow.created_at == after_time, AlertRow.id < after_id)))
        order = ((AlertRow.created_at.asc(), AlertRow.id.asc()) if oldest_first
                 else (AlertRow.created_at.desc(), AlertRow.id.desc()))
        query = select(AlertRow).where(*conditions).order_by(*order).limit(limit + 1)
        with self._tx.transaction(write=False) as session:
            rows = [to_record(row) for row in session.scalars(query)]
        if len(rows) <= limit:
            return rows, None
        rows = rows[:limit]
        return rows, encode_cursor(rows[-1].created_at, rows[-1].id)

    def count_created(self, detection_id: str, *, since: datetime, types: Iterable[str] | None = None) -> int:
        """How many alerts a detection created from `since` on (the alert-storm count)."""
        query = select(func.count()).select_from(AlertRow).where(
            AlertRow.detection_id == detection_id, AlertRow.created_at >= utc(since))
        if types is not None:
            query = query.where(AlertRow.type.in_(list(types)))
        with self._tx.transaction(write=False) as session:
            return int(session.scalar(query) or 0)

    # changes
    def _locked(self, session: Any, alert_id: str) -> AlertRow:
        row = session.scalars(select(AlertRow).where(AlertRow.id == alert_id).with_for_update()).first()
        if row is None:
            raise NotFound(f"no alert with id {alert_id!r}")
        return row

    def update(self, alert_id: str, *, status: str | None = None, assignee: str | None = None,
               actor: str = SYSTEM_ACTOR, at: datetime | None = None) -> AlertRecord:
        """Change the status and/or assignee ("" unassigns); each change that alters a value is recorded in
        the alert's history."""
        if status is not None:
            _check("alert status", status, ALERT_STATUSES)
        at = at or _now()
        with self._tx.transaction() as session:
            row = self._locked(session, alert_id)
            for field, value in (("status", status), ("assignee", assignee)):
                if value is None or getattr(row, field) == value:
                    continue
                session.add(HistoryRow(alert_id=alert_id, at=at, actor=actor, action="update", field=field,
                                       old=getattr(row, field), new=value))
                setattr(row, field, value)
                row.updated_at = at
            session.flush()
            return to_record(row)

    def add_matches(self, alert_id: str, *, count: int, first_event_time: datetime,
                    last_event_time: datetime, log_types: Iterable[str] = (), at: datetime | None = None,
                    actor: str = SYSTEM_ACTOR) -> AlertRecord:
        """Join `count` more matches to the alert: event count, event time span, log types, update time."""
        with self._tx.transaction() as session:
            self.add_matches_many({alert_id: NewMatches(count, first_event_time, last_event_time,
                                                        tuple(log_types))}, at=at, actor=actor)
            return to_record(self._locked(session, alert_id))

    def add_matches_many(self, joined: Mapping[str, NewMatches], *, at: datetime | None = None,
                         actor: str = SYSTEM_ACTOR) -> None:
        """`add_matches` for several alerts at once: one locking read, one update and one insert of history
        for all of them (the alert manager joins many alerts per batch)."""
        for matches in joined.values():
            if matches.count < 1:
                raise InvalidValue(f"count must be at least 1, not {matches.count}")
        if not joined:
            return
        at = utc(at or _now())
        table = AlertRow.__table__
        with self._tx.transaction() as session:
            session.flush()  # alerts created in this transaction must be visible to the Core read
            rows = _lock_rows(session, list(joined), table.c.event_count, table.c.first_event_time,
                              table.c.last_event_time, table.c.log_types)
            changes, history = [], []
            for row in rows:
                matches = joined[row.id]
                count = row.event_count + matches.count
                log_types = list(row.log_types or [])
                log_types += [t for t in matches.log_types if t and t not in log_types]
                changes.append({
                    "b_id": row.id, "event_count": count, "log_types": log_types,
                    "first_event_time": min(row.first_event_time, utc(matches.first_event_time)),
                    "last_event_time": max(row.last_event_time, utc(matches.last_event_time)),
                    "update_time": at, "updated_at": at})
                history.append({"alert_id": row.id, "at": at, "actor": actor, "action": "events",
                                "field": "event_count", "old": str(row.event_count), "new": str(count)})
            session.execute(update(table).where(table.c.id == bindparam("b_id")), changes)
            session.execute(insert(HistoryRow.__table__), history)
            _forget(session, joined)

    def set_destinations(self, alert_id: str, names: Iterable[str]) -> AlertRecord:
        """Record the destinations the alert was routed to (added to those already recorded)."""
        with self._tx.transaction() as session:
            self.set_destinations_many({alert_id: list(names)})
            return to_record(self._locked(session, alert_id))

    def set_destinations_many(self, names_by_alert: Mapping[str, Iterable[str]]) -> None:
        """`set_destinations` for several alerts in one locking read and one update."""
        if not names_by_alert:
            return
        table = AlertRow.__table__
        with self._tx.transaction() as session:
            session.flush()
            changes = []
            for row in _lock_rows(session, list(names_by_alert), table.c.destinations):
                merged = list(row.destinations or [])
                merged += [name for name in names_by_alert[row.id] if name not in merged]
                if merged != list(row.destinations or []):
                    changes.append({"b_id": row.id, "destinations": merged})
            if changes:
                session.execute(update(table).where(table.c.id == bindparam("b_id")), changes)
                _forget(session, names_by_alert)

    # comments and history
    def add_comment(self, alert_id: str, *, author: str, body: str, at: datetime | None = None) -> Comment:
        if not body.strip():
            raise InvalidValue("a comment needs some text")
        at = at or _now()
        with self._tx.transaction() as session:
            self._locked(session, alert_id)
            session.add(CommentRow(alert_id=alert_id, author=author, body=body, at=at))
            session.add(HistoryRow(alert_id=alert_id, at=at, actor=author, action="comment", field="",
                                   old=None, new=body))
        return Comment(alert_id, author, body, utc(at))

    def comments(self, alert_id: str) -> list[Comment]:
        query = select(CommentRow).where(CommentRow.alert_id == alert_id).order_by(CommentRow.at, CommentRow.id)
        with self._tx.transaction(write=False) as session:
            return [Comment(r.alert_id, r.author, r.body, r.at) for r in session.scalars(query)]

    def history(self, alert_id: str) -> list[HistoryEntry]:
        query = select(HistoryRow).where(HistoryRow.alert_id == alert_id).order_by(HistoryRow.at, HistoryRow.id)
        with self._tx.transaction(write=False) as session:
            return [HistoryEntry(r.alert_id, r.at, r.actor, r.action, r.field, r.old, r.new)
                    for r in session.scalars(query)]

    # deliveries
    def record_attempt(self, attempt: DeliveryAttempt) -> None:
        """Keep one delivery attempt; its destination joins the alert's destinations."""
        self.record_attempts([attempt])

    def record_attempts(self, attempts: Sequence[DeliveryAttempt]) -> None:
        """Keep delivery attempts in one transaction: one insert for all, and their destinations join their
        alerts' destinations. NotFound (nothing kept) if an alert is missing."""
        if not attempts:
            return
        names: dict[str, list[str]] = {}
        for attempt in attempts:
            names.setdefault(attempt.alert_id, []).append(attempt.destination_name)
        with self._tx.transaction() as session:
            self.set_destinations_many(names)
            session.execute(insert(DeliveryAttemptRow.__table__), [{
                "alert_id": a.alert_id, "destination_name": a.destination_name,
                "destination_id": a.destination_id, "destination_kind": a.destination_kind,
                "attempt": a.attempt, "at": utc(a.at), "ok": a.ok, "retryable": a.retryable,
                "status_code": a.status_code, "response": a.response, "error": a.error} for a in attempts])

    def attempts(self, alert_id: str) -> list[DeliveryAttempt]:
        query = (select(DeliveryAttemptRow).where(DeliveryAttemptRow.alert_id == alert_id)
                 .order_by(DeliveryAttemptRow.at, DeliveryAttemptRow.id))
        with self._tx.transaction(write=False) as session:
            return [DeliveryAttempt(
                alert_id=r.alert_id, destination_name=r.destination_name, destination_kind=r.destination_kind,
                attempt=r.attempt, at=r.at, ok=r.ok, retryable=r.retryable, status_code=r.status_code,
                response=r.response, error=r.error, destination_id=r.destination_id)
                for r in session.scalars(query)]
