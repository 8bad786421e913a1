"""System errors: problems Onca reports about itself (an alert storm, a failing destination). Reports of the
same (kind, subject) gather into one open error with a count until it is resolved."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select

from onca.store.errors import InvalidValue, NotFound
from onca.store.models import SystemErrorRow
from onca.store.paging import check_limit
from onca.store.records import SystemErrorRecord
from onca.store.session import Transactions, digest, insert_ignore
from onca.store.types import utc


def _record(row: SystemErrorRow) -> SystemErrorRecord:
    return SystemErrorRecord(id=row.id, kind=row.kind, subject=row.subject, message=row.message,
                             first_seen=row.first_seen, last_seen=row.last_seen, count=row.count,
                             resolved=row.resolved, resolved_at=row.resolved_at)


class SystemErrorRepo:
    def __init__(self, tx: Transactions) -> None:
        self._tx = tx

    def report(self, kind: str, subject: str, message: str, *, at: datetime) -> SystemErrorRecord:
        """Record one occurrence: a new open error, or one more on the open error of this kind and subject
        (its message becomes the latest one)."""
        if not kind:
            raise InvalidValue("a system error needs a kind")
        at = utc(at)
        open_key = digest(kind, subject)
        with self._tx.transaction() as session:
            insert_ignore(session, SystemErrorRow.__table__, {
                "id": uuid.uuid4().hex, "kind": kind, "subject": subject, "message": message,
                "first_seen": at, "last_seen": at, "count": 0, "resolved": False, "open_key": open_key})
            query = select(SystemErrorRow).where(SystemErrorRow.open_key == open_key).with_for_update()
            row = session.scalars(query).one()
            row.count += 1
            row.message = message
            row.last_seen = max(row.last_seen, at)
            session.flush()
            return _record(row)

    def get(self, error_id: str) -> SystemErrorRecord | None:
        with self._tx.transaction(write=False) as session:
            row = session.get(SystemErrorRow, error_id)
            return _record(row) if row is not None else None

    def list(self, *, resolved: bool | None = None, kind: str | None = None, subject: str | None = None,
             limit: int = 100) -> list[SystemErrorRecord]:
        """Newest first (by last occurrence)."""
        check_limit(limit)
        query = select(SystemErrorRow)
        if resolved is not None:
            query = query.where(SystemErrorRow.resolved.is_(resolved))
        if kind is not None:
            query = query.where(SystemErrorRow.kind == kind)
        if subject is not None:
            query = query.where(SystemErrorRow.subject == subject)
        query = query.order_by(SystemErrorRow.last_seen.desc(), SystemErrorRow.id).limit(limit)
        with self._tx.transaction(write=False) as session:
            return [_record(row) for row in session.scalars(query)]

    def resolve(self, error_id: str, *, at: datetime) -> SystemErrorRecord:
        """Mark the error resolved; the next report of its kind and subject opens a new one."""
        with self._tx.transaction() as session:
            row = session.scalars(select(SystemErrorRow).where(SystemErrorRow.id == error_id)
                                  .with_for_update()).first()
            if row is None:
                raise NotFound(f"no system error with id {error_id!r}")
            if not row.resolved:
                row.resolved, row.resolved_at, row.open_key = True, utc(at), None
            session.flush()
            return _record(row)

    def resolve_open(self, kind: str, subject: str, *, at: datetime) -> SystemErrorRecord | None:
        """Resolve the open error of this kind and subject, if there is one."""
        with self._tx.transaction() as session:
            row = session.scalars(select(SystemErrorRow).where(SystemErrorRow.open_key == digest(kind, subject))
                                  .with_for_update()).first()
            if row is None:
                return None
            row.resolved, row.resolved_at, row.open_key = True, utc(at), None
            session.flush()
            return _record(row)
