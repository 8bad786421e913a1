"""Users: who may sign in, with which role. Emails are unique in any letter case. The store keeps password
hashes it is handed and never sees a password."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from onca.store.errors import Conflict, InvalidValue, NotFound
from onca.store.models import RoleRow, UserRow
from onca.store.paging import after_cursor, check_limit, page
from onca.store.records import UserRecord
from onca.store.session import Transactions
from onca.store.text import escape_like, name_key

# Deliberately loose: one @, something on each side, no spaces. Deliverability is the mail server's business.
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")


def _record(row: UserRow) -> UserRecord:
    return UserRecord(id=row.id, email=row.email, given_name=row.given_name, family_name=row.family_name,
                      role_id=row.role_id, enabled=row.enabled, created_at=row.created_at,
                      updated_at=row.updated_at, last_login_at=row.last_login_at,
                      has_password=row.password_hash is not None)


def check_email(email: str) -> str:
    email = (email or "").strip()
    if not _EMAIL.fullmatch(email):
        raise InvalidValue(f"email {email!r} is not an email address")
    if len(email) > 320:
        raise InvalidValue(f"email {email[:40]!r}... is longer than 320 characters")
    return email


def _name(field: str, value: str) -> str:
    value = (value or "").strip()
    if len(value) > 255:
        raise InvalidValue(f"{field} is longer than 255 characters")
    return value


class UserRepo:
    def __init__(self, tx: Transactions) -> None:
        self._tx = tx

    def create(self, email: str, *, role_id: str, password_hash: str | None, given_name: str = "",
               family_name: str = "", enabled: bool = True, at: datetime | None = None) -> UserRecord:
        email = check_email(email)
        at = at or datetime.now(UTC)
        with self._tx.transaction() as session:
            if session.get(RoleRow, role_id) is None:
                raise InvalidValue(f"no role with id {role_id!r}")
            if session.scalars(select(UserRow.id).where(UserRow.email_key == name_key(email))).first():
                raise Conflict(f"a user with email {email!r} already exists")
            row = UserRow(id=uuid.uuid4().hex, email=email, email_key=name_key(email),
                          given_name=_name("given name", given_name), family_name=_name("family name", family_name),
                          role_id=role_id, password_hash=password_hash, enabled=enabled, created_at=at,
                          updated_at=at, last_login_at=None, password_changed_at=at if password_hash else None)
            session.add(row)
            try:
                session.flush()
            except IntegrityError:  # the same email, created by another process a moment ago
                raise Conflict(f"a user with email {email!r} already exists") from None
            return _record(row)

    def get(self, user_id: str) -> UserRecord | None:
        with self._tx.transaction(write=False) as session:
            row = session.get(UserRow, user_id)
            return _record(row) if row is not None else None

    def get_by_email(self, email: str) -> UserRecord | None:
        with self._tx.transaction(write=False) as session:
            row = session.scalars(select(UserRow).where(UserRow.email_key == name_key(email))).first()
            return _record(row) if row is not None else None

    def password_hash(self, user_id: str) -> str | None:
        with self._tx.transaction(write=False) as session:
            return session.scalar(select(UserRow.password_hash).where(UserRow.id == user_id))

    def list(self, *, contains: str | None = None, ids: Sequence[str] | None = None,
             role_id: str | None = None, include_disabled: bool = True, limit: int = 100,
             cursor: str | None = None) -> tuple[list[UserRecord], str | None]:
        """Users in the order they were created; `contains` is matched, in any case, against the email and the
        names. Returns the page and the next cursor."""
        check_limit(limit)
        conditions: list[Any] = []
        if contains:
            pattern = f"%{escape_like(contains.strip().lower())}%"
            conditions.append(or_(UserRow.email_key.like(pattern, escape="\\"),
                                  func.lower(UserRow.given_name).like(pattern, escape="\\"),
                                  func.lower(UserRow.family_name).like(pattern, escape="\\"),
                                  func.lower(UserRow.given_name + " " + UserRow.family_name)
                                  .like(pattern, escape="\\")))
        if ids is not None:
            conditions.append(UserRow.id.in_(list(ids)))
        if role_id is not None:
            conditions.append(UserRow.role_id == role_id)
        if not include_disabled:
            conditions.append(UserRow.enabled.is_(True))
        if cursor:
            conditions.append(after_cursor(UserRow.created_at, UserRow.id, cursor))
        query = (select(UserRow).where(*conditions).order_by(UserRow.created_at, UserRow.id).limit(limit + 1))
        with self._tx.transaction(write=False) as session:
            return page([_record(row) for row in session.scalars(query)], limit)

    def count(self, *, role_id: str | None = None, enabled: bool | None = None) -> int:
        query = select(func.count()).select_from(UserRow)
        if role_id is not None:
            query = query.where(UserRow.role_id == role_id)
        if enabled is not None:
            query = query.where(UserRow.enabled.is_(enabled))
        with self._tx.transaction(write=False) as session:
            return int(session.scalar(query) or 0)

    def _locked(self, session: Any, user_id: str) -> UserRow:
        row = session.scalars(select(UserRow).where(UserRow.id == user_id).with_for_update()).first()
        if row is None:
            raise NotFound(f"no user with id {user_id!r}")
        return row

    def update(self, user_id: str, *, email: str | None = None, given_name: str | None = None,
               family_name: str | None = None, role_id: str | None = None, enabled: bool | None = None,
               at: datetime | None = None) -> UserRecord:
        at = at or datetime.now(UTC)
        with self._tx.transaction() as session:
            row = self._locked(session, user_id)
            if email is not None and check_email(email) != row.email:
                email = check_email(email)
                taken = session.scalars(select(UserRow.id).where(UserRow.email_key == name_key(email),
                                                                 UserRow.id != user_id)).first()
                if taken:
                    raise Conflict(f"a user with email {email!r} already exists")
                row.email, row.email_key = email, name_key(email)
            if given_name is not None:
                row.given_name = _name("given name", given_name)
            if family_name is not None:
                row.family_name = _name("family name", family_name)
            if role_id is not None and role_id != row.role_id:
                if session.get(RoleRow, role_id) is None:
                    raise InvalidValue(f"no role with id {role_id!r}")
                row.role_id = role_id
            if enabled is not None:
                row.enabled = enabled
            row.updated_at = at
            try:
                session.flush()
            except IntegrityError:
                raise Conflict(f"a user with email {email!r} already exists") from None
            return _record(row)

    def set_password(self, user_id: str, password_hash: str | None, *, at: datetime | None = None) -> None:
        """Replace the password hash (None: the user can no longer sign in with a password)."""
        at = at or datetime.now(UTC)
        with self._tx.transaction() as session:
            row = self._locked(session, user_id)
            row.password_hash = password_hash
            row.password_changed_at = at
            row.updated_at = at

    def rehash_password(self, user_id: str, old_hash: str, new_hash: str) -> bool:
        """Swap in a stronger hash of the same password, unless the password changed meanwhile."""
        with self._tx.transaction() as session:
            row = self._locked(session, user_id)
            if row.password_hash != old_hash:
                return False
            row.password_hash = new_hash
            return True

    def record_login(self, user_id: str, *, at: datetime | None = None) -> None:
        with self._tx.transaction() as session:
            self._locked(session, user_id).last_login_at = at or datetime.now(UTC)

    def delete(self, user_id: str) -> UserRecord:
        """Delete the user and, with them, their sessions."""
        with self._tx.transaction() as session:
            row = self._locked(session, user_id)
            record = _record(row)
            session.delete(row)
            return record
