"""Turning a store URL into a SQLAlchemy engine set up for how Onca uses each database."""

from __future__ import annotations

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


def _sqlite_transactions(engine: Engine, *, in_memory: bool) -> None:
    """Let SQLite's own locking serialize writers: the driver's implicit transactions are turned off and every
    transaction that will write begins with BEGIN IMMEDIATE, so two processes updating the same alert wait for
    each other instead of both reading the old state."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        write = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
