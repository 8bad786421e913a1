"""Alerts with their deliveries, comments and history; system errors; detection state; compliance; dedup windows.

Revision ID: 0001
Revises:
Create Date: 2025-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from onca.store.types import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _json() -> sa.JSON:
    return sa.JSON(none_as_null=True)


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("detection_id", sa.String(255), nullable=False),
        sa.Column("detection_version", sa.String(255), nullable=False),
        sa.Column("detection_name", sa.String(512), nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("assignee", sa.String(255), nullable=False),
        sa.Column("dedup", sa.Text(), nullable=False),
        sa.Column("first_event_time", UTCDateTime(), nullable=False),
        sa.Column("last_event_time", UTCDateTime(), nullable=False),
        sa.Column("event_count", sa.Integer(), nullable=False),
        sa.Column("log_types", _json(), nullable=False),
        sa.Column("destinations", _json(), nullable=False),
        sa.Column("alert_context", _json(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("runbook", sa.Text(), nullable=False),
        sa.Column("reference", sa.Text(), nullable=False),
        sa.Column("tags", _json(), nullable=False),
        sa.Column("reports", _json(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("update_time", UTCDateTime(), nullable=False),
        sa.Column("sample_event", _json(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_alerts"),
    )
    op.create_index("ix_alerts_created_at_id", "alerts", ["created_at", "id"])
    op.create_index("ix_alerts_detection_id_created_at", "alerts", ["detection_id", "created_at"])
    op.create_index("ix_alerts_status_created_at", "alerts", ["status", "created_at"])
    op.create_index("ix_alerts_severity_created_at", "alerts", ["severity", "created_at"])

    op.create_table(
        "delivery_attempts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("alert_id", sa.String(32), nullable=False),
        sa.Column("destination_name", sa.String(255), nullable=False),
        sa.Column("destination_id", sa.String(255), nullable=False),
        sa.Column("destination_kind", sa.String(64), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("retryable", sa.Boolean(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response", sa.Text(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["alert_id"], ["alerts.id"], name="fk_delivery_attempts_alert_id_alerts",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_delivery_attempts"),
    )
    op.create_index("ix_delivery_attempts_alert_id", "delivery_attempts", ["alert_id"])

    op.create_table(
        "alert_comments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("alert_id", sa.String(32), nullable=False),
        sa.Column("author", sa.String(255), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["alert_id"], ["alerts.id"], name="fk_alert_comments_alert_id_alerts",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_alert_comments"),
    )
    op.create_index("ix_alert_comments_alert_id", "alert_comments", ["alert_id"])

    op.create_table(
        "alert_history",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("alert_id", sa.String(32), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("field", sa.String(64), nullable=False),
        sa.Column("old", sa.Text(), nullable=True),
        sa.Column("new", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["alert_id"], ["alerts.id"], name="fk_alert_history_alert_id_alerts",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_alert_history"),
    )
    op.create_index("ix_alert_history_alert_id", "alert_history", ["alert_id"])

    op.create_table(
        "system_errors",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("subject", sa.String(512), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("first_seen", UTCDateTime(), nullable=False),
        sa.Column("last_seen", UTCDateTime(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("resolved", sa.Boolean(), nullable=False),
        sa.Column("resolved_at", UTCDateTime(), nullable=True),
        sa.Column("open_key", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_system_errors"),
        sa.UniqueConstraint("open_key", name="uq_system_errors_open_key"),
    )
    op.create_index("ix_system_errors_last_seen", "system_errors", ["last_seen"])

    op.create_table(
        "detection_state",
        sa.Column("detection_id", sa.String(255), nullable=False),
        sa.Column("alerting_suspended", sa.Boolean(), nullable=False),
        sa.Column("suspended_at", UTCDateTime(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("resumed_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("detection_id", name="pk_detection_state"),
    )

    op.create_table(
        "compliance",
        sa.Column("policy_id", sa.String(255), nullable=False),
        sa.Column("resource_id", sa.String(2048), nullable=False),
        sa.Column("resource_type", sa.String(255), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("evaluated_at", UTCDateTime(), nullable=False),
        sa.Column("first_failed_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("policy_id", "resource_id", name="pk_compliance"),
    )
    op.create_index("ix_compliance_status", "compliance", ["status"])

    op.create_table(
        "dedup_windows",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("detection_id", sa.String(255), nullable=False),
        sa.Column("alert_type", sa.String(32), nullable=False),
        sa.Column("dedup", sa.Text(), nullable=False),
        sa.Column("opened_at", UTCDateTime(), nullable=False),
        sa.Column("closes_at", UTCDateTime(), nullable=False),
        sa.Column("match_count", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.String(32), nullable=True),
        sa.Column("first_event_time", UTCDateTime(), nullable=False),
        sa.Column("last_event_time", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_dedup_windows"),
    )
    op.create_index("ix_dedup_windows_closes_at", "dedup_windows", ["closes_at"])


def downgrade() -> None:
    for table in ("dedup_windows", "compliance", "detection_state", "system_errors", "alert_history",
                  "alert_comments", "delivery_attempts", "alerts"):
        op.drop_table(table)
