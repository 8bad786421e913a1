"""Per-detection alerting state: whether the alert-storm limiter has suspended a detection's alerts."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select

from onca.store.models import DetectionStateRow
from onca.store.records import DetectionState
from onca.store.session import Transactions, insert_ignore, insert_ignore_many
from onca.store.types import utc


_CHUNK = 5_000  # ids per statement: under every backend's limit on bound parameters


def _record(row: DetectionStateRow) -> DetectionState:
    return DetectionState(row.detection_id, row.alerting_suspended, row.suspended_at, row.reason, row.resumed_at)


class DetectionRepo:
    def __init__(self, tx: Transactions) -> None:
        self._tx = tx

    def get(self, detection_id: str) -> DetectionState | None:
        with self._tx.transaction(write=False) as session:
            row = session.get(DetectionStateRow, detection_id)
            return _record(row) if row is not None else None

    def lock(self, detection_id: str) -> DetectionState:
        """The detection's state, locked until the transaction ends: the alert manager holds it while it
        decides on the detection's alerts, so processes handling the same detection take turns."""
        with self._tx.transaction() as session:
            insert_ignore(session, DetectionStateRow.__table__,
                          {"detection_id": detection_id, "alerting_suspended": False, "reason": ""})
            query = select(DetectionStateRow).where(DetectionStateRow.detection_id == detection_id)
            return _record(session.scalars(query.with_for_update()).one())

    def lock_many(self, detection_ids: Iterable[str]) -> dict[str, DetectionState]:
        """`lock` for several detections in one statement each way, their rows locked in id order: the order
        every process follows, so two of them cannot deadlock."""
        ids = sorted(set(detection_ids))
        states: dict[str, DetectionState] = {}
        with self._tx.transaction() as session:
            for start in range(0, len(ids), _CHUNK):
                chunk = ids[start:start + _CHUNK]
                insert_ignore_many(session, DetectionStateRow.__table__, [
                    {"detection_id": detection_id, "alerting_suspended": False, "reason": ""}
                    for detection_id in chunk])
                query = (select(DetectionStateRow).where(DetectionStateRow.detection_id.in_(chunk))
                         .order_by(DetectionStateRow.detection_id).with_for_update())
                states.update((row.detection_id, _record(row)) for row in session.scalars(query))
        return states

    def suspend(self, detection_id: str, *, at: datetime, reason: str) -> DetectionState:
        with self._tx.transaction() as session:
            self.lock(detection_id)
            row = session.get(DetectionStateRow, detection_id)
            assert row is not None
            row.alerting_suspended, row.suspended_at, row.reason = True, utc(at), reason
            session.flush()
            return _record(row)

    def resume(self, detection_id: str, *, at: datetime) -> DetectionState:
        """Let the detection alert again; the alert-storm count starts afresh from `at`."""
        with self._tx.transaction() as session:
            self.lock(detection_id)
            row = session.get(DetectionStateRow, detection_id)
            assert row is not None
            row.alerting_suspended, row.resumed_at, row.reason = False, utc(at), ""
            session.flush()
            return _record(row)

    def suspended(self) -> list[DetectionState]:
        query = (select(DetectionStateRow).where(DetectionStateRow.alerting_suspended.is_(True))
                 .order_by(DetectionStateRow.detection_id))
        with self._tx.transaction(write=False) as session:
            return [_record(row) for row in session.scalars(query)]
