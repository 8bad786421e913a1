"""Reading correlation keys out of a match's fields.

Two signals correlate when they share a value for the named field. Values are compared in a
canonical text form so that ``12345678`` and ``"12345678"`` (the same id written by two log
sources) correlate; a list value correlates on any of its elements (``p_any_emails``). Null and
empty values never correlate: two events that both lack an actor are not about the same actor.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

_NOTHING: frozenset[str] = frozenset()


def lookup_field(fields: Mapping[str, Any], path: str) -> Any:
    """``fields`` is normally flat (``{"p_alert_context.actor": ...}``); nested maps are walked too."""
    if path in fields:
        return fields[path]
    value: Any = fields
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def canonical_keys(value: Any) -> frozenset[str]:
    if value is None:
        return _NOTHING
    if isinstance(value, str):
        return frozenset((value,)) if value != "" else _NOTHING
    if isinstance(value, bool):
        return frozenset(("true" if value else "false",))
    if isinstance(value, int):
        return frozenset((str(value),))
    if isinstance(value, float):
        if math.isnan(value):
            return _NOTHING
        return frozenset((str(int(value)) if value.is_integer() else repr(value),))
    if isinstance(value, Mapping):
        if not value:
            return _NOTHING
        return frozenset((json.dumps(_plain(value), sort_keys=True, separators=(",", ":"), default=str),))
    if isinstance(value, Sequence) and not isinstance(value, (bytes, bytearray)):
        keys: set[str] = set()
        for element in value:
            keys |= canonical_keys(element)
        return frozenset(keys)
    return frozenset((str(value),))


def field_keys(fields: Mapping[str, Any], path: str) -> frozenset[str]:
    return canonical_keys(lookup_field(fields, path))


def flatten_fields(value: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}, "c": [1, 2]}`` -> ``{"a": {...}, "a.b": 1, "c": [1, 2]}``: every map level
    is reachable by its dotted path; lists stay whole values."""
    flat: dict[str, Any] = {}
    for key, item in value.items():
        path = f"{prefix}{key}"
        flat[path] = item
        if isinstance(item, Mapping):
            flat.update(flatten_fields(item, f"{path}."))
    return flat


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes, bytearray)):
        return [_plain(v) for v in value]
    return value
