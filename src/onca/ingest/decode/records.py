"""What the decoder yields: a record, or an error that says what was wrong with one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

RAW_LIMIT = 64 * 1024  # DecodeError.raw keeps at most this many bytes of the offending input


@dataclass(frozen=True, slots=True)
class RawRecord:
    """One record: a text line (without its newline), or a JSON object already decoded from an array or envelope."""

    data: str | dict[str, Any]
    offset: int  # 0-based ordinal of the record in the stream (records and errors share one count)


@dataclass(frozen=True, slots=True)
class DecodeError:
    """A record that could not be decoded; the stream goes on after it."""

    offset: int
    raw: str  # the offending bytes as text (invalid UTF-8 replaced), at most RAW_LIMIT bytes of UTF-8
    reason: str


# The generated frozen __init__ sets each field through object.__setattr__; writing the slots through their
# descriptors is the same thing at about half the cost, and RawRecord is built once per line on the hot path.
_set_data = RawRecord.__dict__["data"].__set__
_set_offset = RawRecord.__dict__["offset"].__set__


def _raw_record_init(self: RawRecord, data: str | dict[str, Any], offset: int) -> None:
    _set_data(self, data)
    _set_offset(self, offset)


_raw_record_init.__qualname__ = "RawRecord.__init__"
RawRecord.__init__ = _raw_record_init  # type: ignore[method-assign]


def raw_text(raw: bytes | bytearray | memoryview | str) -> str:
    """The offending input as text for a DecodeError: invalid UTF-8 replaced, cut to RAW_LIMIT bytes."""
    if isinstance(raw, str):
        text = raw
    else:
        text = bytes(raw[:RAW_LIMIT]).decode("utf-8", "replace")
    if len(text) > RAW_LIMIT // 4:  # only then can its UTF-8 form pass the limit
        encoded = text.encode("utf-8", "replace")
        if len(encoded) > RAW_LIMIT:
            text = encoded[:RAW_LIMIT].decode("utf-8", "ignore")
    return text


def decode_error(offset: int, raw: bytes | bytearray | memoryview | str, reason: str) -> DecodeError:
    return DecodeError(offset, raw_text(raw), reason)


def too_long_reason(size: int, limit: int) -> str:
    return f"record of {size} bytes exceeds the {limit}-byte limit"


def check_text(text: str, limit: int) -> str | None:
    """Why a text record taken from a JSON document is unusable, or None if it is fine."""
    nul = text.find("\x00")
    if nul >= 0:  # the position counts bytes, as for lines
        return f"NUL byte at position {len(text[:nul].encode('utf-8', 'replace'))}"
    if len(text) * 4 > limit:  # cheap bound first: a character is at most 4 bytes of UTF-8
        size = len(text.encode("utf-8", "replace"))
        if size > limit:
            return too_long_reason(size, limit)
    return None


def json_text(value: Any) -> str:
    """A decoded JSON value as compact text again, for a DecodeError's raw text."""
    try:
        return orjson.dumps(value, default=str)[:RAW_LIMIT].decode("utf-8", "ignore")
    except orjson.JSONEncodeError:  # nested deeper than orjson goes
        return f"<a JSON {type(value).__name__} nested too deeply to show>"
