"""Events as detections see them, rendered once per event.

Normalized events hold Python values (datetimes among them). Panther hands rules JSON values, with
timestamps as text in its own layout ("2024-01-02 03:04:05.123456", UTC). Rendering goes through orjson,
which also gives every detection a private copy it cannot change; values orjson refuses (integers past
64 bits) take a slower, exact path.
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


def encode_events(events: Sequence[Mapping[str, Any]]) -> bytes:
    """A batch of events, rendered, as bytes to hand to a worker (JSON, or pickle for the rare event
    JSON cannot carry exactly)."""
    try:
        return _JSON + orjson.dumps(events, default=_default, option=_OPTIONS)
    except (orjson.JSONEncodeError, TypeError):
        return _PICKLE + pickle.dumps(
            [render_event(event) for event in events], protocol=pickle.HIGHEST_PROTOCOL
        )


def decode_events(data: bytes) -> list[dict[str, Any]]:
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
