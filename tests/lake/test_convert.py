from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from onca.lake.convert import RowConverter, RowError

TS = pa.timestamp("us", tz="UTC")
SCHEMA = pa.schema([
    ("at", TS),
    ("inner", pa.struct([("at", TS), ("name", pa.string())])),
    ("items", pa.list_(pa.struct([("at", TS)]))),
    ("p_event_time", TS),
])
INSTANT = datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)


def reference(rows):
    """pyarrow's own conversion, which honours every datetime's offset."""
    return pa.Table.from_pylist(rows, schema=SCHEMA)


def row(moment):
    return {"at": moment, "inner": {"at": moment, "name": "x"}, "items": [{"at": moment}, None],
            "p_event_time": moment}


def values(table):
    return table.to_pylist()


def test_convert_utc_rows_match_pyarrow(log_schema, make_row):
    rows = [make_row(n, INSTANT + timedelta(seconds=n)) for n in range(20)]
    converted = RowConverter(log_schema)(rows)
    assert converted.schema.equals(log_schema)
    assert converted.equals(pa.Table.from_pylist(rows, schema=log_schema))


@pytest.mark.parametrize("zone", [timezone(timedelta(hours=2)), timezone(timedelta(hours=-7, minutes=-30)),
                                  ZoneInfo("Europe/Paris"), ZoneInfo("UTC")])
def test_convert_non_utc_datetimes_keep_their_instant(zone):
    local = INSTANT.astimezone(zone)
    rows = [row(INSTANT), row(local)]  # one offset anywhere in the batch counts
    converted = RowConverter(SCHEMA)(rows)
    assert converted.equals(reference(rows))
    assert values(converted)[1]["items"][0]["at"] == INSTANT


def test_convert_offset_deep_in_a_list_is_honoured():
    rows = [row(INSTANT), row(INSTANT)]
    rows[1]["items"] = [{"at": INSTANT.astimezone(timezone(timedelta(hours=5)))}]
    assert values(RowConverter(SCHEMA)(rows))[1]["items"][0]["at"] == INSTANT


def test_convert_naive_datetimes_are_utc():
    naive = INSTANT.replace(tzinfo=None)
    assert values(RowConverter(SCHEMA)([row(naive)]))[0]["inner"]["at"] == INSTANT


def test_convert_leaves_the_environment_as_it_was():
    before = os.environ.get("PYARROW_IGNORE_TIMEZONE")
    RowConverter(SCHEMA)([row(INSTANT)])
    assert os.environ.get("PYARROW_IGNORE_TIMEZONE") == before


def test_convert_wrong_shape_is_a_row_error():
    bad = row(INSTANT)
    bad["inner"] = "not an object"
    with pytest.raises(RowError, match="rows do not fit the schema"):
        RowConverter(SCHEMA)([bad])


def test_convert_unknown_columns_are_listed():
    converter = RowConverter(SCHEMA)
    assert converter.unknown_columns([row(INSTANT)]) == set()
    assert converter.unknown_columns([row(INSTANT), {"at": INSTANT, "zzz": 1}]) == {"zzz"}


moments = st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1),
                       timezones=st.sampled_from([UTC, timezone(timedelta(hours=9)),
                                                  timezone(timedelta(hours=-3, minutes=-30)), None]))


@given(st.lists(moments, min_size=1, max_size=8))
def test_convert_any_mix_of_zones_matches_pyarrow(stamps):
    rows = [row(s) for s in stamps]
    assert RowConverter(SCHEMA)(rows).equals(reference(rows))
