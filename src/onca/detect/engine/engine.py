"""The streaming detection engine: events of one log type in, findings out, in event order."""

from __future__ import annotations

import logging
import multiprocessing
import shutil
import tempfile
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from onca.detect.engine.alarm import Alarm
from onca.detect.engine.content import EngineContent, load_engine_content
from onca.detect.engine.evaluate import COUNTER_FIELDS, HEARTBEAT_FIELDS, Evaluator, LogTypeRules
from onca.detect.engine.metrics import DetectionMetrics
from onca.detect.engine.options import EngineOptions
from onca.detect.engine.outcomes import failure_finding, with_event
from onca.detect.engine.pool import Batch, Sink, WorkerPool
from onca.detect.engine.render import decode_events, encode_events, event_time
from onca.detect.engine.shared import SharedDoubles
from onca.detect.engine.workers import EngineError, Template, WorkerSetup, Zygote, worker_main
from onca.detect.findings import Finding
from onca.detect.kv import KeyValueStore, default_kv_path, open_kv_store
from onca.detect.platform import use_kv_store

log = logging.getLogger(__name__)

RELOAD_TIMEOUT_SECONDS = 600.0  # loading a large content tree, module by module

# (event index in the call, rule position, arrival order) -> finding
_Keyed = tuple[int, int, int, Finding]


def _now() -> datetime:
    return datetime.now(UTC)


def rule_index_class() -> Any:
    """onca.detect.index.RuleIndex when that module is available, else None."""
    try:
        from onca.detect.index import RuleIndex  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    return RuleIndex


def prepare_rules(content: EngineContent, use_index: bool) -> dict[str, LogTypeRules]:
    """The rules of each log type as evaluators use them, with the rule index when asked for."""
    index_class = rule_index_class() if use_index else None
    numbers = {id(detection): number for number, detection in enumerate(content.detections)}
    prepared = {}
    for log_type, detections in content.by_log_type.items():
        index = None
        if index_class is not None:
            try:
                index = index_class(detections)
            except Exception as exc:  # noqa: BLE001 - without an index every rule runs: slower, same verdicts
                log.warning("cannot index the rules of %s (%s); every rule will run", log_type, exc)
        infos = [content.info[d.id] for d in detections]
        prepared[log_type] = LogTypeRules(
            log_type,
            detections,
            infos,
            content.data_models.get(log_type),
            index,
            [numbers[id(d)] for d in detections],
        )
    return prepared


@dataclass(frozen=True)
class _ReloadRequest:
    """What a new zygote needs to build workers for content it loads itself (pickled to the template)."""

    paths: tuple[str, ...]
    use_index: bool
    kv_url: str
    timeout: float | None
    destinations: Mapping[str, str] | None
    counters_per_slot: int
    workers: int


def _zygote_builder(heartbeat: Any) -> Callable[[_ReloadRequest, int], tuple[Callable[..., None], list[str]]]:
    def build(request: _ReloadRequest, fd: int) -> tuple[Callable[..., None], list[str]]:
        content = load_engine_content(request.paths)
        ids = [detection.id for detection in content.detections]
        if len(ids) * COUNTER_FIELDS != request.counters_per_slot:
            expected = request.counters_per_slot // COUNTER_FIELDS
            raise EngineError(f"{len(ids)} rules loaded, the engine expected {expected}")
        counters = SharedDoubles(request.workers * request.counters_per_slot, fd)
        setup = WorkerSetup(prepare_rules(content, request.use_index), request.kv_url, request.timeout,
                            request.destinations, heartbeat, counters.view, request.counters_per_slot)
        return (lambda conn, slot: worker_main(conn, slot, setup)), ids

    return build


