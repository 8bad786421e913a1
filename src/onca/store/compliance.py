"""Compliance state: the latest status of each policy on each resource. Provides the `get`/`put` pair the
policy engine's ComplianceState protocol asks for, so a store can be handed to it directly."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sqlalchemy import select

from onca.store.errors import InvalidValue
from onca.store.models import ComplianceRow
from onca.store.records import COMPLIANCE_STATUSES, ComplianceEntry
from onca.store.session import Transactions, insert_ignore
from onca.store.types import utc

FAIL = "FAIL"


class StatusRecord(Protocol):
    """What `put` reads from a record (the policy engine's ComplianceRecord has these attributes)."""

    policy_id: str
    resource_id: str
    resource_type: str
    status: str
    evaluated_at: datetime
    error: str


def _entry(row: ComplianceRow) -> ComplianceEntry:
    return ComplianceEntry(policy_id=row.policy_id, resource_id=row.resource_id, resource_type=row.resource_type,
                           status=row.status, evaluated_at=row.evaluated_at, error=row.error,
                           first_failed_at=row.first_failed_at)


class ComplianceRepo:
    def __init__(self, tx: Transactions) -> None:
        self._tx = tx

    def get(self, policy_id: str, resource_id: str) -> str | None:
        """The last status recorded, or None for a pair never evaluated."""
        entry = self.record(policy_id, resource_id)
        return entry.status if entry is not None else None

    def record(self, policy_id: str, resource_id: str) -> ComplianceEntry | None:
        with self._tx.transaction(write=False) as session:
            row = session.get(ComplianceRow, (policy_id, resource_id))
            return _entry(row) if row is not None else None

    def put(self, record: StatusRecord) -> str | None:
        """Record the new status and return the previous one (None if there was none). `first_failed_at`
        marks when the current run of FAILs began."""
        if record.status not in COMPLIANCE_STATUSES:
            raise InvalidValue(f"compliance status {record.status!r} is not one of {', '.join(COMPLIANCE_STATUSES)}")
        at = utc(record.evaluated_at)
        values = {"resource_type": record.resource_type, "status": record.status, "error": record.error or "",
                  "evaluated_at": at}
        with self._tx.transaction() as session:
            inserted = insert_ignore(session, ComplianceRow.__table__, {
                "policy_id": record.policy_id, "resource_id": record.resource_id,
                "first_failed_at": at if record.status == FAIL else None, **values})
            if inserted:
                return None
            query = select(ComplianceRow).where(ComplianceRow.policy_id == record.policy_id,
                                                ComplianceRow.resource_id == record.resource_id)
            row = session.scalars(query.with_for_update()).one()
            previous = row.status
            for name, value in values.items():
                setattr(row, name, value)
            if record.status != FAIL:
                row.first_failed_at = None
            elif previous != FAIL or row.first_failed_at is None:
                row.first_failed_at = at
            return previous

    def list(self, *, policy_id: str | None = None, status: str | None = None,
             resource_type: str | None = None) -> list[ComplianceEntry]:
        query = select(ComplianceRow)
        if policy_id is not None:
            query = query.where(ComplianceRow.policy_id == policy_id)
        if status is not None:
            query = query.where(ComplianceRow.status == status)
        if resource_type is not None:
            query = query.where(ComplianceRow.resource_type == resource_type)
        query = query.order_by(ComplianceRow.policy_id, ComplianceRow.resource_id)
        with self._tx.transaction(write=False) as session:
            return [_entry(row) for row in session.scalars(query)]
