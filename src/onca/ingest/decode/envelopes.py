"""JSON documents that carry many records: arrays, {"Records": [...]} envelopes, CloudWatch Logs payloads."""

from __future__ import annotations

from typing import Any

from onca.ingest.decode.records import DecodeError, RawRecord, check_text, decode_error, json_text

Decoded = RawRecord | DecodeError


def is_records_envelope(value: dict[str, Any]) -> bool:
    """CloudTrail's S3 files (and S3 event notifications): an object whose first key, Records, holds an array.

    Only the first key is looked at, so that a streaming reader, which sees keys in order, decides the same way.
    """
    for key, item in value.items():
        return key == "Records" and isinstance(item, list)
    return False


def is_cloudwatch_payload(value: dict[str, Any]) -> bool:
    """A CloudWatch Logs subscription payload: {"messageType", "owner", "logGroup", ..., "logEvents": [...]}."""
    return "messageType" in value and "logEvents" in value


def expand_document(value: Any, offset: int, limit: int) -> list[Decoded]:
    """The records one whole JSON document holds, numbered from `offset`."""
    if isinstance(value, dict):
        if is_records_envelope(value):
            return expand_elements(value["Records"], offset, limit, "Records")
        if is_cloudwatch_payload(value):
            return expand_cloudwatch(value, offset, limit)
        return [RawRecord(value, offset)]
    if isinstance(value, list):
        return expand_elements(value, offset, limit, "array")
    return [element_record(value, offset, limit, "JSON document")]


def expand_elements(values: list[Any], offset: int, limit: int, where: str) -> list[Decoded]:
    out: list[Decoded] = []
    for value in values:
        if isinstance(value, str) and not value.strip():
            continue
        out.append(element_record(value, offset + len(out), limit, f"{where} element"))
    return out


def element_record(value: Any, offset: int, limit: int, what: str) -> Decoded:
    """A record from one element of a JSON array: objects as they are, strings as text lines."""
    if isinstance(value, dict):
        return RawRecord(value, offset)
    if isinstance(value, str):
        return text_record(value, offset, limit)
    return decode_error(offset, json_text(value), f"{what} is {_json_kind(value)}, not an object or a string")


def text_record(text: str, offset: int, limit: int) -> Decoded:
    reason = check_text(text, limit)
    if reason is not None:
        return decode_error(offset, text, reason)
    return RawRecord(text, offset)


def expand_cloudwatch(payload: dict[str, Any], offset: int, limit: int) -> list[Decoded]:
    """Each log event's message of a DATA_MESSAGE becomes a text record; a CONTROL_MESSAGE holds none."""
    kind = payload.get("messageType")
    if kind == "CONTROL_MESSAGE":
        return []
    if kind != "DATA_MESSAGE":
        return [decode_error(offset, json_text(payload), f"unknown CloudWatch Logs messageType {kind!r}")]
    events = payload.get("logEvents")
    if not isinstance(events, list):
        return [decode_error(offset, json_text(payload), "CloudWatch Logs payload: logEvents is not an array")]
    out: list[Decoded] = []
    for index, event in enumerate(events):
        message = event.get("message") if isinstance(event, dict) else None
        if not isinstance(message, str):
            out.append(decode_error(offset + len(out), json_text(event),
                                    f"CloudWatch Logs event {index} has no message string"))
        elif message.strip():
            # Lambda and many agents end each message with a newline; a record never includes its newline.
            out.append(text_record(message.rstrip("\r\n"), offset + len(out), limit))
    return out


def _json_kind(value: Any) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if value is None:
        return "null"
    return f"a {type(value).__name__}"