class Engine:
    """Runs the rules of ``content`` over batches of normalized events.

    With ``workers`` > 0 detection code runs in forked worker processes: create the engine before the
    process starts threads. Use it from one thread; ``close()`` stops the workers.
    """

    def __init__(
        self,
        content: EngineContent,
        options: EngineOptions | None = None,
        *,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self.content = content
        self.options = options = options or EngineOptions()
        self.clock = clock
        self.skipped_events = 0  # events that were not mappings
        # Matches, errors and timeouts are counted here from findings; events and CPU seconds by whoever runs
        # the rules, in ``_counters`` (shared memory with workers).
        self._metrics: dict[str, DetectionMetrics] = {d.id: DetectionMetrics() for d in content.detections}
        self._rules = prepare_rules(content, options.use_index)
        self._counters: Any = [0.0] * (len(content.detections) * COUNTER_FIELDS)
        self._resources = _Resources()  # what close() releases; kept apart so a finalizer can hold it
        self.kv_url = options.kv_url or self._temporary_kv_url()
        self._store: KeyValueStore | None = None
        self._pool: WorkerPool | None = None
        self._zygote: Zygote | None = None
        self._heartbeat: Any = None
        self._batch_ids = 0
        self._closed = False
        self._finalizer = weakref.finalize(self, _shut_down, self._resources)
        try:
            open_kv_store(self.kv_url).close()  # a bad URL is the caller's error, said now
            if options.workers > 0:
                self._start_workers()
            else:
                self._store = self._resources.store = open_kv_store(self.kv_url)
        except BaseException:
            self.close()
            raise

    # Setup
    def _temporary_kv_url(self) -> str:
        self._resources.tempdir = Path(tempfile.mkdtemp(prefix="onca-detection-kv-"))
        return f"sqlite:///{default_kv_path(self._resources.tempdir)}"

    def _start_workers(self) -> None:
        if "fork" not in multiprocessing.get_all_start_methods():
            raise EngineError("detection workers need fork(); use workers=0 on this platform")
        workers = self.options.workers
        self._heartbeat = multiprocessing.RawArray("d", workers * HEARTBEAT_FIELDS)
        if self.options.reloadable:  # forked first, while this process is as simple as it gets
            self._resources.template = Template(_zygote_builder(self._heartbeat))
        per_slot = len(self.content.detections) * COUNTER_FIELDS
        shared = self._resources.counters = SharedDoubles(workers * per_slot)
        self._counters = shared.view
        setup = WorkerSetup(
            self._rules,
            self.kv_url,
            self.options.time_limit,
            self.options.destinations,
            self._heartbeat,
            shared.view,
            per_slot,
        )
        self._zygote = self._resources.zygote = Zygote(lambda conn, slot: worker_main(conn, slot, setup))
        self._pool = self._resources.pool = self._new_pool(self._zygote)

    def _new_pool(self, zygote: Zygote) -> WorkerPool:
        return WorkerPool(
            self.options.workers,
            zygote,
            self._heartbeat,
            kill_after=self.options.kill_after,
            max_crashes=self.options.max_crashes,
        )

    def reload(self, paths: Sequence[str | Path]) -> EngineContent:
        """Evaluate the rules under ``paths`` from now on; returns what was loaded (problems included).

        Metrics of rules that stay are kept. With workers, new ones are forked from a zygote that loaded
        the content itself (so the engine needs ``reloadable``); the current workers serve until the new
        ones are ready, and stay if they cannot start (EngineError).
        """
        if self._closed:
            raise EngineError("the detection engine is closed")
        paths = tuple(str(path) for path in paths)
        if self._pool is None:
            content = load_engine_content(paths)
            self._swap(content, prepare_rules(content, self.options.use_index), None)
            return content
        template = self._resources.template
        if template is None:
            raise EngineError("this engine cannot reload content: it was not started reloadable")
        return self._reload_workers(template, paths)

    def _reload_workers(self, template: Template, paths: tuple[str, ...]) -> EngineContent:
        options = self.options
        content = load_engine_content(paths)
        per_slot = len(content.detections) * COUNTER_FIELDS
        shared = SharedDoubles(options.workers * per_slot)
        request = _ReloadRequest(paths, options.use_index, self.kv_url, options.time_limit, options.destinations,
                                 per_slot, options.workers)
        try:
            zygote, ids = template.zygote(request, shared.fd, timeout=RELOAD_TIMEOUT_SECONDS)
        except EngineError:
            shared.close()
            raise
        if ids != [detection.id for detection in content.detections]:
            zygote.close()
            shared.close()
            raise EngineError("the workers loaded other rules than the engine did (did the content change "
                              "while it loaded?)")
        old_pool, old_zygote = self._pool, self._zygote
        assert old_pool is not None and old_zygote is not None
        old_pool.close()  # the heartbeat slots are the new workers' now
        try:
            pool = self._new_pool(zygote)
        except EngineError:
            zygote.close()
            shared.close()
            self._pool = self._resources.pool = self._new_pool(old_zygote)
            raise
        old_zygote.close()
        self._swap(content, prepare_rules(content, options.use_index), shared.view)
        old_counters, self._resources.counters = self._resources.counters, shared
        self._pool, self._zygote = self._resources.pool, self._resources.zygote = pool, zygote
        if old_counters is not None:
            old_counters.close()
        return content

    def _swap(self, content: EngineContent, rules: dict[str, LogTypeRules], counters: Any | None) -> None:
        """``counters``: the new workers' shared block; None counts in this process."""
        totals = self.metrics()  # counted so far, carried over for the rules that stay
        self.content = content
        self._rules = rules
        self._metrics = {d.id: totals.get(d.id, DetectionMetrics()).copy() for d in content.detections}
        self._counters = counters if counters is not None else [0.0] * (len(content.detections) * COUNTER_FIELDS)

    # Public surface
    @property
    def log_types(self) -> list[str]:
        return sorted(self._rules)

    @property
    def worker_restarts(self) -> int:
        return self._pool.restarts if self._pool is not None else 0

    def rules_for(self, log_type: str) -> list[str]:
        rules = self._rules.get(log_type)
        return [d.id for d in rules.detections] if rules is not None else []

    def evaluate(self, log_type: str, events: Sequence[Mapping[str, Any]]) -> list[Finding]:
        """Findings of every rule of ``log_type`` over ``events``: in event order, then content order."""
        if self._closed:
            raise EngineError("the detection engine is closed")
        rules = self._rules.get(log_type)
        if rules is None or not events:
            return []
        kept = self._mappings(log_type, events)
        if not kept:
            return []
        originals = [events[i] for i in kept]
        collector = _Collector(rules, self._metrics)
        if self._pool is not None:
            self._pool.run(self._batches(log_type, originals), collector)
        else:
            self._evaluate_here(log_type, originals, collector)
        now = self.clock()
        times: dict[int, datetime] = {}
        findings = []
        for index, _, _, finding in sorted(collector.found, key=lambda item: item[:3]):
            when = times.get(index)
            if when is None:
                when = times[index] = event_time(originals[index], now)
            findings.append(with_event(finding, originals[index], when))
        return findings

    def metrics(self) -> dict[str, DetectionMetrics]:
        """Counts since the engine started, per detection id."""
        counters = self._counters.tolist() if isinstance(self._counters, memoryview) else list(self._counters)
        per_slot = len(self.content.detections) * COUNTER_FIELDS
        result = {}
        for number, detection in enumerate(self.content.detections):
            metrics = self._metrics[detection.id].copy()
            for at in range(number * COUNTER_FIELDS, len(counters), per_slot or 1):
                metrics.events += int(counters[at])
                metrics.seconds += counters[at + 1]
            result[detection.id] = metrics
        return result

    def close(self) -> None:
        """Stop the workers and remove the temporary store, if any. Also done when the engine is collected
        or the interpreter exits."""
        self._closed = True
        self._finalizer()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # Evaluation
    def _mappings(self, log_type: str, events: Sequence[Any]) -> list[int]:
        kept = []
        for index, event in enumerate(events):
            if isinstance(event, Mapping):
                kept.append(index)
            else:
                self.skipped_events += 1
                log.warning(
                    "%s event %d skipped: an event must be an object (a mapping), got %s",
                    log_type,
                    index,
                    type(event).__name__,
                )
        return kept

    def _batches(self, log_type: str, events: list[Mapping[str, Any]]) -> list[Batch]:
        workers = max(1, self.options.workers)
        size = max(1, min(self.options.batch_size, -(-len(events) // workers)))
        crashes: dict[int, int] = {}
        skip: set[int] = set()
        batches = []
        for offset in range(0, len(events), size):
            self._batch_ids += 1
            batches.append(
                Batch(
                    self._batch_ids,
                    log_type,
                    encode_events(events[offset : offset + size]),
                    offset,
                    crashes=crashes,
                    skip=skip,
                )
            )
        return batches

    def _evaluate_here(self, log_type: str, events: list[Mapping[str, Any]], collector: _Collector) -> None:
        batch = Batch(0, log_type, b"", 0)
        alarm = Alarm(self.options.time_limit)
        evaluator = Evaluator(
            self._rules, self._counters, alarm=alarm, destinations=self.options.destinations
        )
        previous = use_kv_store(self._store)
        try:
            evaluator.run(
                log_type,
                decode_events(encode_events(events)),
                lambda index, position, finding, timed_out: collector.finding(
                    batch, index, position, finding, timed_out
                ),
            )
        finally:
            use_kv_store(previous)


@dataclass
class _Resources:
    pool: WorkerPool | None = None
    zygote: Zygote | None = None
    template: Template | None = None
    counters: SharedDoubles | None = None
    store: KeyValueStore | None = None
    tempdir: Path | None = None


def _shut_down(resources: _Resources) -> None:
    if resources.pool is not None:
        resources.pool.close()
    if resources.zygote is not None:
        resources.zygote.close()
    if resources.template is not None:
        resources.template.close()
    if resources.store is not None:
        resources.store.close()
    if resources.tempdir is not None:
        shutil.rmtree(resources.tempdir, ignore_errors=True)


class _Collector(Sink):
    """Gathers one evaluate() call's findings and counts them into the engine's metrics."""

    def __init__(self, rules: LogTypeRules, metrics: dict[str, DetectionMetrics]) -> None:
        self.rules = rules
        self.metrics = metrics
        self.found: list[_Keyed] = []

    def _metrics_at(self, position: int) -> DetectionMetrics:
        return self.metrics[self.rules.detections[position].id]

    def finding(self, batch: Batch, index: int, position: int, finding: Finding, timed_out: bool) -> None:
        self.found.append((batch.offset + index, position, len(self.found), finding))
        metrics = self._metrics_at(position)
        if finding.kind == "error":
            metrics.errors += 1
            metrics.timeouts += timed_out
        else:
            metrics.matches += 1

    def failure(self, batch: Batch, index: int, position: int, message: str, timed_out: bool) -> None:
        info = self.rules.infos[position]
        self.finding(batch, index, position, failure_finding(info, self.rules.log_type, message), timed_out)
        self._metrics_at(position).events += 1
