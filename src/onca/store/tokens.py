"""API tokens: their names, permissions, limits and history. The secret itself is never stored, only a hash
of it, which is how a presented token is found."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from onca.store.errors import Conflict, InvalidValue, NotFound
from onca.store.models import ApiTokenRow
from onca.store.paging import after_cursor, check_limit, page
from onca.store.records import ACTOR_TYPES, LOG_TYPE_ACCESS_KINDS, ActorRef, ApiTokenRecord
from onca.store.session import Transactions
from onca.store.types import utc

SYSTEM = ActorRef("system", "onca")


def _record(row: ApiTokenRow) -> ApiTokenRecord:
    return ApiTokenRecord(
        id=row.id, name=row.name, permissions=tuple(row.permissions or ()), created_at=row.created_at,
        created_by=ActorRef(row.created_by_type, row.created_by_id), updated_at=row.updated_at,
        updated_by=ActorRef(row.updated_by_type, row.updated_by_id), allowed_cidrs=tuple(row.allowed_cidrs or ()),
        log_type_access_kind=row.log_type_access_kind, log_type_access=tuple(row.log_type_access or ()),
        expires_at=row.expires_at, rotated_at=row.rotated_at, last_used_at=row.last_used_at,
        revoked_at=row.revoked_at)


def _hash(secret_hash: str) -> str:
    if len(secret_hash) != 64 or any(c not in "0123456789abcdef" for c in secret_hash):
        raise InvalidValue("a token's secret hash is 64 lowercase hex digits (sha256)")
    return secret_hash


def _actor(actor: ActorRef) -> ActorRef:
    if actor.type not in ACTOR_TYPES:
        raise InvalidValue(f"actor type {actor.type!r} is not one of {', '.join(ACTOR_TYPES)}")
    return actor


def _name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidValue("an API token needs a name")
    if len(name) > 255:
        raise InvalidValue(f"token name {name[:40]!r}... is longer than 255 characters")
    return name


class TokenRepo:
    def __init__(self, tx: Transactions) -> None:
        self._tx = tx

    def create(self, *, name: str, secret_hash: str, permissions: Iterable[str],
               allowed_cidrs: Iterable[str] = (), log_type_access_kind: str = "ALLOW_ALL",
               log_type_access: Iterable[str] = (), expires_at: datetime | None = None,
               created_by: ActorRef = SYSTEM, at: datetime | None = None) -> ApiTokenRecord:
        if log_type_access_kind not in LOG_TYPE_ACCESS_KINDS:
            raise InvalidValue(f"log type access kind {log_type_access_kind!r} is not one of "
                               f"{', '.join(LOG_TYPE_ACCESS_KINDS)}")
        at = at or datetime.now(UTC)
        actor = _actor(created_by)
        with self._tx.transaction() as session:
            row = ApiTokenRow(
                id=uuid.uuid4().hex, name=_name(name), secret_hash=_hash(secret_hash),
                permissions=list(dict.fromkeys(permissions)), allowed_cidrs=list(dict.fromkeys(allowed_cidrs)),
                log_type_access_kind=log_type_access_kind, log_type_access=list(dict.fromkeys(log_type_access)),
                expires_at=utc(expires_at) if expires_at else None, created_at=at, created_by_type=actor.type,
                created_by_id=actor.id, updated_at=at, updated_by_type=actor.type, updated_by_id=actor.id,
                rotated_at=None, last_used_at=None, revoked_at=None)
            session.add(row)
            try:
                session.flush()
            except IntegrityError:  # only a repeated secret can collide
                raise Conflict("a token with this secret already exists") from None
            return _record(row)

    def get(self, token_id: str) -> ApiTokenRecord | None:
        """The token, revoked or not."""
        with self._tx.transaction(write=False) as session:
            row = session.get(ApiTokenRow, token_id)
            return _record(row) if row is not None else None

    def get_by_hash(self, secret_hash: str) -> ApiTokenRecord | None:
        """The token whose secret hashes to this, revoked or not: the caller decides what still counts."""
        with self._tx.transaction(write=False) as session:
            row = session.scalars(select(ApiTokenRow).where(ApiTokenRow.secret_hash == secret_hash)).first()
            return _record(row) if row is not None else None

    def list(self, *, include_revoked: bool = False, limit: int = 100, cursor: str | None = None,
             ) -> tuple[list[ApiTokenRecord], str | None]:
        """Tokens in the order they were created; the page and the next cursor."""
        check_limit(limit)
        conditions: list[Any] = []
        if not include_revoked:
            conditions.append(ApiTokenRow.revoked_at.is_(None))
        if cursor:
            conditions.append(after_cursor(ApiTokenRow.created_at, ApiTokenRow.id, cursor))
        query = (select(ApiTokenRow).where(*conditions).order_by(ApiTokenRow.created_at, ApiTokenRow.id)
                 .limit(limit + 1))
        with self._tx.transaction(write=False) as session:
            return page([_record(row) for row in session.scalars(query)], limit)

    def _active(self, session: Any, token_id: str) -> ApiTokenRow:
        row = session.scalars(select(ApiTokenRow).where(ApiTokenRow.id == token_id).with_for_update()).first()
        if row is None or row.revoked_at is not None:
            raise NotFound(f"no API token with id {token_id!r}")
        return row

    def update(self, token_id: str, *, by: ActorRef, name: str | None = None,
               permissions: Iterable[str] | None = None, allowed_cidrs: Iterable[str] | None = None,
               at: datetime | None = None) -> ApiTokenRecord:
        at = at or datetime.now(UTC)
        actor = _actor(by)
        with self._tx.transaction() as session:
            row = self._active(session, token_id)
            if name is not None:
                row.name = _name(name)
            if permissions is not None:
                row.permissions = list(dict.fromkeys(permissions))
            if allowed_cidrs is not None:
                row.allowed_cidrs = list(dict.fromkeys(allowed_cidrs))
            row.updated_at, row.updated_by_type, row.updated_by_id = at, actor.type, actor.id
            session.flush()
            return _record(row)

    def rotate(self, token_id: str, secret_hash: str, *, by: ActorRef, at: datetime | None = None,
               ) -> ApiTokenRecord:
        """Give the token a new secret: the old one stops working at once."""
        at = at or datetime.now(UTC)
        actor = _actor(by)
        with self._tx.transaction() as session:
            row = self._active(session, token_id)
            row.secret_hash = _hash(secret_hash)
            row.rotated_at = row.updated_at = at
            row.updated_by_type, row.updated_by_id = actor.type, actor.id
            try:
                session.flush()
            except IntegrityError:
                raise Conflict("a token with this secret already exists") from None
            return _record(row)

    def revoke(self, token_id: str, *, by: ActorRef, at: datetime | None = None) -> ApiTokenRecord:
        """Stop the token working for good; it stays listed with `include_revoked` for the record."""
        at = at or datetime.now(UTC)
        actor = _actor(by)
        with self._tx.transaction() as session:
            row = self._active(session, token_id)
            row.revoked_at = row.updated_at = at
            row.updated_by_type, row.updated_by_id = actor.type, actor.id
            session.flush()
            return _record(row)

    def mark_used(self, token_id: str, *, at: datetime | None = None,
                  coarser_than: timedelta = timedelta(0)) -> bool:
        """Record that the token was used, unless it was already recorded less than `coarser_than` ago (so a
        busy token does not write on every request). True if the time was written."""
        at = utc(at or datetime.now(UTC))
        statement = (update(ApiTokenRow)
                     .where(ApiTokenRow.id == token_id,
                            or_(ApiTokenRow.last_used_at.is_(None), ApiTokenRow.last_used_at <= at - coarser_than))
                     .values(last_used_at=at)
                     .returning(ApiTokenRow.id))
        with self._tx.transaction() as session:
            return session.execute(statement).first() is not None
