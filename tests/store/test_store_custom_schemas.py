"""Custom schemas on SQLite and PostgreSQL: put creates, then counts revisions."""

from __future__ import annotations

import pytest

from onca.store import InvalidValue


def test_put_creates_then_revises(store):
    first = store.custom_schemas.put("Custom.A", "schema: Custom.A\n", description="a", author="x@y")
    assert (first.revision, first.created_by) == (1, "x@y")
    second = store.custom_schemas.put("Custom.A", "schema: Custom.A\nfields: []\n", description="b")
    assert second.revision == 2 and second.description == "b" and second.created_at == first.created_at
    store.custom_schemas.put("Custom.B", "schema: Custom.B\n")
    assert [r.name for r in store.custom_schemas.list()] == ["Custom.A", "Custom.B"]
    assert store.custom_schemas.get("Custom.A").spec.endswith("fields: []\n")
    assert store.custom_schemas.get("Custom.C") is None
    with pytest.raises(InvalidValue):
        store.custom_schemas.put("", "x")
