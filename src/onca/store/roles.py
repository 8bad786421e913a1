"""Roles: named sets of permissions with their access to log types. The store keeps whatever permission names
it is given; which names exist, and what the built-in roles hold, is decided above it."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from onca.store.errors import Conflict, InvalidValue, NotFound
from onca.store.models import RoleRow, UserRow
from onca.store.paging import after_cursor, check_limit, page
from onca.store.records import LOG_TYPE_ACCESS_KINDS, RoleRecord
from onca.store.session import Transactions, insert_ignore
from onca.store.text import escape_like, name_key


def _record(row: RoleRow) -> RoleRecord:
    return RoleRecord(id=row.id, name=row.name, permissions=tuple(row.permissions or ()),
                      log_type_access_kind=row.log_type_access_kind, created_at=row.created_at,
                      updated_at=row.updated_at, log_type_access=tuple(row.log_type_access or ()),
                      builtin=row.builtin)


def _name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidValue("a role needs a name")
    if len(name) > 255:
        raise InvalidValue(f"role name {name[:40]!r}... is longer than 255 characters")
    return name


def _access(kind: str, log_types: Iterable[str]) -> list[str]:
    if kind not in LOG_TYPE_ACCESS_KINDS:
        raise InvalidValue(f"log type access kind {kind!r} is not one of {', '.join(LOG_TYPE_ACCESS_KINDS)}")
    listed = list(dict.fromkeys(log_types))
    if kind in ("ALLOW_ALL", "DENY_ALL") and listed:
        raise InvalidValue(f"log type access kind {kind} takes no list of log types")
    return listed


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


class RoleRepo:
    def __init__(self, tx: Transactions) -> None:
        self._tx = tx

    def create(self, name: str, permissions: Iterable[str], *, log_type_access_kind: str = "ALLOW_ALL",
               log_type_access: Iterable[str] = (), builtin: bool = False, at: datetime | None = None,
               role_id: str | None = None) -> RoleRecord:
        name = _name(name)
        listed = _access(log_type_access_kind, log_type_access)
        at = at or datetime.now(UTC)
        with self._tx.transaction() as session:
            if session.scalars(select(RoleRow.id).where(RoleRow.name_key == name_key(name))).first():
                raise Conflict(f"a role named {name!r} already exists")
            row = RoleRow(id=role_id or uuid.uuid4().hex, name=name, name_key=name_key(name),
                          permissions=_unique(permissions), log_type_access_kind=log_type_access_kind,
                          log_type_access=listed, builtin=builtin, created_at=at, updated_at=at)
            session.add(row)
            try:
                session.flush()
            except IntegrityError:  # another process took the name between the check and the insert
                raise Conflict(f"a role named {name!r} already exists") from None
            return _record(row)

    def ensure(self, name: str, permissions: Iterable[str], *, log_type_access_kind: str = "ALLOW_ALL",
               builtin: bool = False, at: datetime | None = None) -> RoleRecord:
        """The role of this name, created with these values if there is none yet (an existing one is left as
        it is). Safe when several processes call it at once."""
        name = _name(name)
        _access(log_type_access_kind, ())
        at = at or datetime.now(UTC)
        with self._tx.transaction() as session:
            insert_ignore(session, RoleRow.__table__, {
                "id": uuid.uuid4().hex, "name": name, "name_key": name_key(name),
                "permissions": _unique(permissions), "log_type_access_kind": log_type_access_kind,
                "log_type_access": [], "builtin": builtin, "created_at": at, "updated_at": at})
            row = session.scalars(select(RoleRow).where(RoleRow.name_key == name_key(name))).one()
            return _record(row)

    def get(self, role_id: str) -> RoleRecord | None:
        with self._tx.transaction(write=False) as session:
            row = session.get(RoleRow, role_id)
            return _record(row) if row is not None else None

    def get_by_name(self, name: str) -> RoleRecord | None:
        """The role of this name, in any letter case."""
        with self._tx.transaction(write=False) as session:
            row = session.scalars(select(RoleRow).where(RoleRow.name_key == name_key(name))).first()
            return _record(row) if row is not None else None

    def list(self, *, name_contains: str | None = None, ids: Sequence[str] | None = None,
             descending: bool = False, limit: int = 100, cursor: str | None = None,
             ) -> tuple[list[RoleRecord], str | None]:
        """Roles in the order they were created (or the reverse), filtered; the page and the next cursor."""
        check_limit(limit)
        conditions: list[Any] = []
        if name_contains:
            conditions.append(RoleRow.name_key.like(f"%{escape_like(name_key(name_contains))}%", escape="\\"))
        if ids is not None:
            conditions.append(RoleRow.id.in_(list(ids)))
        if cursor:
            conditions.append(after_cursor(RoleRow.created_at, RoleRow.id, cursor, descending=descending))
        order = ((RoleRow.created_at.desc(), RoleRow.id.desc()) if descending
                 else (RoleRow.created_at.asc(), RoleRow.id.asc()))
        query = select(RoleRow).where(*conditions).order_by(*order).limit(limit + 1)
        with self._tx.transaction(write=False) as session:
            return page([_record(row) for row in session.scalars(query)], limit)

    def _locked(self, session: Any, role_id: str) -> RoleRow:
        row = session.scalars(select(RoleRow).where(RoleRow.id == role_id).with_for_update()).first()
        if row is None:
            raise NotFound(f"no role with id {role_id!r}")
        return row

    def update(self, role_id: str, *, name: str | None = None, permissions: Iterable[str] | None = None,
               log_type_access_kind: str | None = None, log_type_access: Iterable[str] | None = None,
               at: datetime | None = None) -> RoleRecord:
        """Change the given fields. Giving a log type access kind without a list clears the list."""
        at = at or datetime.now(UTC)
        with self._tx.transaction() as session:
            row = self._locked(session, role_id)
            if name is not None and _name(name) != row.name:
                name = _name(name)
                taken = session.scalars(select(RoleRow.id).where(RoleRow.name_key == name_key(name),
                                                                 RoleRow.id != role_id)).first()
                if taken:
                    raise Conflict(f"a role named {name!r} already exists")
                row.name, row.name_key = name, name_key(name)
            if permissions is not None:
                row.permissions = _unique(permissions)
            if log_type_access_kind is not None or log_type_access is not None:
                kind = log_type_access_kind or row.log_type_access_kind
                row.log_type_access = _access(kind, log_type_access if log_type_access is not None else ())
                row.log_type_access_kind = kind
            row.updated_at = at
            try:
                session.flush()
            except IntegrityError:
                raise Conflict(f"a role named {name!r} already exists") from None
            return _record(row)

    def user_count(self, role_id: str) -> int:
        with self._tx.transaction(write=False) as session:
            return int(session.scalar(select(func.count()).select_from(UserRow)
                                      .where(UserRow.role_id == role_id)) or 0)

    def delete(self, role_id: str) -> RoleRecord:
        """Delete a role no user holds; built-in roles stay."""
        with self._tx.transaction() as session:
            row = self._locked(session, role_id)
            if row.builtin:
                raise Conflict(f"the built-in role {row.name!r} cannot be deleted")
            holders = int(session.scalar(select(func.count()).select_from(UserRow)
                                         .where(UserRow.role_id == role_id)) or 0)
            if holders:
                raise Conflict(f"role {row.name!r} is assigned to {holders} user{'s' if holders > 1 else ''}: "
                               "give them another role first")
            record = _record(row)
            session.delete(row)
            return record
