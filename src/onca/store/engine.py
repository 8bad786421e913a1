"""Turning a store URL into a SQLAlchemy engine set up for how Onca uses each database."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import StaticPool

from onca.store.errors import StoreError
from onca.store.types import dumps_json, loads_json

WRITE_OPTION = "onca_write"  # execution option: this transaction will write (SQLite takes the lock up front)
SQLITE_BUSY_SECONDS = 30


def normalize_url(url: str) -> str:
    """The URL SQLAlchemy should use: PostgreSQL goes through psycopg 3 whichever spelling was given."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def make_store_engine(url: str) -> Engine:
    try:
        parsed = make_url(normalize_url(url))
    except ArgumentError as exc:
        raise StoreError(f"store URL {url!r} is not a database URL: {exc}") from None
    options: dict[str, Any] = {"json_serializer": dumps_json, "json_deserializer": loads_json}
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, options, url)
    if parsed.get_backend_name() == "postgresql":
        if parsed.get_driver_name() != "psycopg":
            raise StoreError(f"store URL {url!r}: use postgresql:// or postgresql+psycopg:// (psycopg 3)")
        return create_engine(parsed, pool_pre_ping=True, **options)
    raise StoreError(f"unsupported store URL {url!r}: use sqlite:///path/onca.db or postgresql://user@host/db")


def _sqlite_engine(parsed: Any, options: dict[str, Any], url: str) -> Engine:
    database = parsed.database or ""
    if database in ("", ":memory:"):
        # one shared connection, or every checkout would see its own empty database
        engine = create_engine(parsed, poolclass=StaticPool,
                               connect_args={"check_same_thread": False}, **options)
    else:
        path = Path(database)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"store URL {url!r}: cannot create the folder {path.parent}: {exc}") from None
        engine = create_engine(parsed, connect_args={"timeout": SQLITE_BUSY_SECONDS, "check_same_thread": False},
                               **options)
    _sqlite_transactions(engine, in_memory=database in ("", ":memory:"))
    return engine


def _use_wal(cursor: Any) -> None:
    """Switch the database file to WAL once. Switching needs the file to itself and SQLite reports "database is
    locked" at once, without its busy wait, when another process holds it (creating the same new store, say);
    so the switch is retried for as long as any other lock would be waited for."""
    deadline = time.monotonic() + SQLITE_BUSY_SECONDS
    while True:
        try:
            mode = cursor.execute("PRAGMA journal_mode").fetchone()[0]
            if mode != "wal":  # when it cannot switch, SQLite may also just answer with the old mode
                mode = cursor.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
        else:
            if mode == "wal" or time.monotonic() > deadline:
                return  # still usable in its old mode; the next connection tries again
        time.sleep(0.05)


def _sqlite_transactions(engine: Engine, *, in_memory: bool) -> None:
    """Let SQLite's own locking serialize writers: the driver's implicit transactions are turned off and every
    transaction that will write begins with BEGIN IMMEDIATE, so two processes updating the same alert wait for
    each other instead of both reading the old state."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if not in_memory:
            _use_wal(cursor)  # readers do not block the writer
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        write = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
