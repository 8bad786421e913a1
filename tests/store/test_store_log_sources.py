"""Log sources created through the API, kept with their settings on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from onca.store import InvalidValue, NotFound
from onca.store.errors import Conflict


def test_a_source_is_created_listed_updated_and_deleted(store):
    created = store.log_sources.create("okta", kind="http", label="Okta",
                                       settings={"logTypes": ["Okta.SystemLog"], "authSecretValue": "s"},
                                       created_by="admin@localhost")
    assert store.log_sources.get("okta") == created
    assert created.settings["authSecretValue"] == "s" and created.created_by == "admin@localhost"
    store.log_sources.create("gh", kind="http", label="GitHub", settings={})
    assert [s.id for s in store.log_sources.list()] == ["okta", "gh"]
    assert store.log_sources.list(kind="s3") == []
    updated = store.log_sources.update("okta", label="Okta prod", settings={"logTypes": ["Okta.SystemLog"]})
    assert updated.label == "Okta prod" and "authSecretValue" not in updated.settings
    assert updated.updated_at >= created.updated_at
    store.log_sources.delete("okta")
    assert store.log_sources.get("okta") is None


def test_conflicts_and_missing_sources_are_named(store):
    store.log_sources.create("okta", kind="http", label="Okta", settings={})
    with pytest.raises(Conflict, match="'okta' already exists"):
        store.log_sources.create("okta", kind="http", label="Again", settings={})
    with pytest.raises(NotFound, match="'nope'"):
        store.log_sources.update("nope", label="x", settings={})
    with pytest.raises(NotFound, match="'nope'"):
        store.log_sources.delete("nope")
    with pytest.raises(InvalidValue):
        store.log_sources.create("", kind="http", label="x", settings={})
