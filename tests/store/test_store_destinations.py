"""Alert destinations created through the API, kept with their settings on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from onca.store import Conflict, InvalidValue, NotFound

HOOK = {"name": "SOC hook", "url": "https://hooks.example.com/onca", "signing_secret": "whsec_1",
        "headers": {"Authorization": "Bearer t0ken"}, "severities": ["HIGH", "CRITICAL"]}


def test_store_destination_created_listed_updated_and_deleted(store):
    created = store.destinations.create("d-1", name="SOC hook", kind="webhook", settings=HOOK,
                                        created_by="admin@localhost")
    assert store.destinations.get("d-1") == created
    assert created.settings == HOOK and created.created_by == "admin@localhost"
    assert created.settings["headers"]["Authorization"] == "Bearer t0ken"  # kept as given, for delivery
    later = created.created_at + timedelta(seconds=1)
    store.destinations.create("d-2", name="Pager", kind="pagerduty", settings={"name": "Pager"}, at=later)
    assert [d.id for d in store.destinations.list()] == ["d-1", "d-2"]

    updated = store.destinations.update("d-1", name="SOC", kind="slack",
                                        settings={"name": "SOC", "webhook_url": "https://hooks.slack.com/x"},
                                        at=later)
    assert (updated.name, updated.kind, updated.created_at) == ("SOC", "slack", created.created_at)
    assert updated.updated_at == later and "signing_secret" not in updated.settings
    assert store.destinations.get("d-1") == updated

    store.destinations.delete("d-1")
    assert store.destinations.get("d-1") is None
    assert [d.id for d in store.destinations.list()] == ["d-2"]


def test_store_destination_ids_and_names_are_unique(store):
    store.destinations.create("d-1", name="SOC hook", kind="webhook", settings=HOOK)
    store.destinations.create("d-2", name="Pager", kind="pagerduty", settings={})
    with pytest.raises(Conflict, match="id 'd-1' already exists"):
        store.destinations.create("d-1", name="Other", kind="webhook", settings={})
    with pytest.raises(Conflict, match="named 'SOC hook' already exists"):
        store.destinations.create("d-3", name="SOC hook", kind="webhook", settings={})
    with pytest.raises(Conflict, match="named 'Pager' already exists"):
        store.destinations.update("d-1", name="Pager", kind="webhook", settings={})
    # keeping its own name is no conflict
    assert store.destinations.update("d-1", name="SOC hook", kind="webhook", settings={}).name == "SOC hook"


def test_store_destination_missing_or_invalid_is_named(store):
    with pytest.raises(NotFound, match="'nope'"):
        store.destinations.update("nope", name="x", kind="webhook", settings={})
    with pytest.raises(NotFound, match="'nope'"):
        store.destinations.delete("nope")
    assert store.destinations.get("nope") is None
    with pytest.raises(InvalidValue, match="id"):
        store.destinations.create("", name="x", kind="webhook", settings={})
    with pytest.raises(InvalidValue, match="name"):
        store.destinations.create("d", name="x" * 256, kind="webhook", settings={})
    with pytest.raises(InvalidValue, match="kind"):
        store.destinations.create("d", name="x", kind="", settings={})


def test_store_destination_survives_reopening(store_url):
    from onca.store import open_store

    at = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    with open_store(store_url) as first:
        first.destinations.create("d-1", name="SOC hook", kind="webhook", settings=HOOK, at=at)
    with open_store(store_url) as again:
        kept = again.destinations.get("d-1")
    assert kept is not None and kept.settings == HOOK and kept.created_at == at
