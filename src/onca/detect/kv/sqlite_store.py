"""SQLite key-value store: one file under the data directory, or ``:memory:`` for tests."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from onca.detect.kv.base import KeyValueError, as_string_set

_SCHEMA = """
CREATE TABLE IF NOT EXISTS kv_entries (
    key TEXT PRIMARY KEY,
    counter INTEGER,
    string_set TEXT,
    dictionary TEXT,
    expires_at REAL
)
"""


class SQLiteKeyValueStore:
    def __init__(self, path: str | Path = ":memory:", *, clock: Callable[[], float] = time.time) -> None:
        self.path = str(path)
        self._clock = clock
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
            self._db.execute(_SCHEMA)
            if self.path != ":memory:":
                self._db.execute("PRAGMA journal_mode=WAL")
                # a cache for detections: a commit survives a crash of the process; only the last few may be
                # lost to a power cut, and no commit pays for an fsync
                self._db.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.Error as exc:
            raise KeyValueError(f"cannot open the key-value store at {self.path}: {exc}") from exc
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"SQLiteKeyValueStore({self.path!r})"

    @contextmanager
    def _transaction(self, key: str) -> Iterator[sqlite3.Connection]:
        """Run under a write lock, with the key already purged if it has expired."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(
                    "DELETE FROM kv_entries WHERE key = ? AND expires_at IS NOT NULL AND expires_at <= ?",
                    (key, self._clock()),
                )
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _read(self, key: str, column: str) -> Any:
        with self._lock:
            row = self._db.execute(
                f"SELECT {column} FROM kv_entries WHERE key = ? AND (expires_at IS NULL OR expires_at > ?)",
                (key, self._clock()),
            ).fetchone()
        return None if row is None else row[0]

    def _write(self, db: sqlite3.Connection, key: str, column: str, value: Any, expires_at: float | None) -> None:
        db.execute(
            f"INSERT INTO kv_entries (key, {column}, expires_at) VALUES (?, ?, ?) "
            f"ON CONFLICT(key) DO UPDATE SET {column} = excluded.{column}, "
            "expires_at = COALESCE(?, kv_entries.expires_at)",
            (key, value, expires_at, expires_at),
        )

    def get_counter(self, key: str) -> int:
        return int(self._read(key, "counter") or 0)

    def increment_counter(self, key: str, amount: int = 1, expires_at: float | None = None) -> int:
        with self._transaction(key) as db:
            row = db.execute("SELECT counter FROM kv_entries WHERE key = ?", (key,)).fetchone()
            value = int((row[0] if row else 0) or 0) + int(amount)
            self._write(db, key, "counter", value, expires_at)
        return value

    def reset_counter(self, key: str) -> None:
        with self._transaction(key) as db:
            db.execute("UPDATE kv_entries SET counter = NULL WHERE key = ?", (key,))

    def get_string_set(self, key: str) -> set[str]:
        raw = self._read(key, "string_set")
        return set(json.loads(raw)) if raw else set()

    def _update_set(
        self, key: str, change: Callable[[set[str]], set[str]], expires_at: float | None
    ) -> set[str]:
        with self._transaction(key) as db:
            row = db.execute("SELECT string_set FROM kv_entries WHERE key = ?", (key,)).fetchone()
            current = set(json.loads(row[0])) if row and row[0] else set()
            updated = change(current)
            self._write(db, key, "string_set", json.dumps(sorted(updated)) if updated else None, expires_at)
        return updated

    def put_string_set(self, key: str, values: Iterable[str], expires_at: float | None = None) -> None:
        members = as_string_set(values)
        self._update_set(key, lambda _current: members, expires_at)

    def add_to_string_set(self, key: str, values: Iterable[str], expires_at: float | None = None) -> set[str]:
        members = as_string_set(values)
        return self._update_set(key, lambda current: current | members, expires_at)

    def remove_from_string_set(
        self, key: str, values: Iterable[str], expires_at: float | None = None
    ) -> set[str]:
        members = as_string_set(values)
        return self._update_set(key, lambda current: current - members, expires_at)

    def reset_string_set(self, key: str) -> None:
        with self._transaction(key) as db:
            db.execute("UPDATE kv_entries SET string_set = NULL WHERE key = ?", (key,))

    def get_dictionary(self, key: str) -> dict[str, Any] | None:
        raw = self._read(key, "dictionary")
        return None if raw is None else json.loads(raw)

    def put_dictionary(self, key: str, value: dict[str, Any], expires_at: float | None = None) -> None:
        encoded = json.dumps(value)
        with self._transaction(key) as db:
            self._write(db, key, "dictionary", encoded, expires_at)

    def set_expiration(self, key: str, expires_at: float | None) -> None:
        with self._transaction(key) as db:
            db.execute(
                "INSERT INTO kv_entries (key, expires_at) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET expires_at = excluded.expires_at",
                (key, expires_at),
            )

    def expiration(self, key: str) -> float | None:
        value = self._read(key, "expires_at")
        return None if value is None else float(value)

    def delete(self, key: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM kv_entries WHERE key = ?", (key,))

    def clear(self) -> None:
        with self._lock:
            self._db.execute("DELETE FROM kv_entries")

    def close(self) -> None:
        with self._lock:
            self._db.close()
