"""Newline-delimited records: the hot path.

The stream is read in large chunks and each run of complete lines is handled as one block: a single UTF-8
decode, a single split, and records built in C-driven loops. A block falls back to line-by-line work only
when it holds something unusual: invalid UTF-8, a NUL byte, an over-long line, or a line that may be a JSON
array or envelope to expand.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import repeat

import orjson

from onca.ingest.decode.envelopes import (
    Decoded,
    expand_document,
    expand_elements,
    is_cloudwatch_payload,
    is_records_envelope,
)
from onca.ingest.decode.records import RAW_LIMIT, RawRecord, decode_error, too_long_reason
from onca.ingest.decode.source import ByteSource

CHUNK_SIZE = 1 << 20

# How envelope lines start: {"Records": [...]} as JSON writers lay it out, and CloudWatch Logs payloads as AWS
# writes them. Checking each line's start costs the same for any line length; scanning blocks for a key would
# cost per byte.
_ENVELOPE_STARTS = ('{"Records"', '{ "Records"', '{"messageType"')


@dataclass(frozen=True, slots=True)
class Expansions:
    """Which lines hold records to take out, besides the envelopes found by how their lines start.

    The stream's first line tells. Trying every line that starts with "[" as JSON would slow down the many text
    logs whose lines start with a bracketed timestamp or level, while streams of arrays hold nothing else.
    """

    arrays: bool = False  # lines that are JSON arrays: each element is a record
    cloudwatch: bool = False  # CloudWatch Logs payloads, with their keys in any order


PLAIN_LINES = Expansions()


def iter_lines(source: ByteSource, limit: int, expand: Expansions = PLAIN_LINES,
               offset: int = 0) -> Iterator[Decoded]:
    """Records from newline-delimited text (\\n or \\r\\n; blank lines skipped), numbered from `offset`."""
    read = source.read
    # Read no more than the limit at a time: then only a block's first line, joined to what came before,
    # can be over the limit.
    read_size = min(CHUNK_SIZE, limit)
    pending: list[bytes] = []  # the start of a line that has no newline yet
    pending_size = 0
    skipping = False  # inside a line already reported too long: drop bytes up to its newline
    skipped_size = 0
    skipped_head = b""
    cr_last = False  # the last byte read was \r: with a \n next, it ends the line instead of belonging to it
    while chunk := read(read_size):
        if skipping:
            end = chunk.find(b"\n")
            if end < 0:
                skipped_size += len(chunk)
                cr_last = chunk.endswith(b"\r")
                continue
            skipped_size += end
            if chunk[end - 1] == 13 if end else cr_last:
                skipped_size -= 1
            yield decode_error(offset, skipped_head, too_long_reason(skipped_size, limit))
            offset += 1
            skipping, skipped_size, skipped_head = False, 0, b""
            chunk = chunk[end + 1:]
            if not chunk:
                continue
        end = chunk.rfind(b"\n")
        if end < 0:
            pending.append(chunk)
            pending_size += len(chunk)
            cr_last = chunk.endswith(b"\r")
            if pending_size > limit + cr_last:  # one byte more may be the \r of a CRLF
                skipping, skipped_size, skipped_head = True, pending_size, _head(pending)
                pending, pending_size = [], 0
            continue
        if pending:
            pending.append(chunk[: end + 1])
            block = b"".join(pending)
        else:
            block = chunk if end + 1 == len(chunk) else chunk[: end + 1]
        rest = chunk[end + 1:]
        pending, pending_size = ([rest], len(rest)) if rest else ([], 0)
        text = block_text(block, limit)
        if text is None:
            records = slow_lines(block, offset, limit, expand)
        else:
            lines = list(filter(str.strip, text.split("\n")))
            if not _may_hold_envelopes(lines, expand):
                count = len(lines)
                yield from map(RawRecord, lines, range(offset, offset + count))
                offset += count
                continue
            records = expand_lines(lines, offset, limit, expand)
        yield from records
        offset += len(records)
    if skipping:
        yield decode_error(offset, skipped_head, too_long_reason(skipped_size - cr_last, limit))
        offset += 1
    elif pending:
        tail = b"".join(pending)
        if source.failure is not None:  # the last line was cut off with the stream: report it with the failure
            yield decode_error(offset, tail, source.failure)
            return
        if tail.endswith(b"\r"):
            tail = tail[:-1]
        records = slow_lines(tail, offset, limit, expand)
        yield from records
        offset += len(records)
    if source.failure is not None:
        yield decode_error(offset, b"", source.failure)


def block_text(block: bytes, limit: int) -> str | None:
    """A block of complete lines as text with LF line ends, or None when it needs line-by-line care.

    Only the block's first line can be over the limit (see iter_lines), so only that one is measured.
    """
    if b"\r" in block:
        block = block.replace(b"\r\n", b"\n")
    if b"\x00" in block or (len(block) > limit and block.find(b"\n", 0, limit + 1) < 0):
        return None
    try:
        return block.decode("utf-8")
    except UnicodeDecodeError:
        return None


def expand_lines(lines: list[str], offset: int, limit: int, expand: Expansions) -> list[Decoded]:
    """Records from decoded lines, expanding those that are JSON arrays or envelopes."""
    out: list[Decoded] = []
    for line in lines:
        expanded = expand_line(line, offset + len(out), limit, expand) if _may_expand(line, expand) else None
        if expanded is None:
            out.append(RawRecord(line, offset + len(out)))
        else:
            out.extend(expanded)
    return out


def slow_lines(block: bytes, offset: int, limit: int, expand: Expansions) -> list[Decoded]:
    """Line-by-line decoding of a block: each bad line becomes a DecodeError, each envelope its records."""
    out: list[Decoded] = []
    for line in block.split(b"\n"):
        if line.endswith(b"\r"):
            line = line[:-1]
        if not line.strip():
            continue
        number = offset + len(out)
        if len(line) > limit:
            out.append(decode_error(number, line, too_long_reason(len(line), limit)))
            continue
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            out.append(decode_error(number, line, f"invalid UTF-8 at byte {exc.start} (0x{line[exc.start]:02x})"))
            continue
        nul = line.find(b"\x00")
        if nul >= 0:
            out.append(decode_error(number, line, f"NUL byte at position {nul}"))
            continue
        if not text.strip():
            continue
        expanded = expand_line(text, number, limit, expand) if _may_expand(text, expand) else None
        if expanded is None:
            out.append(RawRecord(text, number))
        else:
            out.extend(expanded)
    return out


def expand_line(line: str, offset: int, limit: int, expand: Expansions) -> list[Decoded] | None:
    """The records of a line holding a JSON array or envelope; None when the line is an ordinary record."""
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    if isinstance(value, list):
        return expand_elements(value, offset, limit, "array") if expand.arrays else None
    if isinstance(value, dict) and (is_records_envelope(value) or is_cloudwatch_payload(value)):
        return expand_document(value, offset, limit)
    return None


def _may_hold_envelopes(lines: list[str], expand: Expansions) -> bool:
    """Whether any of the lines may need expanding, in one C-driven pass over them."""
    return expand.arrays or expand.cloudwatch or any(map(str.startswith, lines, repeat(_ENVELOPE_STARTS)))


def _may_expand(line: str, expand: Expansions) -> bool:
    first = line[0]
    if first == "{":
        return line.startswith(_ENVELOPE_STARTS) or (expand.cloudwatch and '"logEvents"' in line)
    return first == "[" and expand.arrays


def _head(pieces: list[bytes]) -> bytes:
    """The first RAW_LIMIT bytes of a line held in pieces."""
    out = bytearray()
    for piece in pieces:
        out += piece[: RAW_LIMIT - len(out)]
        if len(out) >= RAW_LIMIT:
            break
    return bytes(out)
