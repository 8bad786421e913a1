"""Resource snapshots: reading their identity, and reading them from files.

A resource is a JSON object in Panther's shape, with at least ``ResourceType`` (``AWS.S3.Bucket``) and
``ResourceId`` (usually the ARN); the rest is whatever the scanner recorded.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import orjson


class ResourceError(ValueError):
    """A resource that cannot be evaluated; the message says what is wrong with it."""


class ResourceFileError(ValueError):
    """A resource file that cannot be read at all (missing, or a JSON array that does not parse)."""


def resource_identity(resource: Any) -> tuple[str, str]:
    """``(ResourceType, ResourceId)`` of a resource, or ResourceError naming the key at fault."""
    if not isinstance(resource, Mapping):
        raise ResourceError(f"a resource must be a JSON object, got {_kind(resource)}")
    found = []
    for key in ("ResourceType", "ResourceId"):
        if key not in resource:
            raise ResourceError(f"{key} is missing")
        value = resource[key]
        if not isinstance(value, str) or not value.strip():
            raise ResourceError(f"{key} must be a non-empty string, got {value!r}")
        found.append(value)
    return found[0], found[1]


def _kind(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", type(None): "null", bool: "a boolean"}.get(
        type(value), type(value).__name__
    )


def read_resources(path: str | Path) -> Iterator[tuple[str, Any | ResourceError]]:
    """``(where, resource)`` for each resource in a JSON array, a single JSON object or NDJSON file;
    ``where`` reads ``file:line`` or ``file: item N``. A line that is not JSON comes out as a
    ResourceError in place of its resource, so the rest of the file is still read."""
    file = Path(path)
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise ResourceFileError(f"{file}: cannot read: {exc.strerror or exc}") from exc
    text = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"["):
        try:
            items = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise ResourceFileError(f"{file}: not a valid JSON array: {exc}") from exc
        for index, item in enumerate(items):
            yield f"{file}: item {index + 1}", item
        return
    if text.startswith(b"{"):
        try:
            yield f"{file}: item 1", orjson.loads(text)
            return
        except orjson.JSONDecodeError:
            pass  # not one object: one object per line
    for number, line in enumerate(data.removeprefix(b"\xef\xbb\xbf").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield f"{file}:{number}", orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            yield f"{file}:{number}", ResourceError(f"invalid JSON: {exc}")
