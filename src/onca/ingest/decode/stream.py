"""iter_records: open the stream, tell newline-delimited text from streamed JSON, and read it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import BinaryIO

import orjson

from onca.ingest.decode.compression import open_detected
from onca.ingest.decode.envelopes import Decoded, is_cloudwatch_payload
from onca.ingest.decode.json_stream import ARRAY, DOCUMENTS, RECORDS, iter_json
from onca.ingest.decode.lines import CHUNK_SIZE, PLAIN_LINES, Expansions, iter_lines
from onca.ingest.decode.records import decode_error
from onca.ingest.decode.source import ByteSource
from onca.ingest.decode.winxml import XML, iter_xml, starts_xml

DEFAULT_MAX_RECORD_BYTES = 16 * 1024 * 1024

_BOM = b"\xef\xbb\xbf"
_RECORDS_START = re.compile(rb'\{\s*"Records"\s*:\s*\[')
_LEADING_SPACE = re.compile(rb"[ \t\n\r\x0b\x0c]*")
_KEY_LOOKAHEAD = 4096  # how far past an opening brace to look for the first key


def iter_records(stream: BinaryIO, *, max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES) -> Iterator[Decoded]:
    """Every record of a byte stream, in order, with a DecodeError in place of each one that is unusable.

    The stream may be gzip, zstd or bzip2 compressed (told by its magic bytes). If its first line is a JSON value
    on its own, or does not start with "[" or "{", it is read as lines (NDJSON or text; a line holding a JSON array,
    a {"Records": [...]} envelope or a CloudWatch Logs payload yields the records inside). Otherwise it is read as
    streamed JSON: an array, an envelope, CloudWatch Logs payloads, pretty-printed objects, several documents in a
    row. A stream that opens with an XML declaration, <Events> or <Event> holds Windows events in XML, each of
    which becomes a record (see winxml). Bad input never ends the stream early, except invalid JSON in streamed JSON, after which nothing in it
    can be placed; a damaged compressed stream yields what was readable, then one DecodeError.

    The first bytes are read at once, to tell how to read the rest; the iterator returned is then the reader
    itself, with no generator in between on the hot path.
    """
    if max_record_bytes < 1:
        raise ValueError(f"max_record_bytes must be positive, not {max_record_bytes}")
    try:
        fmt, decompressed = open_detected(stream)
    except OSError as exc:
        return iter([decode_error(0, b"", f"read error: {exc}")])
    source = ByteSource(decompressed, fmt)
    layout = _detect_layout(source, max_record_bytes)
    if isinstance(layout, Expansions):
        return iter_lines(source, max_record_bytes, layout)
    if layout == XML:
        return iter_xml(source, max_record_bytes)
    return iter_json(source, layout, max_record_bytes)


Layout = Expansions | str  # lines (and which to expand), how to stream JSON (ARRAY, RECORDS, DOCUMENTS), or XML


# "[" then whitespace and what a JSON value starts with (or the end of what has been read): a JSON array
_JSON_ARRAY_START = re.compile(rb'\[\s*(?:[\[{"\]\-0-9tfn]|$)')


def _detect_layout(source: ByteSource, limit: int) -> Layout:
    """How to read the stream, judged from its first lines; the bytes read for this are given back to `source`."""
    head = bytearray()
    judged_at = 0
    bom_checked = False
    while True:
        chunk = source.read(CHUNK_SIZE)
        head += chunk
        if not bom_checked and (len(head) >= len(_BOM) or not chunk):
            bom_checked = True
            if head.startswith(_BOM):
                del head[: len(_BOM)]
        # Judge again only when a line may have ended or the head has doubled: a slow stream handing out a few
        # bytes at a time must not make this quadratic.
        if chunk and b"\n" not in chunk and len(head) < 2 * judged_at:
            continue
        judged_at = len(head)
        layout = _layout(head, complete=not chunk, limit=limit)
        if layout is not None:
            source.unread(bytes(head))
            return layout


def _layout(head: bytearray, *, complete: bool, limit: int) -> Layout | None:
    """The layout of the stream starting with `head`, or None when more of it is needed to tell."""
    start = _LEADING_SPACE.match(head).end()  # type: ignore[union-attr]
    if start == len(head):  # nothing but whitespace so far
        return PLAIN_LINES if complete or start > limit else None
    opening = head[start]
    if opening == ord("<"):  # Windows events as XML (a syslog <PRI> or other text does not match)
        xml = starts_xml(head, start, complete)
        if xml is None:
            return None
        if xml:
            return XML
    if opening not in b"[{" or (opening == ord("[") and not _JSON_ARRAY_START.match(head, start)):
        return PLAIN_LINES  # text that happens to open with "[" ("[JSSACCESSLOG] ...", "[error] ...")
    first, after = _line_at(head, start, complete)
    if first is None:  # the first line has not ended
        return _json_layout(head, start, complete) if complete or len(head) - start > limit else None
    value = _loads(first)
    if value is not _FAILED:
        return _line_expansions(value)
    if opening == ord("{"):
        # A first line that fails to parse may be a broken NDJSON record rather than a pretty-printed object:
        # if the next line is a JSON object on its own, read lines, so that the damage stays in one record.
        second_start = _LEADING_SPACE.match(head, after).end()  # type: ignore[union-attr]
        second, _ = _line_at(head, second_start, complete)
        if second is None and not complete and len(head) - second_start <= limit:
            return None
        if second is not None and second.startswith(b"{"):
            value = _loads(second)
            if isinstance(value, dict):
                return _line_expansions(value)
    return _json_layout(head, start, complete)


def _line_expansions(first: object) -> Expansions:
    """Lines like the first one are expanded throughout the stream: arrays, CloudWatch Logs payloads."""
    if isinstance(first, list):
        return Expansions(arrays=True)
    if isinstance(first, dict) and is_cloudwatch_payload(first):
        return Expansions(cloudwatch=True)
    return PLAIN_LINES


def _json_layout(head: bytearray, start: int, complete: bool) -> str | None:
    if head[start] == ord("["):
        return ARRAY
    if _RECORDS_START.match(head, start):
        return RECORDS
    if complete or len(head) - start >= _KEY_LOOKAHEAD:
        return DOCUMENTS
    return None


def _line_at(head: bytearray, start: int, complete: bool) -> tuple[bytes | None, int]:
    """The line that starts at `start` (without its line end) and where the next begins; None if it has not ended."""
    end = head.find(b"\n", start)
    if end < 0:
        return (bytes(head[start:]), len(head)) if complete and start < len(head) else (None, len(head))
    return bytes(head[start:end]).rstrip(b"\r"), end + 1


_FAILED = object()


def _loads(line: bytes) -> object:
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        return _FAILED

