"""Alert destinations created through the API (those of the config file live in the file). Settings are kept as
the destination's own entry, secrets included, as a config file holds them: the server needs them to deliver."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from onca.store.errors import Conflict, InvalidValue, NotFound
from onca.store.models import Base
from onca.store.session import Transactions

MAX_ID = 128
MAX_NAME = 255
MAX_KIND = 64


class DestinationRow(Base):
    __tablename__ = "destinations"

    id: Mapped[str] = mapped_column(String(MAX_ID), primary_key=True)  # what detections and the API call it
    name: Mapped[str] = mapped_column(String(MAX_NAME), unique=True)  # the display name, also usable by detections
    kind: Mapped[str] = mapped_column(String(MAX_KIND))  # webhook, slack, ...
    settings: Mapped[dict[str, Any]]  # the kind's settings, name and secrets included
    created_by: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


@dataclass(frozen=True, slots=True)
class DestinationRecord:
    id: str
    name: str
    kind: str
    settings: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    created_by: str = ""


def _record(row: DestinationRow) -> DestinationRecord:
    return DestinationRecord(id=row.id, name=row.name, kind=row.kind, settings=dict(row.settings or {}),
                             created_at=row.created_at, updated_at=row.updated_at, created_by=row.created_by)


def _check(destination_id: str, name: str, kind: str) -> None:
    if not destination_id or len(destination_id) > MAX_ID:
        raise InvalidValue(f"a destination id must have 1 to {MAX_ID} characters")
    if not name or len(name) > MAX_NAME:
        raise InvalidValue(f"a destination name must have 1 to {MAX_NAME} characters")
    if not kind or len(kind) > MAX_KIND:
        raise InvalidValue(f"a destination kind must have 1 to {MAX_KIND} characters")


class DestinationRepo:
    def __init__(self, tx: Transactions) -> None:
        self._tx = tx

    def create(self, destination_id: str, *, name: str, kind: str, settings: Mapping[str, Any],
               created_by: str = "", at: datetime | None = None) -> DestinationRecord:
        _check(destination_id, name, kind)
        at = at or datetime.now(UTC)
        with self._tx.transaction() as session:
            if session.get(DestinationRow, destination_id) is not None:
                raise Conflict(f"a destination with id {destination_id!r} already exists")
            self._check_name_free(session, name, destination_id)
            row = DestinationRow(id=destination_id, name=name, kind=kind, settings=dict(settings),
                                 created_by=created_by, created_at=at, updated_at=at)
            session.add(row)
            try:
                session.flush()
            except IntegrityError:
                raise Conflict(f"a destination with id {destination_id!r} or name {name!r} already exists") from None
            return _record(row)

    def get(self, destination_id: str) -> DestinationRecord | None:
        with self._tx.transaction(write=False) as session:
            row = session.get(DestinationRow, destination_id)
            return _record(row) if row is not None else None

    def list(self) -> list[DestinationRecord]:
        query = select(DestinationRow).order_by(DestinationRow.created_at, DestinationRow.id)
        with self._tx.transaction(write=False) as session:
            return [_record(row) for row in session.scalars(query)]

    def update(self, destination_id: str, *, name: str, kind: str, settings: Mapping[str, Any],
               at: datetime | None = None) -> DestinationRecord:
        _check(destination_id, name, kind)
        with self._tx.transaction() as session:
            row = session.get(DestinationRow, destination_id, with_for_update=True)
            if row is None:
                raise NotFound(f"no destination with id {destination_id!r}")
            if row.name != name:
                self._check_name_free(session, name, destination_id)
            row.name, row.kind, row.settings = name, kind, dict(settings)
            row.updated_at = at or datetime.now(UTC)
            try:
                session.flush()
            except IntegrityError:
                raise Conflict(f"a destination named {name!r} already exists") from None
            return _record(row)

    def delete(self, destination_id: str) -> None:
        with self._tx.transaction() as session:
            row = session.get(DestinationRow, destination_id, with_for_update=True)
            if row is None:
                raise NotFound(f"no destination with id {destination_id!r}")
            session.delete(row)

    @staticmethod
    def _check_name_free(session: Any, name: str, destination_id: str) -> None:
        taken = session.scalar(select(DestinationRow.id).where(DestinationRow.name == name))
        if taken is not None and taken != destination_id:
            raise Conflict(f"a destination named {name!r} already exists (id {taken!r})")
