"""Events as detections see them, rendered once per event.

Normalized events hold Python values (datetimes among them). Panther hands rules JSON values, with
timestamps as text in its own layout ("2024-01-02 03:04:05.123456", UTC). Rendering goes through orjson,
which also gives every detection a private copy it cannot change; values orjson refuses (integers past
64 bits) take a slower, exact path.

A batch encoded in this process and decoded here again (workers=0) is decoded one event at a time, when
that event is first read: the rule index reads an event that renders as plain JSON (``plain_event``) as
it was given, so an event no rule runs on is never decoded at all.
"""

from __future__ import annotations

import base64
import math
import pickle
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any

import orjson

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS
# Plain JSON: only dicts with str keys, lists, tuples, str, int, float, bool, None, enums, UUIDs, and
# datetimes, dates and times (_TIMES, exactly). Anything else, subclasses included, fails.
_PLAIN = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_SUBCLASS
_TIMES = (datetime, date, time)
_JSON, _PICKLE = b"J", b"P"  # the first byte of an encoded batch says how the rest is written


def panther_timestamp(value: datetime) -> str:
    """``2024-01-02 03:04:05.123456`` in UTC; a naive datetime is taken as UTC."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(sep=" ", timespec="microseconds")


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return panther_timestamp(value)
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, set | frozenset | Sequence) and not isinstance(value, str):
        return list(value)
    return str(value)


def render_time(value: datetime | date | time) -> str:
    """A datetime, date or time as rendering writes it."""
    return panther_timestamp(value) if isinstance(value, datetime) else value.isoformat()


def _times_only(value: Any) -> Any:
    if value.__class__ in _TIMES:
        return render_time(value)
    raise TypeError(f"{type(value).__name__} is not plain JSON")


def _plain(value: Any) -> Any:
    """The exact (slow) path: the same rendering as orjson's, written out."""
    if value is None or isinstance(value, str | bool):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {_key(k): _plain(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray | memoryview):
        return [_plain(item) for item in value]
    return _plain(_default(value))


def _key(key: Any) -> str:
    if isinstance(key, str):
        return key
    plain = _plain(key)
    return plain if isinstance(plain, str) else orjson.dumps(plain).decode()


def render_event(event: Mapping[str, Any]) -> dict[str, Any]:
    """One event as detections see it."""
    try:
        return orjson.loads(orjson.dumps(event, default=_default, option=_OPTIONS))
    except (orjson.JSONEncodeError, TypeError):
        return _plain(event)


class EncodedEvents(bytes):
    """An encoded batch (JSON), which in this process also knows its events as given and where each
    one's JSON lies; pickled (to a worker) it is plain bytes."""

    events: Sequence[Mapping[str, Any]]
    plain: list[bool]  # per event: it renders as plain JSON (render.py's docstring)
    bounds: list[int]  # per event: where its JSON starts; one more for the end of the last

    def __reduce__(self) -> tuple[Any, ...]:
        return (bytes, (bytes(self),))


class RenderedEvents(Sequence[dict[str, Any]]):
    """A decoded batch whose events are decoded when first read, each once."""

    __slots__ = ("_data", "_decoded")

    def __init__(self, data: EncodedEvents) -> None:
        self._data = data
        self._decoded: list[dict[str, Any] | None] = [None] * len(data.plain)

    def __len__(self) -> int:
        return len(self._decoded)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self[position] for position in range(*index.indices(len(self)))]
        found = self._decoded[index]
        if found is None:
            if index < 0:
                index += len(self)
            bounds = self._data.bounds
            found = orjson.loads(memoryview(self._data)[bounds[index] : bounds[index + 1] - 1])
            self._decoded[index] = found
        return found

    def plain_event(self, index: int) -> Mapping[str, Any] | None:
        """The event as given, when it renders as plain JSON: the same dicts, lists, keys, text, numbers,
        booleans and nulls, but for datetimes, dates and times (rendered as text), tuples (lists),
        non-finite floats (null), enums and UUIDs (their JSON values). Else None."""
        data = self._data
        return data.events[index] if data.plain[index] else None


def encode_events(events: Sequence[Mapping[str, Any]]) -> bytes:
    """A batch of events, rendered, as bytes to hand to a worker (JSON, or pickle for the rare event
    JSON cannot carry exactly)."""
    parts: list[bytes] = []
    plain: list[bool] = []
    try:
        for event in events:
            try:
                parts.append(orjson.dumps(event, default=_times_only, option=_PLAIN))
                plain.append(True)
            except TypeError:
                parts.append(orjson.dumps(event, default=_default, option=_OPTIONS))
                plain.append(False)
    except TypeError:  # orjson.JSONEncodeError among them
        return _PICKLE + pickle.dumps(
            [render_event(event) for event in events], protocol=pickle.HIGHEST_PROTOCOL
        )
    # The same bytes as the list dumped at once; each event's JSON ends one byte before the next starts.
    bounds = [2]
    for part in parts:
        bounds.append(bounds[-1] + len(part) + 1)
    if not parts:
        bounds = [2, 3]
    data = EncodedEvents(_JSON + b"[" + b",".join(parts) + b"]")
    data.events, data.plain, data.bounds = events, plain, bounds
    return data


def decode_events(data: bytes) -> Sequence[dict[str, Any]]:
    if isinstance(data, EncodedEvents):
        return RenderedEvents(data)
    if data[:1] == _JSON:
        return orjson.loads(memoryview(data)[1:])
    if data[:1] == _PICKLE:
        return pickle.loads(memoryview(data)[1:])
    raise ValueError("not an encoded batch of events")


def event_time(event: Mapping[str, Any], now: datetime) -> datetime:
    """``p_event_time`` (a datetime, or RFC 3339 / Panther text), else ``p_parse_time``, else ``now``."""
    for key in ("p_event_time", "p_parse_time"):
        parsed = _as_datetime(event.get(key))
        if parsed is not None:
            return parsed
    return now


def _as_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
        return _as_datetime(parsed)
    return None
