"""Ingesting many files side by side: worker processes, each with its own pipeline and lake writer.

Files are independent (classification state is per stream), so a worker takes the next file from a shared queue
and runs the same pipeline a single process would. Each worker keeps its lake writer open across its files, so
small files still add up to full-sized Parquet files; it writes what it holds when the queue runs dry. The
largest files are handed out first, which keeps the last worker from finishing long after the others.
"""

from __future__ import annotations

import multiprocessing
import queue
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from onca.ingest.pipeline import IngestStats, Source
from onca.schema.registry import Registry

_POLL_SECONDS = 0.5  # how often the parent checks that every worker is still alive
_CLOSE_SECONDS = 30.0  # how long a worker may take to write what it holds once the files are done


@dataclass(slots=True)
class ParallelResult:
    stats: IngestStats
    errors: list[str] = field(default_factory=list)  # one line per file or worker that failed


def _worker(number: int, registry: Registry, lake: Path, tasks: Any, results: Any) -> None:
    from onca.ingest.lake_sink import LakeSink
    from onca.ingest.pipeline import Pipeline
    from onca.lake import LakeWriter
    from onca.runtime.collector import tune_garbage_collector

    tune_garbage_collector()
    writer = LakeWriter(lake)
    pipeline = Pipeline(registry, [LakeSink(registry, writer)])
    try:
        while (task := tasks.get()) is not None:
            index, path, source = task
            results.put(("start", number, index, None, None))
            try:
                with Path(path).open("rb") as stream:
                    stats = pipeline.ingest(stream, source, stream_name=str(path))
            except Exception as exc:  # an unreadable file; the worker goes on with the next one
                results.put(("file", number, index, None, f"{path}: {exc}"))
            else:
                results.put(("file", number, index, stats, None))
    except KeyboardInterrupt:  # Ctrl-C reaches every worker: stop taking files, keep what was read
        pass
    try:
        writer.close()
    except Exception as exc:
        results.put(("closed", number, None, None, f"writing the lake failed: {exc}"))
    else:
        results.put(("closed", number, None, None, None))


def ingest_files(registry: Registry, files: Sequence[tuple[Path, Source]], lake: Path, jobs: int, *,
                 on_file: Callable[[Path, IngestStats | None], None] | None = None) -> ParallelResult:
    """Ingest `files` with `jobs` worker processes; `on_file` is called in this process as each one finishes.

    A file that cannot be read, or a worker that dies, is reported in the result's errors; the other files and
    workers carry on."""
    context = multiprocessing.get_context("spawn")  # no inherited threads or open handles in the workers
    tasks, results = context.Queue(), context.Queue()
    for index in sorted(range(len(files)), key=lambda i: -_size(files[i][0])):
        path, source = files[index]
        tasks.put((index, str(path), source))
    jobs = max(1, min(jobs, len(files)))
    for _ in range(jobs):
        tasks.put(None)
    workers = [context.Process(target=_worker, args=(n, registry, lake, tasks, results), daemon=True)
               for n in range(jobs)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    total, errors = IngestStats(), []
    current: dict[int, int] = {}  # worker -> the file it is on
    finished: set[int] = set()  # workers that closed their writer, or died

    def handle(message: tuple) -> None:
        kind, number, index, stats, error = message
        if kind == "start":
            current[number] = index
        elif kind == "file":
            current.pop(number, None)
            if stats is not None:
                total.merge(stats)
            if on_file is not None:
                on_file(files[index][0], stats)
        else:
            finished.add(number)
        if error:
            errors.append(error)

    try:
        while len(finished) < jobs:
            try:
                handle(results.get(timeout=_POLL_SECONDS))
            except queue.Empty:
                for number, worker in enumerate(workers):
                    if number not in finished and worker.exitcode not in (None, 0):
                        finished.add(number)
                        lost = current.pop(number, None)
                        during = f" while ingesting {files[lost][0]}" if lost is not None else ""
                        errors.append(f"worker {number + 1} stopped unexpectedly (exit code {worker.exitcode})"
                                      f"{during}; the events it held were not written")
    finally:
        for worker in workers:
            worker.join(timeout=_CLOSE_SECONDS)
            if worker.is_alive():
                worker.terminate()
        for q in (tasks, results):  # what dead workers left unread must not hold this process at exit
            q.cancel_join_thread()
            q.close()
    _share_wall_time(total, time.perf_counter() - started)
    return ParallelResult(total, errors)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:  # gone or unreadable: its worker reports that
        return 0


def _share_wall_time(stats: IngestStats, seconds: float) -> None:
    """Report elapsed time, not the sum of the workers' times: each type gets its share by events."""
    stats.seconds = seconds
    events = stats.events or 1
    for s in stats.by_type.values():
        s.seconds = seconds * s.events / events
