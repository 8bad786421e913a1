"""Saved queries on SQLite and PostgreSQL: unique names in any case, paging, updates and deletes."""

from __future__ import annotations

import pytest

from onca.store import Conflict, InvalidValue, NotFound


def test_saved_queries_round_trip_and_page(store):
    first = store.saved_queries.create("Root logins", "SELECT 1", description="d",
                                       schedule={"cron": "0 * * * *", "timeoutMinutes": 5}, created_by="a@b")
    assert store.saved_queries.get(first.id) == first and first.schedule["cron"] == "0 * * * *"
    second = store.saved_queries.create("Other", "SELECT 2")
    page, cursor = store.saved_queries.list(limit=1)
    assert [q.id for q in page] == [first.id] and cursor
    rest, end = store.saved_queries.list(limit=1, cursor=cursor)
    assert [q.id for q in rest] == [second.id] and end is None
    updated = store.saved_queries.update(first.id, name="Root logins (hourly)", sql="SELECT 3")
    assert updated.sql == "SELECT 3" and updated.schedule is None
    store.saved_queries.delete(second.id)
    assert store.saved_queries.get(second.id) is None


def test_names_are_unique_in_any_case_and_problems_are_named(store):
    query = store.saved_queries.create("Root logins", "SELECT 1")
    with pytest.raises(Conflict, match="already exists"):
        store.saved_queries.create("ROOT LOGINS", "SELECT 2")
    other = store.saved_queries.create("Other", "SELECT 2")
    with pytest.raises(Conflict):
        store.saved_queries.update(other.id, name="root logins", sql="SELECT 2")
    with pytest.raises(InvalidValue, match="has no SQL"):
        store.saved_queries.create("Empty", "  ")
    with pytest.raises(NotFound):
        store.saved_queries.delete("nope")
    assert store.saved_queries.get(query.id).name == "Root logins"
