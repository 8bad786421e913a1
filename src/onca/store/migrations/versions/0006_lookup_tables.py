"""Lookup tables managed through the API, with their uploaded data.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from onca.store.types import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lookup_tables",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("name_key", sa.String(255), nullable=False),
        sa.Column("settings", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("created_by", sa.String(255), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lookup_tables")),
        sa.UniqueConstraint("name_key", name=op.f("uq_lookup_tables_name_key")),
    )
    op.create_index(op.f("ix_lookup_tables_created_at_id"), "lookup_tables", ["created_at", "id"])
    op.create_table(
        "lookup_table_data",
        sa.Column("table_id", sa.String(32), nullable=False),
        sa.Column("format", sa.String(16), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("uploaded_by", sa.String(255), nullable=False),
        sa.Column("uploaded_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["table_id"], ["lookup_tables.id"], name="fk_lookup_table_data_table_id_lookup_tables",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("table_id", name=op.f("pk_lookup_table_data")),
    )


def downgrade() -> None:
    op.drop_table("lookup_table_data")
    op.drop_index(op.f("ix_lookup_tables_created_at_id"), table_name="lookup_tables")
    op.drop_table("lookup_tables")
