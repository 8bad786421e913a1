"""``event.lookup(table, key)`` in live detection: rules running in forked worker processes (and in-process) read
the tables of the lookup service, see changes made after the workers started, and detection tests keep answering
from ``_mocked_lookup_data_``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from onca.detect.engine import Engine, EngineOptions, load_engine_content
from onca.detect.event import DetectionEvent
from onca.detect.platform import use_lookup_function
from onca.enrich import LookupService, LookupTableDefinition, build_table, settings_from

LOG_TYPE = "AWS.CloudTrail"
RULE_YML = """AnalysisType: rule
RuleID: Test.Lookup
Filename: lookup_rule.py
Enabled: true
Severity: Medium
LogTypes: [AWS.CloudTrail]
"""
RULE_PY = """
def rule(event):
    owner = event.lookup("owners", event.get("user"))
    return owner is not None and owner["team"] == "security"


def title(event):
    network = event.lookup("networks", event.get("sourceIPAddress")) or {}
    return f"{event.get('user')} from {network.get('name', 'nowhere')}"
"""


def table(name: str, data: bytes, key: str):
    settings = settings_from({"lookupName": name, "primaryKey": key}, where="test")
    return build_table(LookupTableDefinition(settings, "api"), data, fmt="csv")


@pytest.fixture
def lookups(tmp_path: Path) -> Iterator[LookupService]:
    """A service sharing its tables through a file, installed for event.lookup as a server installs it."""
    service = LookupService(shared_file=tmp_path / "lookups.sqlite3")
    service.put(table("owners", b"user,team\nalice,security\nbob,sales\n", "user"))
    service.put(table("networks", b"cidr,name\n10.0.0.0/8,corp\n2001:db8::/32,corp v6\n", "cidr"))
    previous = use_lookup_function(service.lookup_function())
    try:
        yield service
    finally:
        use_lookup_function(previous)


@pytest.fixture
def content(tmp_path: Path):
    root = tmp_path / "content" / "rules"
    root.mkdir(parents=True)
    (root / "lookup_rule.yml").write_text(RULE_YML)
    (root / "lookup_rule.py").write_text(RULE_PY)
    loaded = load_engine_content([tmp_path / "content"])
    assert loaded.problems == []
    return loaded


def events(*pairs: tuple[str, str]) -> list[dict]:
    return [{"p_log_type": LOG_TYPE, "user": user, "sourceIPAddress": address} for user, address in pairs]


@pytest.mark.parametrize("workers", [0, 2])
def test_event_lookup_reads_live_tables_in_workers(lookups, content, tmp_path: Path, workers):
    engine = Engine(content, EngineOptions(workers=workers, kv_url=f"sqlite:///{tmp_path / 'kv.sqlite3'}"))
    try:
        found = engine.evaluate(LOG_TYPE, events(("alice", "10.1.2.3"), ("bob", "10.1.2.3"),
                                                 ("alice", "2001:db8::1"), ("alice", "192.0.2.1")))
        assert [f.title for f in found] == ["alice from corp", "alice from corp v6", "alice from nowhere"]
        assert all(f.kind == "match" for f in found)

        # changed after the workers were forked: the next events see it
        lookups.put(table("owners", b"user,team\nbob,security\n", "user"))
        assert [f.title for f in engine.evaluate(LOG_TYPE, events(("alice", "1.1.1.1"), ("bob", "10.0.0.1")))] \
            == ["bob from corp"]
        lookups.remove("owners")
        assert engine.evaluate(LOG_TYPE, events(("bob", "10.0.0.1"))) == []
    finally:
        engine.close()


def test_disabled_tables_answer_no_lookups(lookups):
    disabled = settings_from({"lookupName": "owners", "primaryKey": "user", "enabled": False}, where="test")
    lookups.put(build_table(LookupTableDefinition(disabled, "api"), b"user,team\nalice,security\n", fmt="csv"))
    shared = lookups.lookup_function()
    assert shared(None, "owners", "alice") is None and lookups.lookup("owners", "alice") is None
    assert shared(None, "networks", "10.9.9.9") == {"cidr": "10.0.0.0/8", "name": "corp"}
    assert shared(None, "no_such_table", "x") is None and shared(None, "networks", None) is None


def test_detection_tests_answer_from_mocked_lookup_data():
    event = DetectionEvent({"user": "alice", "_mocked_lookup_data_": {"owners": {"alice": {"team": "mocked"}}}})
    assert event.lookup("owners", "alice")["team"] == "mocked"
