"""Lookup tables created through the API (those of content trees and the config file live in their files).

A table is kept as the settings document the API accepted; its data as the text that was uploaded (CSV or JSON
lines), in a table of its own so listing tables never reads the data. Names are unique in any letter case.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from onca.store.errors import Conflict, InvalidValue, NotFound
from onca.store.models import Base
from onca.store.paging import after_cursor, check_limit, page
from onca.store.session import Transactions
from onca.store.text import name_key

MAX_NAME = 255
DATA_FORMATS = ("csv", "jsonl")


class LookupTableRow(Base):
    __tablename__ = "lookup_tables"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(MAX_NAME))  # the lookupName
    name_key: Mapped[str] = mapped_column(String(MAX_NAME), unique=True)  # the name case-folded
    settings: Mapped[dict[str, Any]]  # the API's document: lookupName, schema, primaryKey, associatedLogTypes...
    created_by: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (Index(None, "created_at", "id"),)


class LookupTableDataRow(Base):
    __tablename__ = "lookup_table_data"

    table_id: Mapped[str] = mapped_column(String(32), ForeignKey("lookup_tables.id", ondelete="CASCADE"),
                                          primary_key=True)
    format: Mapped[str] = mapped_column(String(16))  # csv | jsonl
    content: Mapped[str] = mapped_column(Text)  # as uploaded, so it can be read again under a changed schema
    size: Mapped[int] = mapped_column(Integer)  # bytes of UTF-8
    uploaded_by: Mapped[str] = mapped_column(String(255), default="")
    uploaded_at: Mapped[datetime]


@dataclass(frozen=True, slots=True)
class LookupTableRecord:
    id: str
    name: str
    settings: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    created_by: str = ""


@dataclass(frozen=True, slots=True)
class LookupTableData:
    table_id: str
    format: str
    content: str
    size: int
    uploaded_at: datetime
    uploaded_by: str = ""


def _record(row: LookupTableRow) -> LookupTableRecord:
    return LookupTableRecord(id=row.id, name=row.name, settings=dict(row.settings or {}), created_at=row.created_at,
                             updated_at=row.updated_at, created_by=row.created_by)


def _data(row: LookupTableDataRow) -> LookupTableData:
    return LookupTableData(table_id=row.table_id, format=row.format, content=row.content, size=row.size,
                           uploaded_at=row.uploaded_at, uploaded_by=row.uploaded_by)


def _checked_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME:
        raise InvalidValue(f"a lookup table needs a name of 1 to {MAX_NAME} characters")
    return name


class LookupTableRepo:
    def __init__(self, tx: Transactions) -> None:
        self._tx = tx

    def create(self, name: str, settings: Mapping[str, Any], *, created_by: str = "",
               at: datetime | None = None) -> LookupTableRecord:
        name = _checked_name(name)
        at = at or datetime.now(UTC)
        with self._tx.transaction() as session:
            if session.scalars(select(LookupTableRow.id).where(LookupTableRow.name_key == name_key(name))).first():
                raise Conflict(f"a lookup table named {name!r} already exists")
            row = LookupTableRow(id=uuid.uuid4().hex, name=name, name_key=name_key(name), settings=dict(settings),
                                 created_by=created_by, created_at=at, updated_at=at)
            session.add(row)
            try:
                session.flush()
            except IntegrityError:
                raise Conflict(f"a lookup table named {name!r} already exists") from None
            return _record(row)

    def get(self, table_id: str) -> LookupTableRecord | None:
        with self._tx.transaction(write=False) as session:
            row = session.get(LookupTableRow, table_id)
            return _record(row) if row is not None else None

    def list(self, *, limit: int = 100, cursor: str | None = None) -> tuple[list[LookupTableRecord], str | None]:
        """Oldest first; the page and the next page's cursor."""
        check_limit(limit)
        query = select(LookupTableRow)
        if cursor:
            query = query.where(after_cursor(LookupTableRow.created_at, LookupTableRow.id, cursor))
        query = query.order_by(LookupTableRow.created_at, LookupTableRow.id).limit(limit + 1)
        with self._tx.transaction(write=False) as session:
            return page([_record(row) for row in session.scalars(query)], limit)

    def update(self, table_id: str, name: str, settings: Mapping[str, Any], *,
               at: datetime | None = None) -> LookupTableRecord:
        name = _checked_name(name)
        with self._tx.transaction() as session:
            row = session.get(LookupTableRow, table_id, with_for_update=True)
            if row is None:
                raise NotFound(f"no lookup table with id {table_id!r}")
            taken = session.scalars(select(LookupTableRow.id).where(
                LookupTableRow.name_key == name_key(name), LookupTableRow.id != table_id)).first()
            if taken:
                raise Conflict(f"a lookup table named {name!r} already exists")
            row.name, row.name_key, row.settings = name, name_key(name), dict(settings)
            row.updated_at = at or datetime.now(UTC)
            session.flush()
            return _record(row)

    def delete(self, table_id: str) -> None:
        with self._tx.transaction() as session:
            row = session.get(LookupTableRow, table_id, with_for_update=True)
            if row is None:
                raise NotFound(f"no lookup table with id {table_id!r}")
            data = session.get(LookupTableDataRow, table_id)
            if data is not None:  # also without foreign-key enforcement
                session.delete(data)
            session.delete(row)

    def put_data(self, table_id: str, content: str, *, fmt: str, uploaded_by: str = "",
                 at: datetime | None = None) -> LookupTableData:
        """Replace the table's data with ``content`` (``fmt``: csv or jsonl)."""
        if fmt not in DATA_FORMATS:
            raise InvalidValue(f"lookup table data must be csv or jsonl, not {fmt!r}")
        if "\x00" in content:
            raise InvalidValue("lookup table data cannot hold NUL characters")  # PostgreSQL text cannot
        at = at or datetime.now(UTC)
        with self._tx.transaction() as session:
            table = session.get(LookupTableRow, table_id, with_for_update=True)
            if table is None:
                raise NotFound(f"no lookup table with id {table_id!r}")
            row = session.get(LookupTableDataRow, table_id)
            if row is None:
                row = LookupTableDataRow(table_id=table_id)
                session.add(row)
            row.format, row.content, row.size = fmt, content, len(content.encode())
            row.uploaded_by, row.uploaded_at = uploaded_by, at
            table.updated_at = at
            session.flush()
            return _data(row)

    def data(self, table_id: str) -> LookupTableData | None:
        with self._tx.transaction(write=False) as session:
            row = session.get(LookupTableDataRow, table_id)
            return _data(row) if row is not None else None
