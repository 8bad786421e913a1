"""Decoding byte streams into records: compression, lines, JSON documents, and bad input."""

from __future__ import annotations

import bz2
import gzip
import io
import json
import random
import re
import tracemalloc
from pathlib import Path
from typing import Any

import orjson
import pytest
import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onca.ingest.decode import DecodeError, RawRecord, iter_records, open_decompressed

COMPRESSORS = {
    "gzip": gzip.compress,
    "zstd": lambda data: zstandard.ZstdCompressor().compress(data),
    "bzip2": bz2.compress,
}


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def decode(path: Path, **kwargs: Any) -> list[RawRecord | DecodeError]:
    with path.open("rb") as f:
        out = list(iter_records(f, **kwargs))
    assert [item.offset for item in out] == list(range(len(out))), "offsets count every record and error"
    return out


def data_of(items: list[RawRecord | DecodeError]) -> list[Any]:
    return [item.data for item in items if isinstance(item, RawRecord)]


def errors_of(items: list[RawRecord | DecodeError]) -> list[DecodeError]:
    return [item for item in items if isinstance(item, DecodeError)]


def cloudwatch_payload(messages: list[str], message_type: str = "DATA_MESSAGE") -> dict[str, Any]:
    return {
        "messageType": message_type,
        "owner": "123456789012",
        "logGroup": "/aws/lambda/checkout",
        "logStream": "2024/05/01/[$LATEST]0123456789abcdef",
        "subscriptionFilters": ["onca"],
        "logEvents": [
            {"id": f"3719{i:04d}", "timestamp": 1714521600000 + i, "message": message}
            for i, message in enumerate(messages)
        ],
    }


CONTROL_MESSAGE = {
    "messageType": "CONTROL_MESSAGE",
    "owner": "CloudwatchLogs",
    "logGroup": "",
    "logStream": "",
    "subscriptionFilters": [],
    "logEvents": [{"id": "", "timestamp": 1714521600000,
                   "message": "CWL CONTROL MESSAGE: Checking health of destination Firehose."}],
}

CLOUDTRAIL_EVENTS = [
    {"eventVersion": "1.08", "eventSource": "s3.amazonaws.com", "eventName": "GetObject", "awsRegion": "us-east-1",
     "sourceIPAddress": "192.0.2.10", "requestParameters": {"bucketName": "logs", "key": "a.txt"}},
    {"eventVersion": "1.08", "eventSource": "iam.amazonaws.com", "eventName": "CreateUser",
     "awsRegion": "us-east-1", "sourceIPAddress": "192.0.2.11", "requestParameters": {"userName": "mallory"}},
]


class Trickle(io.RawIOBase):
    """A non-seekable stream that hands out a few bytes per read, like a pipe or a slow HTTP body."""

    def __init__(self, data: bytes, step: int) -> None:
        self._data = memoryview(data)
        self._step = step

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        size = min(len(buffer), self._step, len(self._data))
        buffer[:size] = self._data[:size]
        self._data = self._data[size:]
        return size


# --- compression -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["gzip", "zstd", "bzip2", "plain"])
def test_open_decompressed_by_magic_bytes_not_name(tmp_path: Path, fmt: str) -> None:
    content = b"first\nsecond\n" * 1000
    data = COMPRESSORS[fmt](content) if fmt != "plain" else content
    path = write(tmp_path, "events.log.gz" if fmt == "plain" else "events.txt", data)
    with path.open("rb") as f:
        assert open_decompressed(f).read() == content


def test_open_decompressed_text_starting_like_bzip2_magic_stays_plain(tmp_path: Path) -> None:
    path = write(tmp_path, "users.log", b"BZhang logged in\nBZh9 is not enough for bzip2 either\n")
    assert data_of(decode(path)) == ["BZhang logged in", "BZh9 is not enough for bzip2 either"]


@pytest.mark.parametrize("fmt", ["gzip", "zstd", "bzip2"])
def test_open_decompressed_truncated_stream_raises_eof_error(tmp_path: Path, fmt: str) -> None:
    compressed = COMPRESSORS[fmt](random.Random(1).randbytes(200_000))
    path = write(tmp_path, "cut", compressed[: len(compressed) - 100])
    with path.open("rb") as f, pytest.raises(EOFError):
        open_decompressed(f).read()


