"""RuleIndex.candidates: which rules an event reaches, read the way DetectionEvent reads keys."""

from __future__ import annotations

import pytest

from onca.detect.event import DetectionEvent
from onca.detect.index import RuleIndex

RULES = {
    "ByName": """
        def rule(event):
            return event.get("eventName") in ("CreateUser", "DeleteUser")
        """,
    "Nested": """
        def rule(event):
            return event.deep_get("userIdentity", "type") == "Root"
        """,
    "Prefix": """
        def rule(event):
            if not event.get("eventName", "").startswith("Delete"):
                return False
            return True
        """,
    "Always": """
        def rule(event):
            import os
            return bool(os.environ.get("NOPE"))
        """,
    "Hashed": """
        NAMES = frozenset({"CreateUser"})

        def rule(event):
            return event.get("eventName") in NAMES
        """,
}


@pytest.fixture
def index(load_rules):
    content = load_rules(RULES)
    return RuleIndex(content.rules_for("AWS.CloudTrail"))


def candidates(index, event):
    """Rule names in content order (the order their files load: by name here)."""
    return [d.id.removeprefix("Test.") for d in index.candidates(DetectionEvent(event))]


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        ({"eventName": "CreateUser"}, ["Always", "ByName", "Hashed"]),
        ({"eventName": "DeleteUser"}, ["Always", "ByName", "Prefix"]),
        ({"eventName": "DeleteBucket"}, ["Always", "Prefix"]),
        ({"eventName": "GetObject"}, ["Always"]),
        # Keys match whatever their case, as event.get does.
        ({"EVENTNAME": "CreateUser"}, ["Always", "ByName", "Hashed"]),
        ({"UserIdentity": {"TYPE": "Root"}}, ["Always", "Nested", "Prefix"]),
        ({"userIdentity": {"type": "Root"}, "eventName": "GetObject"}, ["Always", "Nested"]),
        # An exact key wins over one that differs only in case.
        ({"eventName": "GetObject", "EventName": "CreateUser"}, ["Always"]),
        # Missing and null read alike (None): Prefix raises on a present null, so it runs on both.
        ({}, ["Always", "Prefix"]),
        ({"eventName": None}, ["Always", "Prefix"]),
        # Numbers never equal text; a list is unhashable, so the frozenset test raises.
        ({"eventName": 5}, ["Always", "Hashed", "Prefix"]),
        ({"eventName": ["CreateUser"]}, ["Always", "Hashed", "Prefix"]),
        ({"userIdentity": "Root"}, ["Always", "Prefix"]),
        ({"userIdentity": [{"type": "Root"}]}, ["Always", "Prefix"]),
    ],
)
def test_index_candidates(index, event, expected):
    assert candidates(index, event) == expected


def test_index_candidates_keep_content_order_and_are_reused(index):
    first = index.candidates(DetectionEvent({"eventName": "CreateUser"}))
    again = index.candidates(DetectionEvent({"eventName": "CreateUser", "other": 1}))
    assert first is again
    assert list(first) == [d for d in index.detections if d in first]


def test_index_reports_each_rule(index):
    reports = {report.detection_id: report for report in index.reports}
    assert reports["Test.ByName"].describe() == "eventName in {'CreateUser', 'DeleteUser'}"
    assert not reports["Test.Always"].guarded
    assert sorted(index.paths) == [("eventName",), ("userIdentity", "type")]


def test_index_without_rules_has_no_candidates():
    assert RuleIndex([]).candidates(DetectionEvent({"eventName": "x"})) == ()
