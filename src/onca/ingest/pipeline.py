"""The ingest pipeline: bytes in, normalized events and classification failures out to sinks.

decode -> classify+parse -> normalize -> steps -> sinks. A step works on each batch in place before any sink
sees it (enrichment fills p_enrichment). A sink receives events in batches per log type; the lake sink writes
them to Parquet, and later stages (detection) plug in as further sinks.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import count
from typing import Any, BinaryIO, Protocol

from onca.ingest.classify import Classified, Classifier, Skipped
from onca.ingest.decode import DecodeError, iter_records
from onca.ingest.logtype import compile_log_type
from onca.schema.registry import Registry

BATCH_SIZE = 5_000
MAX_FAILURE_RAW = 64 * 1024


class Step(Protocol):
    def apply(self, log_type: str, events: list[dict[str, Any]]) -> None: ...


class Sink(Protocol):
    def write_events(self, log_type: str, events: list[dict[str, Any]]) -> None: ...
    def write_failures(self, failures: list[dict[str, Any]]) -> None: ...
    def flush(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Source:
    """Where records come from and which log types they may be."""

    log_types: tuple[str, ...]
    id: str = ""
    label: str = ""


@dataclass(slots=True)
class TypeStats:
    events: int = 0
    bytes: int = 0
    seconds: float = 0.0


@dataclass(slots=True)
class IngestStats:
    by_type: dict[str, TypeStats] = field(default_factory=dict)
    failures: int = 0
    failure_bytes: int = 0
    skipped: int = 0  # header and comment lines
    seconds: float = 0.0

    @property
    def events(self) -> int:
        return sum(s.events for s in self.by_type.values())

    def merge(self, other: IngestStats) -> None:
        for name, s in other.by_type.items():
            mine = self.by_type.setdefault(name, TypeStats())
            mine.events += s.events
            mine.bytes += s.bytes
            mine.seconds += s.seconds
        self.failures += other.failures
        self.failure_bytes += other.failure_bytes
        self.skipped += other.skipped
        self.seconds += other.seconds


class RowIds:
    """Unique row ids without a uuid per event: a random per-process prefix and a counter."""

    def __init__(self) -> None:
        self._prefix = os.urandom(8).hex()
        self._next = count().__next__

    def __call__(self) -> str:
        return f"{self._prefix}{self._next():012x}"


class Pipeline:
    def __init__(self, registry: Registry, sinks: Sequence[Sink], *, batch_size: int = BATCH_SIZE,
                 max_batch_delay: float | None = None, steps: Sequence[Step] = ()):
        """``max_batch_delay`` (seconds) bounds how long an event waits in a partial batch: streams that
        trickle in (HTTP sources, live tails) reach detection promptly instead of when a batch fills."""
        self.registry = registry
        self.steps = tuple(steps)
        self.sinks = tuple(sinks)
        self.batch_size = batch_size
        self.max_batch_delay = max_batch_delay
        self.row_ids = RowIds()

    def classifier(self, source: Source) -> Classifier:
        # parsers keep per-stream state (csv headers), so each classifier gets its own compiled types
        return Classifier([compile_log_type(self.registry.get(name), shared=False) for name in source.log_types])

    def ingest(self, stream: BinaryIO, source: Source, *, stream_name: str = "",
               progress: Any = None) -> IngestStats:
        """Read one stream to the end; every record becomes an event or a classification failure."""
        return self.ingest_records(iter_records(stream), source, stream_name=stream_name, progress=progress)

    def ingest_records(self, records: Iterable[Any], source: Source, *, stream_name: str = "",
                       progress: Any = None) -> IngestStats:
        # A source without log types (one deleted while its payloads waited) turns every record into a failure.
        classifier = self.classifier(source) if source.log_types else None
        if classifier is not None:
            classifier.reset()
        stats = IngestStats()
        started = time.perf_counter()
        batches: dict[str, list[dict[str, Any]]] = {}
        failures: list[dict[str, Any]] = []
        parse_time = datetime.now(UTC)
        delay = self.max_batch_delay
        oldest: float | None = None  # when the oldest event waiting in a partial batch arrived
        for n, record in enumerate(records, 1):
            if delay is not None:
                now = time.monotonic()
                if oldest is None:
                    oldest = now
                elif now - oldest >= delay:
                    self._emit_all(batches)
                    oldest = now
            if n % 1024 == 0:
                parse_time = datetime.now(UTC)
                if progress is not None:
                    progress(n)
            if isinstance(record, DecodeError):
                failures.append(self._failure(record.raw, (f"decode: {record.reason}",), source, stream_name,
                                              record.offset, parse_time))
                stats.failures += 1
                stats.failure_bytes += len(record.raw)
                continue
            data = record.data
            size = len(data) if isinstance(data, str) else 0
            if classifier is None:
                raw = data if isinstance(data, str) else _json_text(data)
                failures.append(self._failure(raw, (f"source {source.id or source.label!r} has no log types",),
                                              source, stream_name, record.offset, parse_time))
                stats.failures += 1
                stats.failure_bytes += len(raw)
                if len(failures) >= self.batch_size:
                    self._emit_failures(failures)
                    failures = []
                continue
            result = classifier.classify(data, parse_time=parse_time, row_id=self.row_ids(),
                                         source_id=source.id, source_label=source.label)
            if isinstance(result, Classified):
                batch = batches.setdefault(result.log_type, [])
                batch.append(result.event)
                s = stats.by_type.get(result.log_type)
                if s is None:
                    s = stats.by_type[result.log_type] = TypeStats()
                s.events += 1
                s.bytes += size
                if len(batch) >= self.batch_size:
                    self._emit(result.log_type, batch)
                    batches[result.log_type] = []
            elif isinstance(result, Skipped):
                stats.skipped += 1
            else:
                raw = data if isinstance(data, str) else _json_text(data)
                failures.append(self._failure(raw, result.reasons, source, stream_name, record.offset,
                                              parse_time))
                stats.failures += 1
                stats.failure_bytes += len(raw)
            if len(failures) >= self.batch_size:
                self._emit_failures(failures)
                failures = []
        self._emit_all(batches)
        if failures:
            self._emit_failures(failures)
        for sink in self.sinks:
            sink.flush()
        stats.seconds = time.perf_counter() - started
        total = stats.events or 1
        for s in stats.by_type.values():  # time is shared; attribute it by share of events
            s.seconds = stats.seconds * s.events / total
        return stats

    def _emit_all(self, batches: dict[str, list[dict[str, Any]]]) -> None:
        for log_type, batch in batches.items():
            if batch:
                self._emit(log_type, batch)
        batches.clear()

    def _emit(self, log_type: str, events: list[dict[str, Any]]) -> None:
        for step in self.steps:
            step.apply(log_type, events)
        for sink in self.sinks:
            sink.write_events(log_type, events)

    def _emit_failures(self, failures: list[dict[str, Any]]) -> None:
        for sink in self.sinks:
            sink.write_failures(failures)

    def _failure(self, raw: str, reasons: tuple[str, ...], source: Source, stream_name: str, offset: int,
                 parse_time: datetime) -> dict[str, Any]:
        return {
            "p_row_id": self.row_ids(),
            "p_source_id": source.id,
            "p_source_label": source.label,
            "p_parse_time": parse_time,
            "p_event_time": parse_time,
            "stream": stream_name,
            "offset": offset,
            "raw": raw[:MAX_FAILURE_RAW],
            "raw_truncated": len(raw) > MAX_FAILURE_RAW,
            "candidates": list(source.log_types),
            "reasons": list(reasons),
        }


def _json_text(value: Any) -> str:
    import orjson

    return orjson.dumps(value, default=str).decode()
