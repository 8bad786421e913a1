"""Where policy statuses are kept between evaluations, so that only a change to FAIL raises an alert."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from onca.detect.policies.model import ComplianceRecord


@runtime_checkable
class ComplianceState(Protocol):
    """The status of each (policy, resource) pair. A database-backed store provides the same methods."""

    def get(self, policy_id: str, resource_id: str) -> str | None:
        """The last status recorded, or None for a pair never evaluated."""
        ...

    def put(self, record: ComplianceRecord) -> str | None:
        """Record the new status and return the previous one (None if there was none)."""
        ...


class MemoryComplianceState:
    """Statuses in a dict: for tests and one-off evaluations."""

    def __init__(self) -> None:
        self._records: dict[tuple[str, str], ComplianceRecord] = {}

    def get(self, policy_id: str, resource_id: str) -> str | None:
        record = self._records.get((policy_id, resource_id))
        return record.status if record is not None else None

    def put(self, record: ComplianceRecord) -> str | None:
        previous = self._records.get((record.policy_id, record.resource_id))
        self._records[(record.policy_id, record.resource_id)] = record
        return previous.status if previous is not None else None

    def record(self, policy_id: str, resource_id: str) -> ComplianceRecord | None:
        return self._records.get((policy_id, resource_id))

    def records(self) -> list[ComplianceRecord]:
        return list(self._records.values())
