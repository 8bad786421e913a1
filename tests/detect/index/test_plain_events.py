"""The index reads events that render as plain JSON as they were given, never decoding them: batches
encoded here decode one event at a time, the same as ever, and the index never misses a candidate it
would have found on the rendered event."""

from __future__ import annotations

import enum
import math
import pickle
import random
import uuid
from datetime import UTC, date, datetime, time
from decimal import Decimal

import orjson
import pytest

from onca.detect.engine.render import decode_events, encode_events, render_event
from onca.detect.index import RuleIndex

LOG_TYPE = "AWS.CloudTrail"


class Color(enum.Enum):
    RED = "CreateUser"


class Text(str):
    pass


WHEN = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
EVENTS = [
    {"eventName": "CreateUser", "n": 1, "ok": True, "f": 1.5, "none": None, "list": [1, "a"], "obj": {"a": {}}},
    {"eventName": WHEN, "day": date(2024, 1, 2), "at": time(3, 4), "tuple": ("a", 1), "nan": math.nan},
    {"eventName": Color.RED, "id": uuid.UUID(int=5), "inf": -math.inf},
    {"eventName": Decimal("1.5"), "bytes": b"x", "set": {"a"}},  # not plain: rendered first
    {1: "int key", "eventName": "CreateUser"},  # not plain
    {"eventName": Text("CreateUser")},  # not plain: a str subclass
    {"nested": {"when": [WHEN]}, "EventName": "DeleteUser"},
]


def test_plain_batches_decode_as_before():
    encoded = encode_events(EVENTS)
    assert bytes(encoded) == b"J" + orjson.dumps(
        [render_event(event) for event in EVENTS]
    )  # the very bytes a worker gets
    decoded = decode_events(encoded)
    assert len(decoded) == len(EVENTS)
    assert [decoded[i] for i in range(len(EVENTS))] == [render_event(event) for event in EVENTS]
    assert decoded[0] is decoded[0]  # decoded once
    assert decoded[-1] == render_event(EVENTS[-1]) and decoded[1:3] == [decoded[1], decoded[2]]
    plain = [decoded.plain_event(i) is EVENTS[i] for i in range(len(EVENTS))]
    assert plain == [True, True, True, False, False, False, True]
    # Another process gets plain bytes, decoded all at once.
    sent = pickle.loads(pickle.dumps(encoded))
    assert type(sent) is bytes and decode_events(sent) == [render_event(event) for event in EVENTS]  # noqa: E721


def test_plain_batches_fall_back_for_values_json_cannot_carry():
    events = [{"big": 2**70}, {"eventName": "A"}]
    decoded = decode_events(encode_events(events))
    assert list(decoded) == [render_event(event) for event in events]
    assert not hasattr(decoded, "plain_event")
    assert list(decode_events(encode_events([]))) == []


RULES = {
    "Text": """
        def rule(event):
            return event.get("eventName") in ("CreateUser", "DeleteUser")
        """,
    "Prefix": """
        def rule(event):
            return event.get("eventName", "").startswith("2024-01-02")
        """,
    "Missing": """
        def rule(event):
            return event.get("eventName") is None and event.get("other") == "x"
        """,
    "Day": """
        def rule(event):
            return event.deep_get("nested", "day") == "2024-01-02"
        """,
    "Time": """
        def rule(event):
            return event.deep_get("nested", "when") == "2024-01-02 03:04:05.000000"
        """,
    "Number": """
        def rule(event):
            name = event.get("eventName")
            return name in {"CreateUser"}
        """,
}
VALUES = [
    "CreateUser", "DeleteUser", "createuser", "2024-01-02 00:00:00", "", None, 5, 1.5, math.nan, math.inf,
    True, [1], ("CreateUser",), {"k": "v"}, WHEN, datetime(2024, 1, 2), date(2024, 1, 2), time(1, 2),
    Color.RED, uuid.UUID(int=1),
]


@pytest.fixture
def index(load_rules):
    return RuleIndex(load_rules(RULES).rules_for(LOG_TYPE))


def test_plain_events_reach_every_rule_their_rendering_reaches(index):
    rng = random.Random(3)
    checked = 0
    for _ in range(3000):
        event = {"p_log_type": LOG_TYPE}
        for key in rng.sample(["eventName", "EVENTNAME", "other", "x"], rng.randrange(0, 4)):
            event[key] = rng.choice(VALUES)
        if rng.random() < 0.5:
            event["nested"] = {rng.choice(["day", "when", "DAY"]): rng.choice(VALUES)}
        decoded = decode_events(encode_events([event]))
        plain = decoded.plain_event(0)
        if plain is None:
            continue
        rendered = set(index.positions(decoded[0]))
        assert rendered <= set(index.positions(plain)), (event, decoded[0])
        checked += 1
    assert checked > 2000
