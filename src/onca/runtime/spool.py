"""A durable on-disk queue of payloads between the HTTP sources and the ingest pipeline.

A payload is acknowledged once ``put`` returns: its bytes are in a file that was fsynced and renamed into
``pending/`` (a rename is atomic, so a crash leaves either the whole payload or nothing). The processor takes
the oldest payloads, ingests them and calls ``done`` once their events are durable in the lake; a payload taken
but not done is taken again after a restart, so delivery into the lake is at least once.

File names sort by arrival: ``<ns since epoch>-<seq>-<source id>.payload``, the source id being url-safe.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import count
from pathlib import Path

_SUFFIX = ".payload"
_SAFE_ID = re.compile(r"^[A-Za-z0-9_.\-]{1,128}$")


class SpoolError(OSError):
    """The spool could not store a payload (disk full, permissions): the sender must retry."""


@dataclass(frozen=True, slots=True)
class SpoolEntry:
    path: Path
    source_id: str
    size: int

    def open(self):  # noqa: ANN201 - a binary file object
        return self.path.open("rb")


def check_source_id(source_id: str) -> str:
    if not _SAFE_ID.match(source_id):
        raise ValueError(f"source id {source_id!r} must be 1-128 letters, digits, '.', '_' or '-'")
    return source_id


class Spool:
    def __init__(self, root: Path):
        self.root = Path(root)
        self.pending = self.root / "pending"
        self.incoming = self.root / "incoming"
        self.pending.mkdir(parents=True, exist_ok=True)
        self.incoming.mkdir(parents=True, exist_ok=True)
        for stale in self.incoming.iterdir():  # half-written before a crash: never acknowledged
            stale.unlink(missing_ok=True)
        self._seq = count().__next__
        self._ready = threading.Condition()
        self._taken: set[Path] = set()

    def put(self, source_id: str, chunks: bytes | Iterator[bytes]) -> SpoolEntry:
        """Store one payload durably; returns once it would survive a crash."""
        check_source_id(source_id)
        name = f"{time.time_ns():020d}-{self._seq():08d}-{source_id}{_SUFFIX}"
        temporary = self.incoming / name
        size = 0
        try:
            with temporary.open("wb") as out:
                for chunk in [chunks] if isinstance(chunks, bytes | bytearray) else chunks:
                    out.write(chunk)
                    size += len(chunk)
                out.flush()
                os.fsync(out.fileno())
            final = self.pending / name
            os.replace(temporary, final)
            _fsync_dir(self.pending)
        except OSError as exc:
            with contextlib.suppress(OSError):
                temporary.unlink(missing_ok=True)
            raise SpoolError(exc.errno or 0, f"cannot spool a payload for {source_id}: {exc.strerror or exc}")
        with self._ready:
            self._ready.notify_all()
        return SpoolEntry(final, source_id, size)

    def take(self, *, max_entries: int = 256, max_bytes: int = 64 << 20, wait: float = 0.0) -> list[SpoolEntry]:
        """The oldest payloads not yet taken (at least one if any is waiting, however large), waiting up to
        ``wait`` seconds for one to arrive."""
        deadline = time.monotonic() + wait
        with self._ready:
            while True:
                entries = self._oldest(max_entries, max_bytes)
                remaining = deadline - time.monotonic()
                if entries or remaining <= 0:
                    self._taken.update(entry.path for entry in entries)
                    return entries
                self._ready.wait(remaining)

    def done(self, entries: list[SpoolEntry]) -> None:
        """Forget payloads whose events are durable downstream."""
        for entry in entries:
            entry.path.unlink(missing_ok=True)
            with self._ready:
                self._taken.discard(entry.path)
        if entries:
            _fsync_dir(self.pending)

    def release(self, entries: list[SpoolEntry]) -> None:
        """Give payloads back untouched, to be taken again."""
        with self._ready:
            self._taken.difference_update(entry.path for entry in entries)
            self._ready.notify_all()

    def depth(self) -> tuple[int, int]:
        """(payloads, bytes) waiting or being processed."""
        files = list(self.pending.glob(f"*{_SUFFIX}"))
        total = 0
        for path in files:
            try:
                total += path.stat().st_size
            except FileNotFoundError:
                continue
        return len(files), total

    def wake(self) -> None:
        with self._ready:
            self._ready.notify_all()

    def _oldest(self, max_entries: int, max_bytes: int) -> list[SpoolEntry]:
        entries: list[SpoolEntry] = []
        total = 0
        for path in sorted(self.pending.glob(f"*{_SUFFIX}")):
            if path in self._taken:
                continue
            try:
                size = path.stat().st_size
            except FileNotFoundError:
                continue
            if entries and (len(entries) >= max_entries or total + size > max_bytes):
                break
            entries.append(SpoolEntry(path, _source_of(path), size))
            total += size
        return entries


def _source_of(path: Path) -> str:
    return path.name.removesuffix(_SUFFIX).split("-", 2)[2]


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
