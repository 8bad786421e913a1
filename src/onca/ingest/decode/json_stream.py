"""JSON documents read as a stream with ijson, so memory follows the largest record, not the document.

How a stream is read is decided by its first document: a top-level array streams its elements, an object whose
first key is Records streams that array's elements, and anything else (CloudWatch Logs payloads, pretty-printed
objects, several documents one after another) is read one whole document at a time and then expanded. Later
documents are read the same way as the first: in a stream that starts with an array, only arrays are expected.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import ijson

from onca.ingest.decode.envelopes import Decoded, element_record, expand_document
from onca.ingest.decode.records import RawRecord, decode_error, json_text
from onca.ingest.decode.source import ByteSource

ARRAY, RECORDS, DOCUMENTS = "array", "records", "documents"

_PREFIXES = {ARRAY: "item", RECORDS: "Records.item", DOCUMENTS: ""}
_WHERE = {ARRAY: "array element", RECORDS: "Records element"}

# ijson is handed the data in pieces this small, so that a syntax error is placed within one piece.
_PIECE = 4096


class _Feed:
    """The file ijson reads: the source in small pieces, remembering where the last piece lay."""

    def __init__(self, source: ByteSource) -> None:
        self._source = source
        self.start = self.end = source.position
        self.last = b""

    def read(self, size: int) -> bytes:
        data = self._source.read(min(size, _PIECE))
        if data:
            self.start, self.end, self.last = self.end, self.end + len(data), data
        return data


def iter_json(source: ByteSource, layout: str, limit: int, offset: int = 0) -> Iterator[Decoded]:
    """Records from JSON documents laid out as `layout` (ARRAY, RECORDS or DOCUMENTS), numbered from `offset`.

    Invalid JSON ends the stream with a DecodeError that says where; no exception escapes.
    """
    feed = _Feed(source)
    mark = feed.end  # where the previous value ended, to measure the size of the next one
    try:
        # Not use_float: ijson then fails on integers beyond 64 bits, ending the document; see _plain_numbers.
        for value in ijson.items(feed, _PREFIXES[layout], multiple_values=True):
            size, mark = feed.end - mark, feed.end
            value = _plain_numbers(value)
            if layout == DOCUMENTS:
                records = expand_document(value, offset, limit)
                if len(records) == 1 and isinstance(records[0], RawRecord) and records[0].data is value:
                    records = [_checked_size(records[0], size, limit)]
                yield from records
                offset += len(records)
            elif not (isinstance(value, str) and not value.strip()):
                yield _checked_size(element_record(value, offset, limit, _WHERE[layout]), size, limit)
                offset += 1
    except (ijson.JSONError, ValueError) as exc:
        reason = source.failure or _syntax_reason(exc, feed)
        yield decode_error(offset, feed.last, reason)
        return
    if source.failure is not None:
        yield decode_error(offset, b"", source.failure)


_INT_MIN, _INT_MAX = -(2**63), 2**64 - 1


def _plain_numbers(value: Any) -> Any:
    """Numbers as orjson.loads gives them: floats for ijson's Decimals, and for integers beyond 64 bits.

    Walks with a stack of its own rather than recursing, so no nesting depth can make it fail.
    """
    kind = type(value)
    if kind is not dict and kind is not list:
        return float(value) if kind is Decimal or (kind is int and not _INT_MIN <= value <= _INT_MAX) else value
    stack = [value]
    while stack:
        container = stack.pop()
        for key, item in container.items() if isinstance(container, dict) else enumerate(container):
            kind = type(item)
            if kind is dict or kind is list:
                stack.append(item)
            elif kind is Decimal or (kind is int and not _INT_MIN <= item <= _INT_MAX):
                container[key] = float(item)
    return value


def _checked_size(record: Decoded, size: int, limit: int) -> Decoded:
    """The record, or an error when the bytes read for it show it was over the limit.

    ijson does not tell where a value starts, so its size is what was read while it was parsed: exact to within
    one piece, hence the slack.
    """
    if size > limit + _PIECE and isinstance(record, RawRecord):
        return decode_error(record.offset, json_text(record.data),
                            f"record of about {size} bytes exceeds the {limit}-byte limit")
    return record


def _syntax_reason(exc: Exception, feed: _Feed) -> str:
    message = str(exc)
    if message[:2] in ("b'", 'b"'):  # ijson passes some parser messages on as the repr of bytes
        try:
            message = ast.literal_eval(message).decode("utf-8", "replace")
        except (ValueError, SyntaxError):
            pass
    lines = message.splitlines()
    summary = lines[0].strip().rstrip(".") if lines else type(exc).__name__
    if "premature EOF" in summary:
        return f"the JSON document ends at byte {feed.end} before it is complete"
    reason = f"invalid JSON between bytes {feed.start} and {feed.end}: {summary}"
    if len(lines) > 1 and lines[1].strip():  # the parser's excerpt of the text around the error
        reason += f" near {lines[1].strip()!r}"
    return reason + "; the rest of the document is skipped"

