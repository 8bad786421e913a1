"""Sign-in sessions of users: kept by the hash of the cookie value, so a copy of the database cannot be used to
sign in. Deleting a user deletes their sessions with them."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, select

from onca.store.errors import InvalidValue
from onca.store.models import UserRow, UserSessionRow
from onca.store.records import UserSessionRecord
from onca.store.session import Transactions
from onca.store.types import utc


def _record(row: UserSessionRow) -> UserSessionRecord:
    return UserSessionRecord(id_hash=row.id_hash, user_id=row.user_id, created_at=row.created_at,
                             expires_at=row.expires_at, client_ip=row.client_ip, user_agent=row.user_agent)


class SessionRepo:
    def __init__(self, tx: Transactions) -> None:
        self._tx = tx

    def create(self, id_hash: str, *, user_id: str, expires_at: datetime, client_ip: str = "",
               user_agent: str = "", at: datetime | None = None) -> UserSessionRecord:
        at = at or datetime.now(UTC)
        if utc(expires_at) <= utc(at):
            raise InvalidValue("a session must expire after it is created")
        with self._tx.transaction() as session:
            if session.get(UserRow, user_id) is None:
                raise InvalidValue(f"no user with id {user_id!r}")
            row = UserSessionRow(id_hash=id_hash, user_id=user_id, created_at=at, expires_at=expires_at,
                                 client_ip=client_ip[:64], user_agent=user_agent[:512])
            session.add(row)
            session.flush()
            return _record(row)

    def get(self, id_hash: str) -> UserSessionRecord | None:
        """The session, expired or not: the caller compares `expires_at` with its clock."""
        with self._tx.transaction(write=False) as session:
            row = session.get(UserSessionRow, id_hash)
            return _record(row) if row is not None else None

    def for_user(self, user_id: str) -> list[UserSessionRecord]:
        query = select(UserSessionRow).where(UserSessionRow.user_id == user_id).order_by(UserSessionRow.created_at)
        with self._tx.transaction(write=False) as session:
            return [_record(row) for row in session.scalars(query)]

    def delete(self, id_hash: str) -> bool:
        with self._tx.transaction() as session:
            gone = session.execute(delete(UserSessionRow).where(UserSessionRow.id_hash == id_hash)
                                   .returning(UserSessionRow.id_hash)).first()
            return gone is not None

    def delete_for_user(self, user_id: str) -> int:
        """End every session of the user (password reset, deactivation); how many there were."""
        with self._tx.transaction() as session:
            return len(session.execute(delete(UserSessionRow).where(UserSessionRow.user_id == user_id)
                                       .returning(UserSessionRow.id_hash)).all())

    def purge_expired(self, *, now: datetime | None = None) -> int:
        now = utc(now or datetime.now(UTC))
        with self._tx.transaction() as session:
            return len(session.execute(delete(UserSessionRow).where(UserSessionRow.expires_at <= now)
                                       .returning(UserSessionRow.id_hash)).all())
