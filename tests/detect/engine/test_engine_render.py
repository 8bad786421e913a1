"""What rules see: Panther's timestamp text and plain JSON values, rendered once per event."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

from onca.detect.engine import event_time, panther_timestamp, render_event

LOG_TYPE = "AWS.CloudTrail"


class Color(enum.Enum):
    RED = "red"


def test_render_timestamps_as_panther_writes_them():
    assert (
        panther_timestamp(datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)) == "2024-01-02 03:04:05.123456"
    )
    assert panther_timestamp(datetime(2024, 1, 2, 3, 4, 5)) == "2024-01-02 03:04:05.000000"  # naive: UTC
    plus_two = timezone(timedelta(hours=2))
    assert panther_timestamp(datetime(2024, 1, 2, 5, 4, 5, tzinfo=plus_two)) == "2024-01-02 03:04:05.000000"
    assert panther_timestamp(datetime(999, 1, 2, tzinfo=UTC)) == "0999-01-02 00:00:00.000000"


def test_render_event_gives_json_values():
    event = {
        "p_event_time": datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
        "nested": {"when": [datetime(2024, 1, 2, tzinfo=UTC)], "tuple": (1, 2)},
        "day": date(2024, 1, 2),
        "amount": Decimal("1.5"),
        "count": Decimal("3"),
        "color": Color.RED,
        "nan": float("nan"),
        "tags": {"only"},
        1: "int key",
    }
    assert render_event(event) == {
        "p_event_time": "2024-01-02 03:04:05.000006",
        "nested": {"when": ["2024-01-02 00:00:00.000000"], "tuple": [1, 2]},
        "day": "2024-01-02",
        "amount": 1.5,
        "count": 3,
        "color": "red",
        "nan": None,
        "tags": ["only"],
        "1": "int key",
    }


def test_render_event_keeps_integers_json_cannot_carry():
    big = 2**70 + 1
    assert render_event({"big": big, "when": datetime(2024, 1, 2, tzinfo=UTC)}) == {
        "big": big,
        "when": "2024-01-02 00:00:00.000000",
    }


def test_render_event_is_a_copy():
    event = {"a": {"b": [1]}}
    rendered = render_event(event)
    rendered["a"]["b"].append(2)
    assert event == {"a": {"b": [1]}}


def test_event_time_reads_datetimes_and_text():
    now = datetime(2030, 1, 1, tzinfo=UTC)
    assert event_time({"p_event_time": datetime(2024, 1, 2)}, now) == datetime(2024, 1, 2, tzinfo=UTC)
    assert event_time({"p_event_time": "2024-01-02 03:04:05.123"}, now) == datetime(
        2024, 1, 2, 3, 4, 5, 123000, tzinfo=UTC
    )
    assert event_time({"p_event_time": "2024-01-02T05:04:05+02:00"}, now) == datetime(
        2024, 1, 2, 3, 4, 5, tzinfo=UTC
    )
    assert event_time({"p_event_time": 12, "p_parse_time": "garbage"}, now) == now


SEES = """
def rule(event):
    return True

def alert_context(event):
    return {
        "p_event_time": event.get("p_event_time"),
        "type": type(event.get("p_event_time")).__name__,
        "nested": event.deep_get("request", "at"),
        "big": event.get("big"),
        "items": event.get("items"),
    }
"""


def test_engine_rules_see_rendered_values_in_every_mode(python_rule, make_engine):
    root = python_rule("Sees", SEES)
    event = {
        "p_event_time": datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=UTC),
        "request": {"at": datetime(2024, 1, 2, tzinfo=UTC)},
        "big": 2**70 + 1,
        "items": ("a", "b"),
    }
    expected = {
        "p_event_time": "2024-01-02 03:04:05.123456",
        "type": "str",
        "nested": "2024-01-02 00:00:00.000000",
        "big": 2**70 + 1,
        "items": ["a", "b"],
    }
    for workers in (0, 1):
        findings = make_engine(root, workers=workers).evaluate(LOG_TYPE, [event])
        assert findings[0].alert_context == expected
        assert findings[0].event is event  # the finding keeps the normalized event itself
