"""The type rules for what detection functions return, and how their outputs are shaped."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from onca.detect.event.views import json_default
from onca.detect.runner.errors import FunctionReturnTypeError, UnknownDestinationError

MAX_FIELD_LENGTH = 1000
MAX_DESTINATIONS = 10
MAX_ALERT_CONTEXT_CHARS = 200 * 1024
TRUNCATED_SUFFIX = "... (truncated)"
SEVERITIES = ("INFO", "LOW", "MEDIUM", "HIGH", "CRITICAL")
SEVERITY_DEFAULT = "DEFAULT"
ALERT_CONTEXT_ERROR_KEY = "_error"
SKIP_DESTINATIONS = "SKIP"


def require(detection_id: str, function: str, value: Any, expected: type) -> Any:
    if not isinstance(value, expected):
        raise FunctionReturnTypeError(
            f"detection [{detection_id}] function [{function}] returned [{type(value).__name__}], "
            f"expected [{expected.__name__}]"
        )
    return value


def truncate(text: str, limit: int = MAX_FIELD_LENGTH) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - len(TRUNCATED_SUFFIX)] + TRUNCATED_SUFFIX


def severity_output(value: str, default: str | None) -> str | None:
    """Upper-cased; ``DEFAULT`` means the detection's own severity."""
    severity = value.upper()
    if severity in SEVERITIES:
        return severity
    if severity == SEVERITY_DEFAULT:
        return default.upper() if isinstance(default, str) else default
    raise AssertionError(
        f"Expected severity to be any of the following: [{list(SEVERITIES)}], got [{severity}] instead."
    )


def alert_context_output(value: Mapping[str, Any]) -> str:
    """Serialized context; an oversized one is replaced by an ``_error`` entry saying so."""
    encoded = json.dumps(value, default=json_default, allow_nan=False)
    if len(encoded) > MAX_ALERT_CONTEXT_CHARS:
        return alert_context_error(
            f"alert_context size is [{len(encoded)}] characters, "
            f"bigger than maximum of [{MAX_ALERT_CONTEXT_CHARS}] characters"
        )
    return encoded


def alert_context_error(message: str) -> str:
    return json.dumps({ALERT_CONTEXT_ERROR_KEY: message}, allow_nan=False)


def check_destinations(detection_id: str, value: Any) -> list[Any] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str | bool) for item in value):
        raise FunctionReturnTypeError(
            f"detection [{detection_id}] function [destinations] returned [{type(value).__name__}], "
            "expected a list"
        )
    return value


def destinations_output(names: list[Any], known: Mapping[str, str] | None) -> list[str]:
    """Resolve display names (or ids) to destination ids; an empty list means "send nowhere".

    ``known`` maps display names to ids. Names that resolve to nothing raise
    UnknownDestinationError, whose second argument lists them.
    """
    if not names:
        return [SKIP_DESTINATIONS]
    known = known or {}
    ids = set(known.values())
    resolved: list[str] = []
    unknown: list[Any] = []
    for name in names:
        if isinstance(name, str) and name in known:
            if known[name] not in resolved:
                resolved.append(known[name])
        elif isinstance(name, str) and name in ids:
            if name not in resolved:
                resolved.append(name)
        else:
            unknown.append(name)
    if unknown:
        raise UnknownDestinationError("Invalid Destinations", unknown)
    return resolved[:MAX_DESTINATIONS]


def default_dedup(detection_id: str, title: str | None) -> str:
    return title if title else f"defaultDedupString:{detection_id}"