def test_iter_records_gzip_concatenated_members(tmp_path: Path) -> None:
    path = write(tmp_path, "members.gz", gzip.compress(b"a\nb\n") + gzip.compress(b"c\n") + gzip.compress(b"d"))
    assert data_of(decode(path)) == ["a", "b", "c", "d"]


def test_iter_records_zstd_multiple_frames(tmp_path: Path) -> None:
    compressor = zstandard.ZstdCompressor()
    streamed = compressor.compressobj()  # a frame without a content size, as streaming writers produce
    frames = compressor.compress(b"a\nb\n") + streamed.compress(b"c\n") + streamed.flush() + compressor.compress(b"d\n")
    path = write(tmp_path, "frames.zst", frames)
    assert data_of(decode(path)) == ["a", "b", "c", "d"]


def test_iter_records_bzip2_multiple_streams(tmp_path: Path) -> None:
    path = write(tmp_path, "streams.bz2", bz2.compress(b"a\nb\n") + bz2.compress(b"c\n"))
    assert data_of(decode(path)) == ["a", "b", "c"]


@pytest.mark.parametrize("fmt", ["gzip", "zstd", "bzip2"])
def test_iter_records_truncated_stream_yields_complete_records_then_one_error(tmp_path: Path, fmt: str) -> None:
    lines = [f"event {i:06d} user=u{i % 97} action=login result={'ok' if i % 3 else 'denied'}" for i in range(50_000)]
    compressed = COMPRESSORS[fmt]("\n".join(lines).encode() + b"\n")
    path = write(tmp_path, f"cut.{fmt}", compressed[: len(compressed) * 6 // 10])

    out = decode(path)

    good = data_of(out)
    assert 0 < len(good) < len(lines)
    assert good == lines[: len(good)]
    assert errors_of(out) == [out[-1]]
    assert out[-1].reason.startswith(f"truncated {fmt} stream")
    assert lines[len(good)].startswith(out[-1].raw)  # the cut-off line comes with the error


def test_iter_records_corrupt_gzip_reports_and_keeps_what_was_read(tmp_path: Path) -> None:
    path = write(tmp_path, "corrupt.gz", gzip.compress(b"a\nb\n") + b"\x1f\x8bnot really a gzip member")
    out = decode(path)
    assert data_of(out) == ["a", "b"]
    assert len(errors_of(out)) == 1 and out[-1].reason.startswith("corrupt gzip stream")


def test_iter_records_gzip_through_a_slow_non_seekable_stream(tmp_path: Path) -> None:
    content = b"".join(f"line {i}\r\n".encode() if i % 2 else f"line {i}\n".encode() for i in range(2000))
    path = write(tmp_path, "slow.gz", gzip.compress(content))
    expected = data_of(decode(path))
    assert expected == [f"line {i}" for i in range(2000)]
    assert data_of(list(iter_records(Trickle(path.read_bytes(), 7)))) == expected  # type: ignore[arg-type]


# --- lines ------------------------------------------------------------------------------------------------------

def test_iter_records_ndjson_lines_are_text(tmp_path: Path) -> None:
    lines = [orjson.dumps({"n": i, "msg": f"hello {i}"}).decode() for i in range(5)]
    path = write(tmp_path, "events.ndjson", ("\n".join(lines) + "\n").encode())
    out = decode(path)
    assert all(isinstance(item, RawRecord) for item in out)
    assert data_of(out) == lines


def test_iter_records_mixed_crlf_blank_lines_and_no_final_newline(tmp_path: Path) -> None:
    path = write(tmp_path, "mixed.log", b"one\r\ntwo\n\r\n  \nthree\r\n\n\nfour\rstill four\r\nfive")
    assert data_of(decode(path)) == ["one", "two", "three", "four\rstill four", "five"]


def test_iter_records_crlf_split_across_reads() -> None:
    content = b"".join(f"record-{i}\r\n".encode() for i in range(300))
    out = list(iter_records(Trickle(content, 5)))  # type: ignore[arg-type]
    assert data_of(out) == [f"record-{i}" for i in range(300)]


def test_iter_records_utf8_bom_is_dropped(tmp_path: Path) -> None:
    path = write(tmp_path, "bom.ndjson", b'\xef\xbb\xbf{"a":1}\n{"b":2}\n')
    assert data_of(decode(path)) == ['{"a":1}', '{"b":2}']


def test_iter_records_invalid_utf8_names_the_byte(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.log", b"before\n" + b"0123456789abcdefg\xff\xfe tail\n" + "after é\n".encode())
    out = decode(path)
    assert data_of(out) == ["before", "after é"]
    [error] = errors_of(out)
    assert error.offset == 1
    assert error.reason == "invalid UTF-8 at byte 17 (0xff)"
    assert error.raw == "0123456789abcdefg\ufffd\ufffd tail"


def test_iter_records_nul_byte_names_the_position(tmp_path: Path) -> None:
    path = write(tmp_path, "nul.log", b"before\nabc\x00def\nafter\n")
    out = decode(path)
    assert data_of(out) == ["before", "after"]
    [error] = errors_of(out)
    assert error.reason == "NUL byte at position 3"
    assert error.raw == "abc\x00def"


def test_iter_records_binary_garbage_does_not_stop_the_stream(tmp_path: Path) -> None:
    garbage = random.Random(20240501).randbytes(300_000)
    path = write(tmp_path, "garbage.log", b"good one\n" + garbage + b"\ngood two\n")
    out = decode(path)
    assert out[0] == RawRecord("good one", 0)
    assert out[-1] == RawRecord("good two", len(out) - 1)
    assert len(errors_of(out)) > 10
    assert all(err.reason for err in errors_of(out))


def test_iter_records_line_over_the_limit_is_skipped_in_chunks(tmp_path: Path) -> None:
    size = 50 * 1024 * 1024
    path = tmp_path / "huge.log"
    with path.open("wb") as f:
        f.write(b"good before\n")
        piece = b"x" * (1024 * 1024)
        for _ in range(size // len(piece)):
            f.write(piece)
        f.write(b"\r\ngood after\n")

    tracemalloc.start()
    try:
        out = decode(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert data_of(out) == ["good before", "good after"]
    [error] = errors_of(out)
    assert error.offset == 1
    assert error.reason == f"record of {size} bytes exceeds the 16777216-byte limit"
    assert len(error.raw.encode()) == 64 * 1024
    assert peak < size / 2, f"peak {peak} bytes: the long line was held in memory"


@pytest.mark.parametrize("step", [1, 3, 64, 1 << 20])
def test_iter_records_small_limit_at_any_read_size(step: int) -> None:
    long_line = b"y" * 150
    content = b"ok 1\n" + long_line + b"\r\nok 2\n" + b"z" * 100 + b"\r\n" + long_line  # z: exactly the limit
    out = list(iter_records(Trickle(content, step), max_record_bytes=100))  # type: ignore[arg-type]
    assert [(type(item).__name__, getattr(item, "data", None)) for item in out] == [
        ("RawRecord", "ok 1"), ("DecodeError", None), ("RawRecord", "ok 2"), ("RawRecord", "z" * 100),
        ("DecodeError", None),
    ]
    assert [err.reason for err in errors_of(out)] == ["record of 150 bytes exceeds the 100-byte limit"] * 2


def test_iter_records_error_raw_is_capped_at_64_kib(tmp_path: Path) -> None:
    path = write(tmp_path, "wide.log", b"\xff" + "é".encode() * 100_000 + b"\n")
    [error] = decode(path)
    assert isinstance(error, DecodeError) and error.reason == "invalid UTF-8 at byte 0 (0xff)"
    assert 60 * 1024 < len(error.raw.encode()) <= 64 * 1024


def test_iter_records_envelope_lines_in_ndjson_are_expanded(tmp_path: Path) -> None:
    content = b"\n".join([
        b'{"eventName": "first"}',
        orjson.dumps({"Records": CLOUDTRAIL_EVENTS}),
        b'{"eventName": "middle", "Records": ["not an envelope: Records is not the first key"]}',
        orjson.dumps(cloudwatch_payload(["from cloudwatch"])),
        b'{"eventName": "last"}',
    ])
    out = decode(write(tmp_path, "mixed.ndjson", content))
    assert data_of(out) == [
        '{"eventName": "first"}', *CLOUDTRAIL_EVENTS,
        '{"eventName": "middle", "Records": ["not an envelope: Records is not the first key"]}',
        "from cloudwatch", '{"eventName": "last"}',
    ]


def test_iter_records_broken_first_ndjson_line_keeps_reading_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "broken.ndjson", b'{"user": "alice", "action": \n{"user": "bob"}\n{"user": "carol"}\n')
    assert data_of(decode(path)) == ['{"user": "alice", "action": ', '{"user": "bob"}', '{"user": "carol"}']


def test_iter_records_ndjson_of_arrays_expands_each_line(tmp_path: Path) -> None:
    path = write(tmp_path, "batches.ndjson", b'[{"a":1},{"a":2}]\n[{"a":3}]\n[]\n["text line"]\n')
    assert data_of(decode(path)) == [{"a": 1}, {"a": 2}, {"a": 3}, "text line"]


_LINE_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\x00\ufeff"), max_size=40)


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(
    lines=st.lists(_LINE_TEXT.filter(lambda s: not s.endswith("\r") and s.lstrip()[:1] not in ("[", "{")),
                   max_size=30),
    newline=st.sampled_from(["\n", "\r\n"]),
    final_newline=st.booleans(),
    compress=st.sampled_from([None, "gzip", "zstd"]),
)
def test_iter_records_lines_round_trip(tmp_path: Path, lines: list[str], newline: str, final_newline: bool,
                                       compress: str | None) -> None:
    content = (newline.join(lines) + (newline if final_newline else "")).encode()
    path = write(tmp_path, "lines.log", COMPRESSORS[compress](content) if compress else content)
    out = decode(path)
    assert data_of(out) == [line for line in lines if line.strip()]
    assert not errors_of(out)


_JSON_SCALARS = st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=10) \
    | st.floats(allow_nan=False, allow_infinity=False)
_JSON_VALUES = st.recursive(_JSON_SCALARS, lambda inner: st.lists(inner, max_size=3)
                            | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=8)
_EVENTS = st.dictionaries(st.text(max_size=8).filter(lambda k: k not in ("Records", "messageType")), _JSON_VALUES,
                          max_size=5)


@settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(events=st.lists(_EVENTS, min_size=1, max_size=20))
def test_iter_records_ndjson_round_trip(tmp_path: Path, events: list[dict[str, Any]]) -> None:
    lines = [orjson.dumps(event).decode() for event in events]
    out = decode(write(tmp_path, "events.ndjson", "\n".join(lines).encode()))
    assert data_of(out) == lines


@settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(events=st.lists(_EVENTS, min_size=1, max_size=20))
def test_iter_records_pretty_json_array_round_trip(tmp_path: Path, events: list[dict[str, Any]]) -> None:
    out = decode(write(tmp_path, "events.json", json.dumps(events, indent=2).encode()))
    assert data_of(out) == events


# --- JSON documents ------------------------------------------------------------------------------------------

def test_iter_records_json_array_single_line_and_pretty(tmp_path: Path) -> None:
    events = [{"id": i, "tags": ["a", "b"], "ratio": i / 4} for i in range(4)]
    assert data_of(decode(write(tmp_path, "one.json", orjson.dumps(events)))) == events
    assert data_of(decode(write(tmp_path, "pretty.json", json.dumps(events, indent=2).encode()))) == events


def test_iter_records_json_numbers_match_orjson(tmp_path: Path) -> None:
    text = b'[\n{"id": 18446744073709551615, "low": -9223372036854775808, "huge": 92233720368547758070, "f": 0.1}\n]'
    [record] = decode(write(tmp_path, "numbers.json", text))
    assert record.data == orjson.loads(text)[0]  # type: ignore[union-attr]
    assert [type(v) for v in record.data.values()] == [int, int, float, float]  # type: ignore[union-attr]


def test_iter_records_json_array_elements_that_are_not_records(tmp_path: Path) -> None:
    out = decode(write(tmp_path, "mixed.json", b'[\n{"a": 1},\n"a text line",\n42,\n[1, 2],\n""\n]'))
    assert data_of(out) == [{"a": 1}, "a text line"]
    assert [err.reason for err in errors_of(out)] == [
        "array element is a number, not an object or a string",
        "array element is an array, not an object or a string",
    ]
    assert errors_of(out)[0].raw == "42"


def test_iter_records_records_envelope_file(tmp_path: Path) -> None:
    compact = orjson.dumps({"Records": CLOUDTRAIL_EVENTS})
    assert data_of(decode(write(tmp_path, "ct.json", compact))) == CLOUDTRAIL_EVENTS
    pretty = json.dumps({"Records": CLOUDTRAIL_EVENTS}, indent=4).encode()
    assert data_of(decode(write(tmp_path, "ct-pretty.json.gz", gzip.compress(pretty)))) == CLOUDTRAIL_EVENTS


def test_iter_records_records_envelope_over_the_limit_is_streamed(tmp_path: Path) -> None:
    events = [{"eventName": "PutObject", "n": i, "pad": "p" * 200} for i in range(200)]
    path = write(tmp_path, "ct.json", orjson.dumps({"Records": events}))  # one line, longer than the limit
    assert data_of(decode(path, max_record_bytes=4096)) == events


def test_iter_records_cloudwatch_payload_gzip_as_aws_delivers_it(tmp_path: Path) -> None:
    payload = cloudwatch_payload(["START RequestId: 1\n", "user=alice action=login", "END RequestId: 1\n"])
    path = write(tmp_path, "cwl", gzip.compress(orjson.dumps(payload)))
    out = decode(path)
    assert data_of(out) == ["START RequestId: 1", "user=alice action=login", "END RequestId: 1"]
    assert all(isinstance(item.data, str) for item in out)  # type: ignore[union-attr]


def test_iter_records_cloudwatch_control_message_yields_nothing(tmp_path: Path) -> None:
    assert decode(write(tmp_path, "control", gzip.compress(orjson.dumps(CONTROL_MESSAGE)))) == []


@pytest.mark.parametrize("separator", [b"", b"\n"])
def test_iter_records_firehose_concatenated_cloudwatch_payloads(tmp_path: Path, separator: bytes) -> None:
    documents = [cloudwatch_payload(["a1", "a2"]), CONTROL_MESSAGE, cloudwatch_payload(["b1"])]
    # Firehose stores each subscription payload gzip-compressed as it arrives, one member after another.
    members = b"".join(gzip.compress(orjson.dumps(doc) + separator) for doc in documents)
    assert data_of(decode(write(tmp_path, "firehose.gz", members))) == ["a1", "a2", "b1"]


def test_iter_records_pretty_printed_cloudwatch_payloads(tmp_path: Path) -> None:
    content = b"".join(json.dumps(doc, indent=2).encode() for doc in [cloudwatch_payload(["x"]), CONTROL_MESSAGE,
                                                                       cloudwatch_payload(["y", "z"])])
    assert data_of(decode(write(tmp_path, "cwl.json", content))) == ["x", "y", "z"]


def test_iter_records_cloudwatch_unknown_message_type(tmp_path: Path) -> None:
    payload = cloudwatch_payload(["m"], message_type="SOMETHING_ELSE")
    out = decode(write(tmp_path, "odd.json", json.dumps(payload, indent=1).encode()))
    assert [err.reason for err in errors_of(out)] == ["unknown CloudWatch Logs messageType 'SOMETHING_ELSE'"]


def test_iter_records_pretty_printed_objects_one_after_another(tmp_path: Path) -> None:
    objects = [{"user": "alice", "nested": {"k": [1, 2]}}, {"user": "bob"}, {"Records": CLOUDTRAIL_EVENTS[:1]}]
    content = b"\n".join(json.dumps(obj, indent=2).encode() for obj in objects)
    out = decode(write(tmp_path, "objects.json", content))
    assert data_of(out) == [objects[0], objects[1], CLOUDTRAIL_EVENTS[0]]


def test_iter_records_json_objects_without_separators(tmp_path: Path) -> None:
    assert data_of(decode(write(tmp_path, "glued.json", b'{"a":1}{"b":2} {"c":3}'))) == [{"a": 1}, {"b": 2},
                                                                                        {"c": 3}]


def test_iter_records_invalid_json_in_an_array_stops_that_document(tmp_path: Path) -> None:
    good = [{"n": i, "pad": "q" * 100} for i in range(500)]
    head = b"[\n" + b",\n".join(orjson.dumps(e) for e in good) + b",\n"
    bad = b'{"n": 500, oops}'
    path = write(tmp_path, "bad.json", head + bad + b',\n{"n": 501}\n]\n')

    out = decode(path)

    assert data_of(out) == good
    [error] = errors_of(out)
    assert out[-1] is error and error.offset == len(good)
    match = re.match(r"invalid JSON between bytes (\d+) and (\d+): ", error.reason)
    assert match, error.reason
    position = len(head) + bad.index(b"oops")
    assert int(match[1]) <= position < int(match[2])
    assert "oops" in error.reason and "oops" in error.raw


def test_iter_records_deeply_nested_json_is_no_exception(tmp_path: Path) -> None:
    deep_object = b'{"a":' * 5000 + b"1" + b"}" * 5000
    deep_array = b"[" * 3000 + b"]" * 3000
    out = decode(write(tmp_path, "deep.json", b"[" + deep_object + b', {"ok": 1}, ' + deep_array + b"]"))
    assert [type(item) for item in out] == [RawRecord, RawRecord, DecodeError]
    assert out[1].data == {"ok": 1}  # type: ignore[union-attr]
    out = decode(write(tmp_path, "deep.ndjson", b'{"Records": [' + deep_object + b"]}\n{\"b\": 1}\n"))
    assert data_of(out)[-1] == '{"b": 1}'


def test_iter_records_json_document_cut_short(tmp_path: Path) -> None:
    out = decode(write(tmp_path, "short.json", b'[{"a": 1},\n{"b": 2},\n{"c": '))
    assert data_of(out) == [{"a": 1}, {"b": 2}]
    assert out[-1].reason.startswith("the JSON document ends at byte")  # type: ignore[union-attr]


def test_iter_records_truncated_gzip_json_array(tmp_path: Path) -> None:
    events = [{"n": i, "host": f"web-{i % 7}", "msg": f"request {i} served"} for i in range(20_000)]
    compressed = gzip.compress(json.dumps(events, indent=1).encode())
    out = decode(write(tmp_path, "cut.json.gz", compressed[: len(compressed) // 2]))
    good = data_of(out)
    assert 0 < len(good) < len(events) and good == events[: len(good)]
    assert errors_of(out) == [out[-1]] and out[-1].reason.startswith("truncated gzip stream")


def test_iter_records_json_document_over_the_limit(tmp_path: Path) -> None:
    content = json.dumps({"big": "b" * 20_000}, indent=2).encode() + json.dumps({"small": 1}, indent=2).encode()
    out = decode(write(tmp_path, "docs.json", content), max_record_bytes=8192)
    assert data_of(out) == [{"small": 1}]
    assert re.fullmatch(r"record of about \d+ bytes exceeds the 8192-byte limit", out[0].reason)  # type: ignore[union-attr]


def test_iter_records_large_json_array_streams_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "large.json"
    count = 10_000
    with path.open("wb") as f:
        f.write(b"[\n")
        for i in range(count):
            f.write(orjson.dumps({"n": i, "payload": f"{i:08d}" * 1250}))
            f.write(b",\n" if i < count - 1 else b"\n")
        f.write(b"]\n")
    size = path.stat().st_size
    assert size > 100_000_000

    tracemalloc.start()
    try:
        seen = 0
        with path.open("rb") as f:
            for item in iter_records(f):
                assert isinstance(item, RawRecord) and item.data["n"] == seen  # type: ignore[index]
                seen += 1
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert seen == count
    assert peak < size / 4, f"peak {peak} bytes for a {size}-byte file"


def test_iter_records_text_lines_opening_with_a_bracket_stay_lines():
    import io

    from onca.ingest.decode import RawRecord, iter_records

    lines = b"[JSSACCESSLOG] 2026-11-27 login\n[error] disk full\n"
    records = list(iter_records(io.BytesIO(lines)))
    assert records == [RawRecord("[JSSACCESSLOG] 2026-11-27 login", 0), RawRecord("[error] disk full", 1)]
