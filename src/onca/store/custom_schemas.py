"""Custom log schemas kept as the YAML their authors wrote, with a revision counted up on every change."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from onca.store.errors import InvalidValue
from onca.store.models import CustomSchemaRow
from onca.store.records import CustomSchemaRecord
from onca.store.session import Transactions


def _record(row: CustomSchemaRow) -> CustomSchemaRecord:
    return CustomSchemaRecord(name=row.name, spec=row.spec, revision=row.revision, created_at=row.created_at,
                              updated_at=row.updated_at, description=row.description, created_by=row.created_by)


class CustomSchemaRepo:
    def __init__(self, tx: Transactions) -> None:
        self._tx = tx

    def put(self, name: str, spec: str, *, description: str = "", author: str = "",
            at: datetime | None = None) -> CustomSchemaRecord:
        """Create the schema, or replace its spec as the next revision."""
        if not name or len(name) > 255:
            raise InvalidValue("a schema needs a name of 1 to 255 characters")
        at = at or datetime.now(UTC)
        with self._tx.transaction() as session:
            row = session.get(CustomSchemaRow, name, with_for_update=True)
            if row is None:
                row = CustomSchemaRow(name=name, description=description, spec=spec, revision=1,
                                      created_by=author, created_at=at, updated_at=at)
                session.add(row)
            else:
                row.spec, row.description = spec, description
                row.revision += 1
                row.updated_at = at
            session.flush()
            return _record(row)

    def get(self, name: str) -> CustomSchemaRecord | None:
        with self._tx.transaction(write=False) as session:
            row = session.get(CustomSchemaRow, name)
            return _record(row) if row is not None else None

    def list(self) -> list[CustomSchemaRecord]:
        with self._tx.transaction(write=False) as session:
            return [_record(row) for row in session.scalars(select(CustomSchemaRow).order_by(CustomSchemaRow.name))]
