"""Lookup tables on SQLite and PostgreSQL: settings and uploaded data, unique names in any case, paging, and
data that goes with its table."""

from __future__ import annotations

import pytest

from onca.store import Conflict, InvalidValue, NotFound

SETTINGS = {"lookupName": "vpn_ranges", "primaryKey": "cidr", "enabled": True,
            "associatedLogTypes": [{"logType": "AWS.CloudTrail", "selectors": ["sourceIPAddress"]}]}


def test_lookup_tables_round_trip_and_page(store):
    first = store.lookup_tables.create("vpn_ranges", SETTINGS, created_by="a@b")
    assert store.lookup_tables.get(first.id) == first and first.settings["primaryKey"] == "cidr"
    second = store.lookup_tables.create("users", {**SETTINGS, "lookupName": "users"})
    page, cursor = store.lookup_tables.list(limit=1)
    assert [t.id for t in page] == [first.id] and cursor
    rest, end = store.lookup_tables.list(limit=1, cursor=cursor)
    assert [t.id for t in rest] == [second.id] and end is None
    updated = store.lookup_tables.update(first.id, "vpn_ranges", {**SETTINGS, "enabled": False})
    assert updated.settings["enabled"] is False and updated.created_at == first.created_at


def test_lookup_table_data_is_replaced_and_goes_with_the_table(store):
    table = store.lookup_tables.create("vpn_ranges", SETTINGS)
    assert store.lookup_tables.data(table.id) is None
    store.lookup_tables.put_data(table.id, "cidr,name\n10.0.0.0/8,corp\n", fmt="csv", uploaded_by="a@b")
    data = store.lookup_tables.put_data(table.id, '{"cidr": "10.0.0.0/8"}\n', fmt="jsonl")
    assert store.lookup_tables.data(table.id) == data
    assert (data.format, data.size) == ("jsonl", len('{"cidr": "10.0.0.0/8"}\n'))
    assert store.lookup_tables.get(table.id).updated_at == data.uploaded_at
    store.lookup_tables.delete(table.id)
    assert store.lookup_tables.get(table.id) is None and store.lookup_tables.data(table.id) is None


def test_lookup_table_problems_are_named(store):
    table = store.lookup_tables.create("vpn_ranges", SETTINGS)
    with pytest.raises(Conflict, match="already exists"):
        store.lookup_tables.create("VPN_Ranges", SETTINGS)
    other = store.lookup_tables.create("other", SETTINGS)
    with pytest.raises(Conflict):
        store.lookup_tables.update(other.id, "vpn_ranges", SETTINGS)
    with pytest.raises(InvalidValue, match="name of 1 to 255"):
        store.lookup_tables.create(" ", SETTINGS)
    with pytest.raises(InvalidValue, match="csv or jsonl"):
        store.lookup_tables.put_data(table.id, "x", fmt="xml")
    with pytest.raises(InvalidValue, match="NUL"):
        store.lookup_tables.put_data(table.id, "a\x00b", fmt="csv")
    with pytest.raises(NotFound):
        store.lookup_tables.put_data("nope", "x", fmt="csv")
    with pytest.raises(NotFound):
        store.lookup_tables.delete("nope")
