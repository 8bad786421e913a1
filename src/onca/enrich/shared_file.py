"""Lookup tables shared with detection worker processes through a SQLite file, for ``event.lookup(table, key)``.

Detection code runs in processes forked when the engine starts; tables created or changed later must still reach
them. The process that loads tables writes each enabled table's rows here (one transaction per table, in WAL mode
so readers never wait); every process answers ``lookup`` by reading the file, so a change is seen by the next
lookup anywhere. Rows are stored as JSON under their key: the key's text, or for a CIDR table the network's
canonical text, which an address finds by trying each network that could contain it, narrowest first.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Mapping
from contextlib import closing
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson

from onca.enrich.keys import as_network, candidate_networks, key_text
from onca.enrich.table import LookupTable

_SCHEMA = """
CREATE TABLE IF NOT EXISTS lookup_tables (name TEXT PRIMARY KEY, cidr INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS lookup_rows (
    name TEXT NOT NULL, key TEXT NOT NULL, row TEXT NOT NULL, PRIMARY KEY (name, key)) WITHOUT ROWID;
"""
_BUSY_MS = 30_000


def json_default(value: Any) -> Any:
    """Row values JSON lacks, written as detections see event values (timestamps in Panther's layout)."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat(sep=" ", timespec="microseconds")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return str(value)


def row_json(row: Mapping[str, Any]) -> bytes:
    return orjson.dumps(row, default=json_default, option=orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS)


class SharedTables:
    """The writing side. ``fresh`` starts from an empty file (a server's tables are all written again)."""

    def __init__(self, path: Path, *, fresh: bool = True) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if fresh:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        self._lock = threading.Lock()
        with closing(self._connect()) as connection:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.executescript(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=_BUSY_MS / 1000, isolation_level=None)
        connection.execute(f"PRAGMA busy_timeout={_BUSY_MS}")
        return connection

    def replace(self, table: LookupTable) -> None:
        """Publish ``table``'s rows; a disabled table is withdrawn."""
        if not table.enabled:
            self.remove(table.name)
            return
        rows = [(table.name, key, row_json(row)) for key, row in table.index.items()]
        with self._lock, closing(self._connect()) as connection:
            connection.execute("BEGIN IMMEDIATE")
            try:
                connection.execute("DELETE FROM lookup_rows WHERE name = ?", (table.name,))
                connection.executemany("INSERT INTO lookup_rows (name, key, row) VALUES (?, ?, ?)", rows)
                connection.execute("INSERT OR REPLACE INTO lookup_tables (name, cidr) VALUES (?, ?)",
                                   (table.name, int(table.index.cidr)))
                connection.execute("COMMIT")
            except BaseException:
                connection.execute("ROLLBACK")
                raise

    def remove(self, name: str) -> None:
        with self._lock, closing(self._connect()) as connection:
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("DELETE FROM lookup_rows WHERE name = ?", (name,))
            connection.execute("DELETE FROM lookup_tables WHERE name = ?", (name,))
            connection.execute("COMMIT")


class SharedLookup:
    """``event.lookup`` for any process: the row of table ``lookup_name`` for ``lookup_key``, or None.

    Install it with ``onca.detect.platform.use_lookup_function`` before the detection engine starts its
    workers. Each process (and thread) opens its own read-only connection on first use.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._local = threading.local()

    def __call__(self, event: Any, lookup_name: str, lookup_key: Any) -> dict[str, Any] | None:
        return self.row(lookup_name, lookup_key)

    def _connection(self) -> sqlite3.Connection | None:
        local = self._local
        if getattr(local, "pid", None) != os.getpid():  # a connection never crosses a fork
            local.pid, local.connection = os.getpid(), None
        if local.connection is None:
            if not self.path.exists():
                return None
            connection = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=_BUSY_MS / 1000,
                                         isolation_level=None)
            connection.execute(f"PRAGMA busy_timeout={_BUSY_MS}")
            local.connection = connection
        return local.connection

    def row(self, lookup_name: str, lookup_key: Any) -> dict[str, Any] | None:
        key = key_text(lookup_key)
        connection = self._connection()
        if key is None or connection is None or not isinstance(lookup_name, str):
            return None
        found = connection.execute("SELECT cidr FROM lookup_tables WHERE name = ?", (lookup_name,)).fetchone()
        if found is None:
            return None
        if not found[0]:
            hit = connection.execute("SELECT row FROM lookup_rows WHERE name = ? AND key = ?",
                                     (lookup_name, key)).fetchone()
            return orjson.loads(hit[0]) if hit else None
        candidates = candidate_networks(key)
        if not candidates and "/" in key:
            network = as_network(key)  # a network asked for itself
            candidates = [str(network)] if network is not None else []
        if not candidates:
            return None
        marks = ",".join("?" * len(candidates))
        hits = dict(connection.execute(f"SELECT key, row FROM lookup_rows WHERE name = ? AND key IN ({marks})",
                                       (lookup_name, *candidates)).fetchall())
        for network in candidates:
            if network in hits:
                return orjson.loads(hits[network])
        return None
