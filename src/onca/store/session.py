"""Transactions: each repository call runs in one, or joins the one the caller opened with
`Store.transaction()`, so several calls can be made atomic together."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, Table
from sqlalchemy.orm import Session

from onca.store.engine import WRITE_OPTION


@dataclass(slots=True)
class _Active:
    session: Session
    write: bool


class Transactions:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # per Store and per thread or task: a transaction is never shared between threads
        self._active: ContextVar[_Active | None] = ContextVar(f"onca_store_tx_{id(self)}", default=None)

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Session]:
        """A session in a transaction: committed when the block ends, rolled back if it raises. Inside
        another transaction of the same store, the outer one is used."""
        active = self._active.get()
        if active is not None:
            if write and not active.write:
                raise RuntimeError("a write was attempted inside a read-only store transaction")
            yield active.session
            return
        with self.engine.connect() as connection:
            if write:
                connection = connection.execution_options(**{WRITE_OPTION: True})
            with Session(bind=connection, expire_on_commit=False, autoflush=True) as session:
                with session.begin():
                    token = self._active.set(_Active(session, write))
                    try:
                        yield session
                    finally:
                        self._active.reset(token)


def digest(*parts: str) -> str:
    """A fixed-length key for a tuple of strings of any length (indexes on long text are limited)."""
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


def insert_ignore(session: Session, table: Table, values: dict[str, Any]) -> bool:
    """INSERT unless the primary or a unique key already exists; True if the row was inserted."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    # RETURNING tells the two cases apart on both databases (psycopg reports no row count here)
    statement = insert(table).values(**values).on_conflict_do_nothing().returning(*table.primary_key.columns)
    return session.connection().execute(statement).first() is not None


def insert_ignore_many(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """`insert_ignore` for several rows in one statement, without telling which were inserted."""
    if not rows:
        return
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    session.connection().execute(insert(table).on_conflict_do_nothing(), rows)
