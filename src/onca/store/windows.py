"""Deduplication windows: per (detection, alert type, dedup string), the matches seen since the window opened
and the alert they joined. Kept in the database so thresholds and dedup survive restarts and hold across
processes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select

from onca.store.models import DedupWindowRow
from onca.store.records import DedupWindow
from onca.store.session import Transactions, digest
from onca.store.types import utc


def window_key(detection_id: str, alert_type: str, dedup: str) -> str:
    return digest(detection_id, alert_type, dedup)


def _record(row: DedupWindowRow) -> DedupWindow:
    return DedupWindow(key=row.key, detection_id=row.detection_id, alert_type=row.alert_type, dedup=row.dedup,
                       opened_at=row.opened_at, closes_at=row.closes_at, match_count=row.match_count,
                       alert_id=row.alert_id, first_event_time=row.first_event_time,
                       last_event_time=row.last_event_time)


class WindowRepo:
    def __init__(self, tx: Transactions) -> None:
        self._tx = tx

    def lock(self, detection_id: str, alert_type: str, dedup: str) -> DedupWindow | None:
        """The key's window, locked until the transaction ends (PostgreSQL: FOR UPDATE; SQLite: the write
        transaction already excludes other writers). None if the key never had one."""
        key = window_key(detection_id, alert_type, dedup)
        with self._tx.transaction() as session:
            row = session.scalars(select(DedupWindowRow).where(DedupWindowRow.key == key).with_for_update()).first()
            return _record(row) if row is not None else None

    def save(self, window: DedupWindow) -> None:
        with self._tx.transaction() as session:
            row = session.get(DedupWindowRow, window.key)
            if row is None:
                row = DedupWindowRow(key=window.key)
                session.add(row)
            row.detection_id, row.alert_type, row.dedup = window.detection_id, window.alert_type, window.dedup
            row.opened_at, row.closes_at = utc(window.opened_at), utc(window.closes_at)
            row.match_count, row.alert_id = window.match_count, window.alert_id
            row.first_event_time, row.last_event_time = utc(window.first_event_time), utc(window.last_event_time)

    def purge(self, *, closed_before: datetime) -> int:
        """Forget windows that closed before the given time; returns how many."""
        with self._tx.transaction() as session:
            result = session.execute(delete(DedupWindowRow).where(DedupWindowRow.closes_at < utc(closed_before)))
            return int(result.rowcount or 0)  # type: ignore[attr-defined]
