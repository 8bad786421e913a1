"""Reading the decompressed bytes in chunks, turning a read failure into a reason instead of an exception."""

from __future__ import annotations

from typing import BinaryIO

from onca.ingest.decode.compression import DECOMPRESSION_ERRORS, PLAIN


class ByteSource:
    """Chunks of the decompressed stream. A failed read ends it; `failure` then says why."""

    def __init__(self, stream: BinaryIO, fmt: str) -> None:
        self._read = getattr(stream, "read1", None) or stream.read  # read1: what is ready, without waiting for more
        self._fmt = fmt
        self._pushed = b""  # bytes handed back by unread(), served first from _pushed_at on
        self._pushed_at = 0
        self.failure: str | None = None
        self.position = 0  # bytes handed out so far

    def read(self, size: int) -> bytes:
        """Up to `size` bytes (fewer when that is what is ready), or b"" at the end or after a failure."""
        if self._pushed:
            data = self._pushed[self._pushed_at: self._pushed_at + size]  # copies only the piece handed out
            self._pushed_at += len(data)
            if self._pushed_at >= len(self._pushed):
                self._pushed, self._pushed_at = b"", 0
        elif self.failure is not None:
            return b""
        else:
            try:
                data = self._read(size)
            except DECOMPRESSION_ERRORS as exc:
                self.failure = self._describe(exc)
                return b""
        self.position += len(data)
        return data

    def unread(self, data: bytes) -> None:
        """Give bytes back, to be read again before anything else."""
        if data:
            self._pushed = bytes(data) + self._pushed[self._pushed_at:]
            self._pushed_at = 0
            self.position -= len(data)

    def _describe(self, exc: BaseException) -> str:
        if isinstance(exc, EOFError):
            return f"truncated {self._fmt} stream: the data ends before the {self._fmt} end-of-stream marker"
        detail = str(exc) or type(exc).__name__
        if self._fmt == PLAIN or (isinstance(exc, OSError) and exc.errno is not None):  # errno: the I/O failed
            return f"read error: {detail}"
        return f"corrupt {self._fmt} stream: {detail}"
