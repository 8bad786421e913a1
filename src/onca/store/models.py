"""The metadata tables as typed SQLAlchemy models. The schema itself is created by the migrations in
`onca.store.migrations`; a test checks that the two agree."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from onca.store.types import UTCDateTime

# Fixed constraint names, so later migrations can refer to them on both databases.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Json = JSON(none_as_null=True)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: Json, list[str]: Json}


class AlertRow(Base):
    __tablename__ = "alerts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    detection_id: Mapped[str] = mapped_column(String(255))
    detection_version: Mapped[str] = mapped_column(String(255), default="")
    detection_name: Mapped[str] = mapped_column(String(512), default="")
    type: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    assignee: Mapped[str] = mapped_column(String(255), default="")
    dedup: Mapped[str] = mapped_column(Text, default="")
    first_event_time: Mapped[datetime]
    last_event_time: Mapped[datetime]
    event_count: Mapped[int] = mapped_column(Integer, default=1)
    log_types: Mapped[list[str]]
    destinations: Mapped[list[str]]
    alert_context: Mapped[dict[str, Any]]
    description: Mapped[str] = mapped_column(Text, default="")
    runbook: Mapped[str] = mapped_column(Text, default="")
    reference: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list[str]]
    reports: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    update_time: Mapped[datetime]  # when the last match joined the alert
    sample_event: Mapped[dict[str, Any] | None]

    __table_args__ = (
        Index(None, "created_at", "id"),
        Index(None, "detection_id", "created_at"),
        Index(None, "status", "created_at"),
        Index(None, "severity", "created_at"),
    )


class DeliveryAttemptRow(Base):
    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    alert_id: Mapped[str] = mapped_column(String(32), ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    destination_name: Mapped[str] = mapped_column(String(255))
    destination_id: Mapped[str] = mapped_column(String(255), default="")
    destination_kind: Mapped[str] = mapped_column(String(64))
    attempt: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime]
    ok: Mapped[bool] = mapped_column(Boolean)
    retryable: Mapped[bool] = mapped_column(Boolean)
    status_code: Mapped[int | None] = mapped_column(Integer)
    response: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str] = mapped_column(Text, default="")


class CommentRow(Base):
    __tablename__ = "alert_comments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    alert_id: Mapped[str] = mapped_column(String(32), ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    author: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime]


class HistoryRow(Base):
    __tablename__ = "alert_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    alert_id: Mapped[str] = mapped_column(String(32), ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(32))
    field: Mapped[str] = mapped_column(String(64), default="")
    old: Mapped[str | None] = mapped_column(Text)
    new: Mapped[str | None] = mapped_column(Text)


class SystemErrorRow(Base):
    __tablename__ = "system_errors"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(512))
    message: Mapped[str] = mapped_column(Text)
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]
    count: Mapped[int] = mapped_column(Integer, default=1)
    resolved: Mapped[bool] = mapped_column(Boolean, default=False)
    resolved_at: Mapped[datetime | None]
    # a digest of (kind, subject) while the error is unresolved, NULL after: at most one open error per pair
    open_key: Mapped[str | None] = mapped_column(String(64), unique=True)

    __table_args__ = (Index(None, "last_seen"),)


class DetectionStateRow(Base):
    __tablename__ = "detection_state"

    detection_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    alerting_suspended: Mapped[bool] = mapped_column(Boolean, default=False)
    suspended_at: Mapped[datetime | None]
    reason: Mapped[str] = mapped_column(Text, default="")
    resumed_at: Mapped[datetime | None]  # the alert-storm count starts again from here


class ComplianceRow(Base):
    __tablename__ = "compliance"

    policy_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    resource_id: Mapped[str] = mapped_column(String(2048), primary_key=True)
    resource_type: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(8))
    error: Mapped[str] = mapped_column(Text, default="")
    evaluated_at: Mapped[datetime]
    first_failed_at: Mapped[datetime | None]

    __table_args__ = (Index(None, "status"),)


class DedupWindowRow(Base):
    """The current deduplication window of one (detection, alert type, dedup string): how many matches it has
    seen and the alert they joined, if one was raised. One row per key, so it is also the lock that keeps two
    processes from raising two alerts for the same key."""

    __tablename__ = "dedup_windows"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the three parts
    detection_id: Mapped[str] = mapped_column(String(255))
    alert_type: Mapped[str] = mapped_column(String(32))
    dedup: Mapped[str] = mapped_column(Text)
    opened_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    match_count: Mapped[int] = mapped_column(Integer, default=0)
    alert_id: Mapped[str | None] = mapped_column(String(32))
    first_event_time: Mapped[datetime]
    last_event_time: Mapped[datetime]

    __table_args__ = (Index(None, "closes_at"),)


class RoleRow(Base):
    __tablename__ = "roles"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    name_key: Mapped[str] = mapped_column(String(255), unique=True)  # the name case-folded: "admin" is "Admin"
    permissions: Mapped[list[str]]
    log_type_access_kind: Mapped[str] = mapped_column(String(16))
    log_type_access: Mapped[list[str]]
    builtin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (Index(None, "created_at", "id"),)


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    email_key: Mapped[str] = mapped_column(String(320), unique=True)  # lower-cased: emails match in any case
    given_name: Mapped[str] = mapped_column(String(255), default="")
    family_name: Mapped[str] = mapped_column(String(255), default="")
    role_id: Mapped[str] = mapped_column(String(32), ForeignKey("roles.id"), index=True)
    password_hash: Mapped[str | None] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    last_login_at: Mapped[datetime | None]
    password_changed_at: Mapped[datetime | None]

    __table_args__ = (Index(None, "created_at", "id"),)


class ApiTokenRow(Base):
    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of the secret, hex
    permissions: Mapped[list[str]]
    allowed_cidrs: Mapped[list[str]]
    log_type_access_kind: Mapped[str] = mapped_column(String(16))
    log_type_access: Mapped[list[str]]
    expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    created_by_type: Mapped[str] = mapped_column(String(16))
    created_by_id: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime]
    updated_by_type: Mapped[str] = mapped_column(String(16))
    updated_by_id: Mapped[str] = mapped_column(String(64))
    rotated_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    __table_args__ = (Index(None, "created_at", "id"),)


class UserSessionRow(Base):
    __tablename__ = "user_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the cookie value, hex
    user_id: Mapped[str] = mapped_column(String(32), ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    client_ip: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(512), default="")


class LogSourceRow(Base):
    __tablename__ = "log_sources"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)  # the integration id, part of its URL
    kind: Mapped[str] = mapped_column(String(32))  # http, ...
    label: Mapped[str] = mapped_column(String(255))
    settings: Mapped[dict[str, Any]]  # the source's settings, secrets included
    created_by: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class SavedQueryRow(Base):
    __tablename__ = "saved_queries"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    name_key: Mapped[str] = mapped_column(String(255), unique=True)  # the name case-folded
    description: Mapped[str] = mapped_column(Text, default="")
    sql: Mapped[str] = mapped_column(Text)
    schedule: Mapped[dict[str, Any] | None]
    created_by: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (Index(None, "created_at", "id"),)


class CustomSchemaRow(Base):
    __tablename__ = "custom_schemas"

    name: Mapped[str] = mapped_column(String(255), primary_key=True)  # the log type, Custom.<Name>
    description: Mapped[str] = mapped_column(Text, default="")
    spec: Mapped[str] = mapped_column(Text)  # the schema's YAML, as written
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
