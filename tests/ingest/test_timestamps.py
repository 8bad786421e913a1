from __future__ import annotations

from datetime import UTC, datetime

import pytest

from onca.ingest.timestamps import TimeFormatError, build_time_parser, format_rfc3339


@pytest.mark.parametrize(("formats", "value", "expected"), [
    (("rfc3339",), "2024-03-01T12:00:05Z", datetime(2024, 3, 1, 12, 0, 5, tzinfo=UTC)),
    (("rfc3339",), "2024-03-01T14:00:05.123456789+02:00", datetime(2024, 3, 1, 12, 0, 5, 123456, tzinfo=UTC)),
    (("unix",), 1709294405, datetime(2024, 3, 1, 12, 0, 5, tzinfo=UTC)),
    (("unix",), "1709294405.5", datetime(2024, 3, 1, 12, 0, 5, 500000, tzinfo=UTC)),
    (("unix_ms",), 1709294405123, datetime(2024, 3, 1, 12, 0, 5, 123000, tzinfo=UTC)),
    (("unix_us",), "1709294405123456", datetime(2024, 3, 1, 12, 0, 5, 123456, tzinfo=UTC)),
    (("unix_ns",), 1709294405123456789, datetime(2024, 3, 1, 12, 0, 5, 123456, tzinfo=UTC)),
    (("%d/%b/%Y:%H:%M:%S %z",), "01/Mar/2024:13:00:05 +0100", datetime(2024, 3, 1, 12, 0, 5, tzinfo=UTC)),
    (("unix", "rfc3339"), "2024-03-01 12:00:05", datetime(2024, 3, 1, 12, 0, 5, tzinfo=UTC)),
    ((), 1709294405, datetime(2024, 3, 1, 12, 0, 5, tzinfo=UTC)),
])
def test_time_parser_formats(formats, value, expected):
    assert build_time_parser(formats)(value) == expected


def test_time_parser_yearless_format_takes_the_year_of_now():
    parse = build_time_parser(("%b %d %H:%M:%S",))
    assert parse("Mar  1 12:00:05", datetime(2026, 6, 1, tzinfo=UTC)).year == 2026
    # a December event read early in January belongs to the previous year
    assert parse("Dec 31 23:59:00", datetime(2027, 1, 1, 0, 5, tzinfo=UTC)).year == 2026
    recent = parse("Mar  1 12:00:05")
    assert recent.year in (datetime.now(UTC).year, datetime.now(UTC).year - 1)


def test_time_parser_error_lists_formats():
    with pytest.raises(TimeFormatError) as info:
        build_time_parser(("unix", "rfc3339"))("yesterday")
    assert "unix" in str(info.value) and "rfc3339" in str(info.value)


def test_time_parser_rejects_booleans():
    with pytest.raises(TimeFormatError):
        build_time_parser(("unix",))(True)


def test_format_rfc3339_trims_fraction():
    assert format_rfc3339(datetime(2024, 3, 1, 12, 0, 5, tzinfo=UTC)) == "2024-03-01T12:00:05Z"
    assert format_rfc3339(datetime(2024, 3, 1, 12, 0, 5, 120000, tzinfo=UTC)) == "2024-03-01T12:00:05.12Z"


def test_time_parser_yearless_leap_day_finds_its_year():
    parse = build_time_parser(("%b %d %H:%M:%S",))
    assert parse("Feb 29 10:00:00", datetime(2027, 3, 1, tzinfo=UTC)) == datetime(2024, 2, 29, 10, tzinfo=UTC)
    with pytest.raises(TimeFormatError):
        parse("Feb 30 10:00:00", datetime(2027, 3, 1, tzinfo=UTC))


def test_time_parser_accepts_normalized_text_whatever_the_format():
    parse = build_time_parser(("%d/%b/%Y:%H:%M:%S %z",))
    assert parse("2020-02-14 00:53:48.000000000") == datetime(2020, 2, 14, 0, 53, 48, tzinfo=UTC)
    assert parse("2020-02-14T00:53:48Z") == datetime(2020, 2, 14, 0, 53, 48, tzinfo=UTC)
    with pytest.raises(TimeFormatError, match="does not match"):
        parse("14-02-2020")


def test_format_rfc3339_pads_early_years():
    assert format_rfc3339(datetime(1, 1, 1, tzinfo=UTC)) == "0001-01-01T00:00:00Z"
