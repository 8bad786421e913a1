"""Decoding: a byte stream (a file, stdin, an HTTP body) into records.

Compression is told by magic bytes (gzip, zstd, bzip2); the content is newline-delimited text or JSON
(arrays, {"Records": [...]} envelopes, CloudWatch Logs payloads), streamed so that memory follows the largest
record rather than the stream. Bad input becomes a DecodeError in the stream and never stops it.
"""

from onca.ingest.decode.compression import open_decompressed
from onca.ingest.decode.records import DecodeError, RawRecord
from onca.ingest.decode.stream import DEFAULT_MAX_RECORD_BYTES, iter_records

__all__ = ["DEFAULT_MAX_RECORD_BYTES", "DecodeError", "RawRecord", "iter_records", "open_decompressed"]
