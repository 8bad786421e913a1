"""The records of one spooled HTTP payload, read the way its source's logStreamType says."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO

import orjson

from onca.ingest.decode import DEFAULT_MAX_RECORD_BYTES, DecodeError, iter_records, open_decompressed
from onca.ingest.decode.envelopes import Decoded, element_record
from onca.ingest.decode.lines import PLAIN_LINES, iter_lines
from onca.ingest.decode.records import decode_error
from onca.ingest.decode.source import ByteSource
from onca.runtime.http_sources import HttpSource

# An envelope is parsed whole: bound what one payload may decompress to.
MAX_ENVELOPE_BYTES = 256 << 20


def payload_records(stream: BinaryIO, source: HttpSource | None) -> Iterator[Decoded]:
    """Auto, JSON, JsonArray without an envelope field, CloudWatchLogs and XML are told apart by the decoder
    itself; Lines takes every line as text; JsonArray with an envelope field takes the array at that path."""
    if source is not None and source.log_stream_type == "Lines":
        try:
            decompressed = open_decompressed(stream)
        except OSError as exc:
            return iter([decode_error(0, b"", f"read error: {exc}")])
        return iter_lines(ByteSource(decompressed, "lines"), DEFAULT_MAX_RECORD_BYTES, PLAIN_LINES)
    field = source.log_stream_type_options.json_array_envelope_field if source is not None else ""
    if source is not None and source.log_stream_type == "JsonArray" and field:
        return _envelope_records(stream, field)
    return iter_records(stream)


def _envelope_records(stream: BinaryIO, field: str) -> Iterator[Decoded]:
    try:
        data = open_decompressed(stream).read(MAX_ENVELOPE_BYTES + 1)
    except (OSError, EOFError) as exc:
        yield decode_error(0, b"", f"read error: {exc}")
        return
    if len(data) > MAX_ENVELOPE_BYTES:
        yield decode_error(0, data[:1024], f"payload decompresses to more than {MAX_ENVELOPE_BYTES} bytes")
        return
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        yield decode_error(0, data, f"invalid JSON: {exc}")
        return
    values = _at(document, field)
    if not isinstance(values, list):
        yield DecodeError(0, data[:1024].decode("utf-8", "replace"),
                          f"no JSON array at {field!r} (jsonArrayEnvelopeField)")
        return
    for offset, value in enumerate(values):
        yield element_record(value, offset, DEFAULT_MAX_RECORD_BYTES, f"element {offset} of {field}")


def _at(document: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(document, dict):
            return None
        document = document.get(part)
    return document
