"""Alembic environment: migrations always run on the connection `onca.store.migrate` hands over."""

from __future__ import annotations

from alembic import context

from onca.store.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("Onca's store migrations run through onca.store.open_store, which supplies the connection")

context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True,
                  compare_type=True)
with context.begin_transaction():
    context.run_migrations()
