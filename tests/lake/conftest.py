from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa
import pytest

TS = pa.timestamp("us", tz="UTC")
START = datetime(2024, 5, 6, 7, 0, tzinfo=UTC)

# A small log table with every shape the lake stores: nested structs, lists of structs, timestamps at depth,
# JSON text, indicator lists and the standard p_ columns.
LOG_SCHEMA = pa.schema([
    ("eventName", pa.string()),
    ("count", pa.int64()),
    ("ok", pa.bool_()),
    ("actor", pa.struct([
        ("name", pa.string()),
        ("session", pa.struct([("created", TS), ("mfa", pa.bool_())])),
    ])),
    ("resources", pa.list_(pa.struct([("arn", pa.string()), ("seen", TS)]))),
    ("tags", pa.list_(pa.string())),
    ("request", pa.string()),
    ("p_log_type", pa.string()),
    ("p_row_id", pa.string()),
    ("p_event_time", TS),
    ("p_parse_time", TS),
    ("p_source_id", pa.string()),
    ("p_source_label", pa.string()),
    ("p_any_ip_addresses", pa.list_(pa.string())),
    ("p_any_aws_arns", pa.list_(pa.string())),
    ("p_extra", pa.string()),
])


def _make_row(n: int, when: datetime = START, **overrides: Any) -> dict[str, Any]:
    row = {
        "eventName": f"Event{n % 3}",
        "count": n,
        "ok": n % 2 == 0,
        "actor": {"name": f"user{n}", "session": {"created": when - timedelta(minutes=5), "mfa": True}},
        "resources": [{"arn": f"arn:aws:s3:::bucket{n}", "seen": when}],
        "tags": ["a", "b"],
        "request": f'{{"bucket": "bucket{n}", "nested": {{"depth": {n}}}}}',
        "p_log_type": "Test.Log",
        "p_row_id": f"row{n:06d}",
        "p_event_time": when,
        "p_parse_time": when + timedelta(seconds=1),
        "p_source_id": "source-1",
        "p_source_label": "Test source",
        "p_any_ip_addresses": [f"10.0.0.{n % 250}"],
        "p_any_aws_arns": [f"arn:aws:s3:::bucket{n}"],
    }
    row.update(overrides)
    return row


@pytest.fixture
def lake_root(tmp_path):
    return tmp_path / "lake"


@pytest.fixture
def log_schema() -> pa.Schema:
    return LOG_SCHEMA


@pytest.fixture
def make_row():
    """make_row(n, when=START, **overrides): a row of LOG_SCHEMA numbered n with event time `when`."""
    return _make_row
