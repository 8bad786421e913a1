"""Decompression chosen by the stream's magic bytes, never by a file name."""

from __future__ import annotations

import bz2
import gzip
import io
import zlib
from typing import Any, BinaryIO

import zstandard

GZIP, ZSTD, BZIP2, PLAIN = "gzip", "zstd", "bzip2", "plain"

_GZIP_MAGIC = b"\x1f\x8b"
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_BZIP2_MAGIC = b"BZh"  # followed by the block size digit 1-9, which we also require: "BZh" alone could be text

# Errors a decompressing reader raises on damaged input. EOFError means the compressed data stopped early.
DECOMPRESSION_ERRORS = (EOFError, OSError, zlib.error, zstandard.ZstdError)

# zstd can expand a few bytes into 128 KiB (an RLE block), so the compressed input is fed in small pieces to keep
# the output of one step bounded (here to at most 32 MiB) whatever the input.
_ZSTD_INPUT_PIECE = 1024
_ZSTD_MIN_OUTPUT = 64 * 1024


def open_decompressed(stream: BinaryIO) -> BinaryIO:
    """The stream's content, decompressed when it starts with gzip, zstd or bzip2 magic bytes, else as is.

    Concatenated gzip members, zstd frames and bzip2 streams are all read. Reading a damaged stream raises
    EOFError when the compressed data ends early, or another of DECOMPRESSION_ERRORS when it is corrupt.
    """
    return open_detected(stream)[1]


def open_detected(stream: BinaryIO) -> tuple[str, BinaryIO]:
    """The compression format's name (GZIP, ZSTD, BZIP2 or PLAIN) and the decompressed stream."""
    head = _read_up_to(stream, 4)
    source = io.BufferedReader(_Replay(head, stream))
    fmt = sniff(head)
    if fmt == GZIP:
        return fmt, gzip.GzipFile(fileobj=source, mode="rb")  # type: ignore[return-value]
    if fmt == ZSTD:
        return fmt, io.BufferedReader(_ZstdReader(source))
    if fmt == BZIP2:
        return fmt, bz2.BZ2File(source)  # type: ignore[return-value]
    return fmt, source


def sniff(head: bytes) -> str:
    """The compression format whose magic bytes start `head` (its first four bytes suffice)."""
    if head.startswith(_GZIP_MAGIC):
        return GZIP
    if head.startswith(_ZSTD_MAGIC):
        return ZSTD
    if head.startswith(_BZIP2_MAGIC) and head[3:4].isdigit() and head[3:4] != b"0":
        return BZIP2
    return PLAIN


def _read_up_to(stream: BinaryIO, size: int) -> bytes:
    """Up to `size` bytes; pipes and sockets may hand them out a few at a time."""
    parts: list[bytes] = []
    missing = size
    while missing:
        data = stream.read(missing)
        if not data:
            break
        parts.append(data)
        missing -= len(data)
    return b"".join(parts)


class _Replay(io.RawIOBase):
    """Gives back the bytes already read for sniffing, then the rest of the stream."""

    def __init__(self, head: bytes, stream: BinaryIO) -> None:
        self._head = head
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._head:
            data, self._head = self._head[: len(buffer)], self._head[len(buffer):]
        else:
            data = self._stream.read(len(buffer)) or b""
        buffer[: len(data)] = data
        return len(data)


class _ZstdReader(io.RawIOBase):
    """Reads consecutive zstd frames and, unlike zstandard's stream_reader, notices a frame cut short."""

    def __init__(self, source: BinaryIO) -> None:
        self._source = source
        self._decompressor = zstandard.ZstdDecompressor()
        self._frame: Any = None  # the frame being decompressed, if any
        self._unused = b""  # input left over after a frame ended: the start of the next one
        self._output = memoryview(b"")
        self._done = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if not self._output:
            self._output = memoryview(self._decompress(max(len(buffer), _ZSTD_MIN_OUTPUT)))
        size = min(len(buffer), len(self._output))
        buffer[:size] = self._output[:size]
        self._output = self._output[size:]
        return size

    def _decompress(self, wanted: int) -> bytes:
        parts: list[bytes] = []
        produced = 0
        while produced < wanted and not self._done:
            if self._unused:
                data, self._unused = self._unused[:_ZSTD_INPUT_PIECE], self._unused[_ZSTD_INPUT_PIECE:]
            else:
                data = self._source.read(_ZSTD_INPUT_PIECE)
            if not data:
                self._done = True
                if self._frame is not None:
                    raise EOFError("Compressed file ended before the end-of-stream marker was reached")
                break
            if self._frame is None:
                self._frame = self._decompressor.decompressobj()
            out = self._frame.decompress(data)
            if self._frame.eof:
                self._unused = self._frame.unused_data + self._unused
                self._frame = None
            if out:
                parts.append(out)
                produced += len(out)
        return b"".join(parts)
