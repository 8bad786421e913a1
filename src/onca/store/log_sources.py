"""Log sources created through the API (those of the config file live in the file). Settings are kept as the
source's own document, secrets included: the server needs them to check requests."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from onca.store.errors import Conflict, InvalidValue, NotFound
from onca.store.models import LogSourceRow
from onca.store.records import LogSourceRecord
from onca.store.session import Transactions


def _record(row: LogSourceRow) -> LogSourceRecord:
    return LogSourceRecord(id=row.id, kind=row.kind, label=row.label, settings=dict(row.settings or {}),
                           created_at=row.created_at, updated_at=row.updated_at, created_by=row.created_by)


class LogSourceRepo:
    def __init__(self, tx: Transactions) -> None:
        self._tx = tx

    def create(self, source_id: str, *, kind: str, label: str, settings: Mapping[str, Any], created_by: str = "",
               at: datetime | None = None) -> LogSourceRecord:
        if not source_id or len(source_id) > 128:
            raise InvalidValue("a log source id must have 1 to 128 characters")
        at = at or datetime.now(UTC)
        with self._tx.transaction() as session:
            if session.get(LogSourceRow, source_id) is not None:
                raise Conflict(f"a log source with id {source_id!r} already exists")
            row = LogSourceRow(id=source_id, kind=kind, label=label, settings=dict(settings),
                               created_by=created_by, created_at=at, updated_at=at)
            session.add(row)
            try:
                session.flush()
            except IntegrityError:
                raise Conflict(f"a log source with id {source_id!r} already exists") from None
            return _record(row)

    def get(self, source_id: str) -> LogSourceRecord | None:
        with self._tx.transaction(write=False) as session:
            row = session.get(LogSourceRow, source_id)
            return _record(row) if row is not None else None

    def list(self, *, kind: str | None = None) -> list[LogSourceRecord]:
        query = select(LogSourceRow).order_by(LogSourceRow.created_at, LogSourceRow.id)
        if kind is not None:
            query = query.where(LogSourceRow.kind == kind)
        with self._tx.transaction(write=False) as session:
            return [_record(row) for row in session.scalars(query)]

    def update(self, source_id: str, *, label: str, settings: Mapping[str, Any],
               at: datetime | None = None) -> LogSourceRecord:
        with self._tx.transaction() as session:
            row = session.get(LogSourceRow, source_id, with_for_update=True)
            if row is None:
                raise NotFound(f"no log source with id {source_id!r}")
            row.label = label
            row.settings = dict(settings)
            row.updated_at = at or datetime.now(UTC)
            session.flush()
            return _record(row)

    def delete(self, source_id: str) -> None:
        with self._tx.transaction() as session:
            row = session.get(LogSourceRow, source_id, with_for_update=True)
            if row is None:
                raise NotFound(f"no log source with id {source_id!r}")
            session.delete(row)
