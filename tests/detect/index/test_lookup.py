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


CLAUSES = {
    "Both": """
        def rule(event):
            return event.get("eventName") == "RunInstances" and event.get("eventSource") == "ec2.amazonaws.com"
        """,
    "Session": """
        import re

        SESSION = re.compile(r":assumed-role/.+/i-[0-9a-f]+$")

        def rule(event):
            return bool(SESSION.search(event.deep_get("userIdentity", "arn", default="")))
        """,
}


@pytest.fixture
def clause_index(load_rules):
    return RuleIndex(load_rules(CLAUSES).rules_for("AWS.CloudTrail"))


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        ({"eventName": "RunInstances", "eventSource": "ec2.amazonaws.com"}, ["Both"]),
        ({"eventName": "RunInstances", "eventSource": "s3.amazonaws.com"}, []),
        ({"eventName": "GetObject", "eventSource": "ec2.amazonaws.com"}, []),
        ({"EventName": "RunInstances", "EVENTSOURCE": "ec2.amazonaws.com"}, ["Both"]),
        ({"userIdentity": {"arn": "arn:aws:sts::1:assumed-role/r/i-0abc"}}, ["Session"]),
        ({"userIdentity": {"arn": "arn:aws:sts::1:assumed-role/r/user"}}, []),  # no "/i-"
        ({"userIdentity": {"ARN": "x:assumed-role/y/i-z"}}, ["Session"]),  # holds both runs: a candidate
        ({"userIdentity": {"arn": 7}}, ["Session"]),  # search() of a number raises
        ({"userIdentity": {"arn": None}}, []),  # deep_get's default "" never matches
    ],
)
def test_index_candidates_need_every_atom_of_a_clause(clause_index, event, expected):
    assert candidates(clause_index, event) == expected


def test_index_positions_read_the_raw_event_as_the_event_does(clause_index):
    raw = {"eventName": "RunInstances", "eventSource": "ec2.amazonaws.com"}
    positions = clause_index.positions(raw)
    assert [clause_index.detections[p] for p in positions] == list(clause_index.candidates(DetectionEvent(raw)))
    assert clause_index.reports[0].describe() == (
        "eventName in {'RunInstances'} and eventSource in {'ec2.amazonaws.com'}"
    )


def test_index_lookup_takes_masks_of_any_size():
    """Masks go into the written-out lookup in hex: decimal text of huge integers is limited in length."""
    from onca.detect.index.lookup import compile_lookup

    everything = (1 << 40_000) - 1
    one = 1 << 39_999
    entries = ((("eventName",), one, everything & ~one, {"A": one}, (), (), 0, 0),)
    mask_of = compile_lookup(entries, everything, lambda raw, path: None)
    fold = lambda raw: {key.lower(): key for key in raw}  # noqa: E731
    assert mask_of({"eventName": "A"}, fold) == everything
    assert mask_of({"EVENTNAME": "B"}, fold) == everything & ~one
