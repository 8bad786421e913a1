"""Timestamp parsing for `timestamp` fields: the named formats of the schema language and strftime patterns.

Every result is a timezone-aware datetime in UTC; a value without a zone is taken as UTC.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_UNIT_DIVISORS = {"unix": 1, "unix_ms": 1_000, "unix_us": 1_000_000, "unix_ns": 1_000_000_000}

TimeParser = Callable[..., datetime]  # (value, now=None): `now` anchors year-less formats


class TimeFormatError(ValueError):
    pass


def _to_utc(dt: datetime) -> datetime:
    if dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def parse_rfc3339(value: Any, now: datetime | None = None) -> datetime:
    if not isinstance(value, str):
        raise TimeFormatError(f"expected an RFC 3339 string, got {type(value).__name__}")
    text = value.strip()
    try:
        return _to_utc(datetime.fromisoformat(text))
    except ValueError:
        raise TimeFormatError(f"{value!r} is not an RFC 3339 timestamp") from None


def _unix_parser(fmt: str) -> TimeParser:
    divisor = _UNIT_DIVISORS[fmt]

    def parse(value: Any, now: datetime | None = None) -> datetime:
        if isinstance(value, bool):
            raise TimeFormatError(f"expected a {fmt} number, got a boolean")
        number = value
        if isinstance(value, str):
            try:
                number = int(value) if value.isdigit() else float(value)
            except ValueError:
                raise TimeFormatError(f"{value!r} is not a {fmt} timestamp") from None
        if not isinstance(number, int | float):
            raise TimeFormatError(f"expected a {fmt} number, got {type(value).__name__}")
        try:
            if isinstance(number, int):
                seconds, rest = divmod(number, divisor)
                return EPOCH + timedelta(seconds=seconds, microseconds=rest * 1_000_000 // divisor)
            return EPOCH + timedelta(seconds=number / divisor)
        except (OverflowError, ValueError):
            raise TimeFormatError(f"{value!r} is out of range for {fmt}") from None

    return parse


def _strftime_parser(pattern: str) -> TimeParser:
    has_year = "%Y" in pattern or "%y" in pattern or "%G" in pattern or "%s" in pattern

    def parse(value: Any, now: datetime | None = None) -> datetime:
        if not isinstance(value, str):
            raise TimeFormatError(f"expected a string matching {pattern!r}, got {type(value).__name__}")
        if not has_year:
            return _parse_yearless(value.strip(), pattern, now or datetime.now(UTC))
        try:
            return _to_utc(datetime.strptime(value.strip(), pattern))
        except ValueError:
            raise TimeFormatError(f"{value!r} does not match {pattern!r}") from None

    return parse


def _parse_yearless(text: str, pattern: str, now: datetime) -> datetime:
    """Year-less formats (RFC 3164 syslog) get the year of `now` (the parse time), or an earlier one when that
    would put the event more than a day in the future (a December event read in January). The year is parsed
    with the text, so February 29 finds the leap year it belongs to."""
    for year in range(now.year, now.year - 8, -1):
        try:
            dt = _to_utc(datetime.strptime(f"{year} {text}", f"%Y {pattern}"))
        except ValueError:
            continue
        if dt - now <= timedelta(days=1):
            return dt
    raise TimeFormatError(f"{text!r} does not match {pattern!r}")


def _any_default(value: Any, now: datetime | None = None) -> datetime:
    """With no declared format: RFC 3339 text, or unix seconds given as a number."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _unix_parser("unix")(value)
    return parse_rfc3339(value)


def build_time_parser(formats: tuple[str, ...]) -> TimeParser:
    """One parser trying each format in order; the error lists every format tried."""
    if not formats:
        return _any_default
    parsers = [parser for fmt in formats if (parser := named_parser(fmt)) is not parse_rfc3339]
    parsers.append(_normalized_text)  # a normalized event's own text (re-ingested, or a detection test's Log)

    def parse(value: Any, now: datetime | None = None) -> datetime:
        for parser in parsers:
            try:
                return parser(value, now)
            except TimeFormatError:
                continue
        if len(formats) == 1:
            raise TimeFormatError(f"{value!r} does not match {formats[0]}")
        raise TimeFormatError(f"{value!r} matches none of the formats {', '.join(formats)}")

    return parse


def _normalized_text(value: Any, now: datetime | None = None) -> datetime:
    """RFC 3339 / ISO 8601 text, which every timestamp field also accepts: it is how normalized events carry
    times (`2024-03-01T12:00:05Z`, or Panther's `2024-03-01 12:00:05.000000000`)."""
    if isinstance(value, str) and len(value) >= 10 and value[4:5] == "-" and value[:4].isdigit():
        return parse_rfc3339(value)
    raise TimeFormatError(f"{value!r} is not a timestamp")


def named_parser(fmt: str) -> TimeParser:
    if fmt == "rfc3339":
        return parse_rfc3339
    if fmt in _UNIT_DIVISORS:
        return _unix_parser(fmt)
    if "%" in fmt:
        return _strftime_parser(fmt)
    raise TimeFormatError(f"unknown time format {fmt!r} (rfc3339, unix, unix_ms, unix_us, unix_ns or a strftime "
                          f"pattern)")


def format_rfc3339(dt: datetime) -> str:
    """UTC RFC 3339 with a Z and the fraction trimmed of trailing zeros."""
    dt = dt.astimezone(UTC)
    text = f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d}T{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d}"
    if dt.microsecond:
        text += f".{dt.microsecond:06d}".rstrip("0")
    return text + "Z"
