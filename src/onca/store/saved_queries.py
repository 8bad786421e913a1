"""Saved queries: named SQL with an optional schedule, names unique in any letter case."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from onca.store.errors import Conflict, InvalidValue, NotFound
from onca.store.models import SavedQueryRow
from onca.store.paging import after_cursor, check_limit, page
from onca.store.records import SavedQueryRecord
from onca.store.session import Transactions
from onca.store.text import name_key


def _record(row: SavedQueryRow) -> SavedQueryRecord:
    return SavedQueryRecord(id=row.id, name=row.name, sql=row.sql, created_at=row.created_at,
                            updated_at=row.updated_at, description=row.description,
                            schedule=dict(row.schedule) if row.schedule else None, created_by=row.created_by)


def _checked(name: str, sql: str) -> tuple[str, str]:
    name = (name or "").strip()
    if not name or len(name) > 255:
        raise InvalidValue("a saved query needs a name of 1 to 255 characters")
    if not (sql or "").strip():
        raise InvalidValue(f"saved query {name!r} has no SQL")
    return name, sql


class SavedQueryRepo:
    def __init__(self, tx: Transactions) -> None:
        self._tx = tx

    def create(self, name: str, sql: str, *, description: str = "", schedule: Mapping[str, Any] | None = None,
               created_by: str = "", at: datetime | None = None) -> SavedQueryRecord:
        name, sql = _checked(name, sql)
        at = at or datetime.now(UTC)
        with self._tx.transaction() as session:
            if session.scalars(select(SavedQueryRow.id).where(SavedQueryRow.name_key == name_key(name))).first():
                raise Conflict(f"a saved query named {name!r} already exists")
            row = SavedQueryRow(id=uuid.uuid4().hex, name=name, name_key=name_key(name), description=description,
                                sql=sql, schedule=dict(schedule) if schedule else None, created_by=created_by,
                                created_at=at, updated_at=at)
            session.add(row)
            try:
                session.flush()
            except IntegrityError:
                raise Conflict(f"a saved query named {name!r} already exists") from None
            return _record(row)

    def get(self, query_id: str) -> SavedQueryRecord | None:
        with self._tx.transaction(write=False) as session:
            row = session.get(SavedQueryRow, query_id)
            return _record(row) if row is not None else None

    def list(self, *, limit: int = 100, cursor: str | None = None) -> tuple[list[SavedQueryRecord], str | None]:
        """Oldest first; the page and the next page's cursor."""
        check_limit(limit)
        query = select(SavedQueryRow)
        if cursor:
            query = query.where(after_cursor(SavedQueryRow.created_at, SavedQueryRow.id, cursor))
        query = query.order_by(SavedQueryRow.created_at, SavedQueryRow.id).limit(limit + 1)
        with self._tx.transaction(write=False) as session:
            return page([_record(row) for row in session.scalars(query)], limit)

    def update(self, query_id: str, *, name: str, sql: str, description: str = "",
               schedule: Mapping[str, Any] | None = None, at: datetime | None = None) -> SavedQueryRecord:
        name, sql = _checked(name, sql)
        with self._tx.transaction() as session:
            row = session.get(SavedQueryRow, query_id, with_for_update=True)
            if row is None:
                raise NotFound(f"no saved query with id {query_id!r}")
            taken = session.scalars(select(SavedQueryRow.id).where(
                SavedQueryRow.name_key == name_key(name), SavedQueryRow.id != query_id)).first()
            if taken:
                raise Conflict(f"a saved query named {name!r} already exists")
            row.name, row.name_key, row.sql, row.description = name, name_key(name), sql, description
            row.schedule = dict(schedule) if schedule else None
            row.updated_at = at or datetime.now(UTC)
            session.flush()
            return _record(row)

    def delete(self, query_id: str) -> None:
        with self._tx.transaction() as session:
            row = session.get(SavedQueryRow, query_id, with_for_update=True)
            if row is None:
                raise NotFound(f"no saved query with id {query_id!r}")
            session.delete(row)
