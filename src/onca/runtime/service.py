"""The long-running ingest service: spooled payloads -> pipeline -> lake and live detection.

Requests are acknowledged by the spool (durable on disk); one processor thread ingests payloads in arrival
order. Payloads leave the spool only after the lake writer has written their events (a commit, at most every
``commit_seconds``), so nothing acknowledged is lost to a crash: after a restart the spool is read again.
Detection runs as payloads are processed, so alerts do not wait for commits.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from onca.ingest.lake_sink import LakeSink
from onca.ingest.pipeline import IngestStats, Pipeline, Source, Step
from onca.lake import LakeWriter
from onca.runtime.http_sources import HttpSource
from onca.runtime.payloads import payload_records
from onca.runtime.settings import DetectionSettings
from onca.runtime.spool import Spool, SpoolEntry
from onca.schema.registry import Registry

log = logging.getLogger(__name__)

AUDIT_SOURCE_ID = "onca-audit"


class UnknownSource(KeyError):
    def __str__(self) -> str:
        return f"no HTTP log source {self.args[0]!r}"


@dataclass
class SourceCounts:
    """What one source has sent, for metrics and the API."""

    payloads: int = 0
    bytes: int = 0
    events: dict[str, int] = field(default_factory=dict)  # by log type
    failures: int = 0
    last_received: float | None = None  # epoch seconds of the last accepted payload


class IngestService:
    def __init__(self, registry: Registry, lake_root: Path, spool_root: Path, *,
                 detection: DetectionSettings | None = None, commit_seconds: float = 5.0,
                 writer: LakeWriter | None = None, enrichment: Step | None = None):
        """``enrichment`` (onca.enrich.LookupService) fills p_enrichment before the lake and detection."""
        self.registry = registry
        self.spool = Spool(spool_root)
        self.writer = writer or LakeWriter(lake_root)
        self.commit_seconds = commit_seconds
        self.sources: dict[str, HttpSource] = {}  # reachable over HTTP
        self.internal: dict[str, Source] = {}  # written by Onca itself (the audit log, demo data)
        self.counts: dict[str, SourceCounts] = {}
        self.detection = None
        self.last_error: str | None = None
        self.processed_payloads = 0
        sinks: list[Any] = [LakeSink(registry, self.writer)]
        if detection is not None:
            # forks the detection workers: must happen before this process starts any thread
            from onca.runtime.detection_setup import open_detection_stage

            self.detection = open_detection_stage(registry, self.writer, detection)
            sinks.append(self.detection.stage)
        self.pipeline = Pipeline(registry, sinks, steps=(enrichment,) if enrichment is not None else ())
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._calls: list[tuple[Callable[[], Any], Future[Any]]] = []  # run on the ingest thread
        self._uncommitted: list[SpoolEntry] = []
        self._first_uncommitted = 0.0
        self._stopped: bool | None = None

    # Sources
    def set_sources(self, sources: Iterable[HttpSource]) -> None:
        for source in sources:
            self.add_source(source)

    def add_source(self, source: HttpSource) -> None:
        self._check_log_types(source.log_types)
        with self._lock:
            self.sources[source.integration_id] = source

    def remove_source(self, source_id: str) -> None:
        with self._lock:
            if self.sources.pop(source_id, None) is None:
                raise UnknownSource(source_id)

    def add_internal_source(self, source_id: str, log_types: tuple[str, ...], label: str) -> None:
        self._check_log_types(log_types)
        self.internal[source_id] = Source(log_types, id=source_id, label=label)

    def _check_log_types(self, log_types: Iterable[str]) -> None:
        unknown = [name for name in log_types if name not in self.registry]
        if unknown:
            raise ValueError(f"unknown log types: {', '.join(unknown)}")

    def schema_changed(self, log_type: str) -> None:
        """A log type's schema was added or replaced in the registry: sinks shape its rows anew. Payloads
        already being processed finish with the shape they started with."""
        for sink in self.pipeline.sinks:
            forget = getattr(sink, "forget", None)
            if forget is not None:
                forget(log_type)

    # Accepting data
    def accept(self, source_id: str, body: bytes) -> SpoolEntry:
        """Spool a payload for an HTTP source (already authenticated); returns once it is durable."""
        if source_id not in self.sources:
            raise UnknownSource(source_id)
        entry = self.spool.put(source_id, body)
        self._received(source_id, len(body))
        return entry

    def accept_events(self, source_id: str, events: Iterable[Mapping[str, Any]]) -> SpoolEntry | None:
        """Spool records that Onca writes itself (audit entries, demo data) as one NDJSON payload."""
        if source_id not in self.internal and source_id not in self.sources:
            raise UnknownSource(source_id)
        body = b"".join(orjson.dumps(event, default=str) + b"\n" for event in events)
        if not body:
            return None
        entry = self.spool.put(source_id, body)
        self._received(source_id, len(body))
        return entry

    def source_counts(self) -> dict[str, SourceCounts]:
        """A consistent copy of what every source has sent, for metrics and the API."""
        with self._lock:
            return {source: SourceCounts(c.payloads, c.bytes, dict(c.events), c.failures, c.last_received)
                    for source, c in self.counts.items()}

    def _received(self, source_id: str, size: int) -> None:
        with self._lock:
            counts = self.counts.setdefault(source_id, SourceCounts())
            counts.payloads += 1
            counts.bytes += size
            counts.last_received = time.time()

    # Processing
    def between_payloads(self, call: Callable[[], Any], *, timeout: float) -> Any:
        """Run ``call`` on the ingest thread between two payloads and return what it returns (or raise what
        it raised): things the pipeline uses, such as the detection engine, change only there."""
        if not self.running:
            return call()
        future: Future[Any] = Future()
        with self._lock:
            self._calls.append((call, future))
        self.spool.wake()
        return future.result(timeout)

    def _run_calls(self) -> None:
        with self._lock:
            calls, self._calls = self._calls, []
        for call, future in calls:
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(call())
                except BaseException as exc:  # noqa: BLE001 - handed to the caller
                    future.set_exception(exc)

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="onca-ingest", daemon=True)
            self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def process_pending(self, *, wait: float = 0.0) -> int:
        """Ingest what the spool holds (one batch); returns the payloads processed."""
        entries = self.spool.take(wait=wait)
        done = 0
        try:
            for entry in entries:
                self._ingest(entry)
                done += 1
                self._uncommitted.append(entry)
                if len(self._uncommitted) == 1:
                    self._first_uncommitted = time.monotonic()
        except Exception as exc:  # noqa: BLE001 - keep the service up; the payload stays spooled for a retry
            self.last_error = f"ingesting {entries[done].path.name}: {exc}"
            log.exception("ingest failed; the payload stays in the spool")
            self.spool.release(entries[done:])
            raise
        finally:
            self.processed_payloads += done
        if not entries:
            for sink in self.pipeline.sinks:  # time-driven work: correlation windows, partitions due
                sink.flush()
        return done

    def commit(self, *, force: bool = False) -> int:
        """Write buffered lake rows and drop the payloads they came from from the spool."""
        if not self._uncommitted:
            return 0
        if not force and time.monotonic() - self._first_uncommitted < self.commit_seconds:
            return 0
        self.writer.flush()
        committed, self._uncommitted = self._uncommitted, []
        self.spool.done(committed)
        return len(committed)

    def _ingest(self, entry: SpoolEntry) -> IngestStats:
        http_source = self.sources.get(entry.source_id)
        if http_source is not None:
            source = Source(tuple(http_source.log_types), id=http_source.integration_id,
                            label=http_source.integration_label)
        else:
            source = self.internal.get(entry.source_id) or Source((), id=entry.source_id, label="")
        with entry.open() as stream:
            stats = self.pipeline.ingest_records(payload_records(stream, http_source), source,
                                                 stream_name=f"http:{entry.source_id}")
        with self._lock:
            counts = self.counts.setdefault(entry.source_id, SourceCounts())
            for log_type, type_stats in stats.by_type.items():
                counts.events[log_type] = counts.events.get(log_type, 0) + type_stats.events
            counts.failures += stats.failures
        return stats

    def _run(self) -> None:
        backoff = 0.0
        while not self._stopping.is_set():
            self._run_calls()
            try:
                self.process_pending(wait=0.5)
                self.commit()
                backoff = 0.0
            except Exception:  # noqa: BLE001 - logged in process_pending; wait, then retry the payload
                backoff = min(30.0, backoff * 2 or 0.5)
                self._stopping.wait(backoff)

    def stop(self, *, delivery_timeout: float = 30.0) -> bool:
        """Ingest everything spooled, commit, finish deliveries, stop detection. True if nothing was lost
        (every payload committed, every delivery finished). Stopping twice does nothing more."""
        if self._stopped is not None:
            return self._stopped
        self._stopping.set()
        self.spool.wake()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self._run_calls()  # asked for while the thread was stopping
        clean = True
        try:
            while self.process_pending():
                pass
        except Exception:  # noqa: BLE001 - what failed stays spooled for the next start
            clean = False
        self.commit(force=True)
        if self.detection is not None:
            clean = self.detection.stage.close(timeout=delivery_timeout) and clean
        self.writer.close()
        self._stopped = clean
        return clean
