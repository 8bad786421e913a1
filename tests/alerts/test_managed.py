"""Destinations managed through the API: merged with the config file's into one live set, kept in the store,
swapped whole so routing on another thread never sees half a change."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from onca.alerts.config import DestinationConfigError, DestinationSet, parse_destinations
from onca.alerts.destinations import build_destination
from onca.alerts.managed import DestinationClash, ManagedDestinations, ReadOnlyDestination, UnknownDestination
from onca.store import open_store

HOOK = {"name": "SOC hook", "url": "https://hooks.example.com/onca", "signing_secret": "whsec_1",
        "headers": {"Authorization": "Bearer t0ken"}}


@pytest.fixture
def store(tmp_path: Path):
    opened = open_store(f"sqlite:///{tmp_path / 'onca.db'}")
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def managed(store) -> ManagedDestinations:
    configured = parse_destinations([{"kind": "webhook", "name": "From file", "id": "cfg",
                                      "url": "https://file.example.com/hook"}])
    managed = ManagedDestinations(store, configured)
    managed.load()
    return managed


def test_managed_destinations_join_the_config_files_in_one_live_set(managed, store):
    record, destination = managed.create("webhook", HOOK, destination_id="soc", created_by="ana@example.com")

    live = managed.destinations
    assert live.live and live.names == ("From file", "SOC hook")
    assert live["soc"] is destination and live.id_of(destination) == "soc" and live.id_of("From file") == "cfg"
    assert store.destinations.get("soc") == record and record.created_by == "ana@example.com"
    assert managed.managed_id(destination) == "soc" and managed.managed_id(live["cfg"]) is None


def test_managed_ids_are_generated_unless_given(managed):
    record, _ = managed.create("webhook", HOOK)
    assert len(record.id) == 36 and managed.destinations[record.id].config.name == "SOC hook"


def test_managed_update_keeps_secrets_left_out_or_masked(managed, store):
    managed.create("webhook", HOOK, destination_id="soc")

    _, updated = managed.update("SOC hook", None, {"url": "https://moved.example.com/",
                                                   "headers": {"Authorization": "**********", "X-Team": "secops"}})

    assert updated.config.name == "SOC hook"  # left out: the name stays
    assert updated.config.signing_secret.get_secret_value() == "whsec_1"
    assert {k: v.get_secret_value() for k, v in updated.config.headers.items()} == {
        "Authorization": "Bearer t0ken", "X-Team": "secops"}
    assert store.destinations.get("soc").settings["signing_secret"] == "whsec_1"
    assert managed.destinations["soc"] is updated


def test_managed_update_to_another_kind_keeps_no_secret(managed):
    managed.create("webhook", HOOK, destination_id="soc")
    with pytest.raises(DestinationConfigError) as refused:
        managed.update("soc", "slack", {"webhook_url": "**********"})
    assert any(p.startswith("webhook_url: the masked value") for p in refused.value.problems)


def test_managed_refusals_are_named(managed):
    managed.create("webhook", HOOK, destination_id="soc")
    with pytest.raises(ReadOnlyDestination, match="config file"):
        managed.update("cfg", None, {"url": "https://x.example"})
    with pytest.raises(ReadOnlyDestination):
        managed.delete("From file")
    with pytest.raises(DestinationClash, match="'From file' is already the name or id of a destination of the"):
        managed.create("webhook", {**HOOK, "name": "From file"})
    with pytest.raises(DestinationClash, match="id 'cfg' is already"):
        managed.create("webhook", {**HOOK, "name": "Other"}, destination_id="cfg")
    with pytest.raises(DestinationClash, match="name 'soc' is already the name or id of destination 'soc'"):
        managed.create("webhook", {**HOOK, "name": "soc"})
    with pytest.raises(UnknownDestination, match="'nope'"):
        managed.delete("nope")
    with pytest.raises(DestinationConfigError) as refused:
        managed.create("webhook", {"name": "x" * 300, "url": "nope"}, destination_id="a/b")
    assert [p.split(":")[0] for p in refused.value.problems] == ["id", "name", "url"]
    assert managed.destinations.names == ("From file", "SOC hook")


def test_managed_delete_takes_the_destination_out(managed, store):
    managed.create("webhook", HOOK, destination_id="soc")
    managed.delete("soc")
    assert managed.destinations.names == ("From file",) and store.destinations.get("soc") is None


def test_managed_load_leaves_out_what_cannot_be_used(store):
    store.destinations.create("ok", name="SOC hook", kind="webhook", settings=HOOK)
    store.destinations.create("broken", name="Broken", kind="webhook", settings={"name": "Broken", "url": 7})
    store.destinations.create("clash", name="From file", kind="webhook",
                              settings={"name": "From file", "url": "https://x.example"})
    configured = parse_destinations([{"kind": "webhook", "name": "From file", "url": "https://f.example"}])
    managed = ManagedDestinations(store, configured)

    problems = dict(managed.load())

    assert managed.destinations.names == ("From file", "SOC hook")
    assert "url:" in problems["broken"] and "a destination of the config file" in problems["clash"]
    # one left out can still be repaired or removed through the API
    managed.update("broken", None, {"url": "https://fixed.example"})
    managed.delete("clash")
    assert managed.destinations.names == ("From file", "SOC hook", "Broken")


def test_a_fixed_set_cannot_be_replaced():
    with pytest.raises(TypeError, match="fixed"):
        DestinationSet().replace([])


def test_a_live_set_is_swapped_whole_while_another_thread_reads():
    """A reader sees one state or the other: the id always belongs to the one destination there is."""
    first = build_destination("webhook", {"name": "Before", "url": "https://a.example"})
    second = build_destination("webhook", {"name": "After", "url": "https://b.example"})
    live = DestinationSet([first], ids={"Before": "x"}, live=True)
    stop = threading.Event()
    seen: list[object] = []

    def read() -> None:
        while not stop.is_set():
            found, unknown = live.resolve(["x", "Before", "After"])
            mapping = live.name_to_id()
            if len(found) != 1 or len(unknown) != 1 or list(mapping.values()) != ["x"]:
                seen.append((found, unknown, mapping))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for turn in range(3000):
            destination = second if turn % 2 else first
            live.replace([destination], ids={destination.config.name: "x"})
    finally:
        stop.set()
        reader.join()
    assert seen == []
