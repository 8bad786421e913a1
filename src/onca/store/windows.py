"""Deduplication windows: per (detection, alert type, dedup string), the matches seen since the window opened
and the alert they joined. Kept in the database so thresholds and dedup survive restarts and hold across
processes."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

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


_CHUNK = 10_000  # keys per IN (...): under every backend's limit on bound parameters


def _values(window: DedupWindow) -> dict[str, Any]:
    return {"key": window.key, "detection_id": window.detection_id, "alert_type": window.alert_type,
            "dedup": window.dedup, "opened_at": utc(window.opened_at), "closes_at": utc(window.closes_at),
            "match_count": window.match_count, "alert_id": window.alert_id,
            "first_event_time": utc(window.first_event_time), "last_event_time": utc(window.last_event_time)}


def _insert(session: Session) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT (both backends support it)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


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

    def lock_many(self, parts: Iterable[tuple[str, str, str]]) -> dict[str, DedupWindow]:
        """`lock` for several (detection, alert type, dedup string) keys in one read, by key; keys that never
        had a window are missing."""
        keys = sorted({window_key(*part) for part in parts})
        found: dict[str, DedupWindow] = {}
        with self._tx.transaction() as session:
            for start in range(0, len(keys), _CHUNK):
                query = (select(DedupWindowRow).where(DedupWindowRow.key.in_(keys[start:start + _CHUNK]))
                         .order_by(DedupWindowRow.key).with_for_update())
                found.update((row.key, _record(row)) for row in session.scalars(query))
        return found

    def save_many(self, windows: Iterable[DedupWindow]) -> None:
        """`save` for several windows in one statement (insert, or update the key's row)."""
        values = [_values(window) for window in windows]
        if not values:
            return
        with self._tx.transaction() as session:
            session.flush()  # rows changed through the session first, so ours are written last
            table = DedupWindowRow.__table__
            statement = _insert(session)(table)
            columns = [name for name in values[0] if name != "key"]
            statement = statement.on_conflict_do_update(
                index_elements=[table.c.key], set_={name: statement.excluded[name] for name in columns})
            session.execute(statement, values)
            for window in values:  # objects the session holds for these rows are reloaded when read
                row = session.identity_map.get(session.identity_key(DedupWindowRow, window["key"]))
                if row is not None:
                    session.expire(row)

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
