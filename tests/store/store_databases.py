"""Fresh databases for store tests: a SQLite file, or a PostgreSQL database created for one test and dropped
after it. Other test folders put this folder on sys.path to use it."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

PG_SERVER = os.environ.get("ONCA_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
_reason: list[str] = []


def postgres_unavailable() -> str | None:
    """Why the PostgreSQL variants cannot run, or None when the server answers."""
    if not _reason:
        try:
            import psycopg

            with psycopg.connect(PG_SERVER, connect_timeout=3):
                pass
            _reason.append("")
        except Exception as exc:  # noqa: BLE001 - any failure means: skip, and say why
            _reason.append(f"PostgreSQL at {PG_SERVER} is unreachable: {type(exc).__name__}: {exc}")
    return _reason[0] or None


@contextmanager
def fresh_postgres() -> Iterator[str]:
    """The URL of a new, empty database on the local server; dropped afterwards."""
    import psycopg

    reason = postgres_unavailable()
    if reason:
        pytest.skip(reason)
    name = f"onca_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_SERVER, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_SERVER.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(PG_SERVER, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def fresh_database(kind: str, tmp_path: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'store' / 'onca.db'}"
    else:
        with fresh_postgres() as url:
            yield url
