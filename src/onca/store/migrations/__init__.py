"""Alembic migrations of the metadata store, run by `onca.store.open_store` when a store is opened."""
