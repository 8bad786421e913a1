"""Run test tasks in forked worker processes, one detection at a time per worker.

Workers are forked after the content's helpers and data models are imported, so they share
that work. A test that loops is stopped by the per-test alarm inside the worker; a worker that
stops answering anyway (a loop in C code, a crash, ``os._exit``) is killed and replaced, and
only the detection it was running is reported as an error.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

from onca.detect.datamodel import DataModel
from onca.detect.kv import SQLiteKeyValueStore
from onca.detect.platform import use_kv_store
from onca.detect.testing.outcome import CaseOutcome, DetectionOutcome, Status
from onca.detect.testing.tasks import Settings, Task, run_task

# Set in the parent right before forking; workers read the tasks from here instead of a pipe.
_SHARED: tuple[Sequence[Task], Mapping[str, DataModel], Settings] | None = None

OnResult = Callable[[int, DetectionOutcome], None]


def _worker_main(conn: Connection) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops us
    assert _SHARED is not None
    tasks, data_models, settings = _SHARED
    use_kv_store(SQLiteKeyValueStore(":memory:"))
    while True:
        try:
            index = conn.recv()
        except EOFError:
            return
        if index is None:
            return
        outcome = run_task(tasks[index], data_models, settings)
        try:
            conn.send((index, outcome))
        except Exception as exc:  # noqa: BLE001 - an outcome that does not pickle must still come back as something
            conn.send((index, _crashed(tasks[index], f"the result could not be sent back: {exc}")))


def _crashed(task: Task, message: str) -> DetectionOutcome:
    outcome = task.outcome()
    outcome.status = Status.FAILED
    outcome.cases = [CaseOutcome(name=case.name, status=Status.ERROR, expected=case.expected, message=message)
                     for case in task.cases] or [CaseOutcome(name="(detection)", status=Status.ERROR, message=message)]
    return outcome


@dataclass
class _Worker:
    process: Any
    conn: Connection
    index: int | None = None
    deadline: float | None = None


def run_in_process(
    tasks: Sequence[Task], data_models: Mapping[str, DataModel], settings: Settings, on_result: OnResult | None = None
) -> list[DetectionOutcome]:
    previous = use_kv_store(SQLiteKeyValueStore(":memory:"))
    try:
        outcomes = []
        for index, task in enumerate(tasks):
            outcome = run_task(task, data_models, settings)
            if on_result:
                on_result(index, outcome)
            outcomes.append(outcome)
        return outcomes
    finally:
        use_kv_store(previous)


def run_in_workers(
    tasks: Sequence[Task],
    data_models: Mapping[str, DataModel],
    settings: Settings,
    jobs: int,
    on_result: OnResult | None = None,
) -> list[DetectionOutcome]:
    global _SHARED
    if jobs <= 0 or not tasks or "fork" not in multiprocessing.get_all_start_methods():
        # Workers must inherit the imported content; without fork, run here instead.
        return run_in_process(tasks, data_models, settings, on_result)
    context = multiprocessing.get_context("fork")
    _SHARED = (tasks, data_models, settings)
    results: list[DetectionOutcome | None] = [None] * len(tasks)
    pending = deque(range(len(tasks)))
    workers: dict[Connection, _Worker] = {}

    def start() -> None:
        parent_end, child_end = context.Pipe()
        process = context.Process(target=_worker_main, args=(child_end,), daemon=True, name="onca-test-worker")
        process.start()
        child_end.close()
        workers[parent_end] = _Worker(process, parent_end)

    def assign(worker: _Worker) -> None:
        if not pending:
            worker.index, worker.deadline = None, None
            return
        index = pending.popleft()
        worker.index = index
        limit = settings.timeout
        worker.deadline = (
            time.monotonic() + limit * (len(tasks[index].cases) + 1) + settings.grace if limit else None
        )
        worker.conn.send(index)

    def finish(index: int, outcome: DetectionOutcome) -> None:
        results[index] = outcome
        if on_result:
            on_result(index, outcome)

    def replace(worker: _Worker, message: str) -> None:
        if worker.process.is_alive():
            worker.process.kill()
        worker.process.join()
        worker.conn.close()
        del workers[worker.conn]
        if worker.index is not None:
            finish(worker.index, _crashed(tasks[worker.index], message))
        if pending:
            start()
            assign(list(workers.values())[-1])

    try:
        for _ in range(min(jobs, len(tasks))):
            start()
        for worker in list(workers.values()):
            assign(worker)
        while any(worker.index is not None for worker in workers.values()):
            ready = wait(list(workers), timeout=0.5)
            for conn in ready:
                worker = workers[conn]  # type: ignore[index]
                try:
                    index, outcome = conn.recv()  # type: ignore[union-attr]
                except (EOFError, OSError):
                    worker.process.join(1)
                    code = worker.process.exitcode
                    replace(worker, f"the worker process died (exit code {code}) while running this detection")
                    continue
                finish(index, outcome)
                assign(worker)
            now = time.monotonic()
            for worker in list(workers.values()):
                if worker.deadline is not None and now > worker.deadline:
                    replace(worker, "the worker stopped responding and was killed (a test ignored its time limit)")
    finally:
        for worker in list(workers.values()):
            try:
                worker.conn.send(None)
            except OSError:
                pass
        for worker in list(workers.values()):
            worker.process.join(timeout=2)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
            worker.conn.close()
        _SHARED = None
    return [outcome for outcome in results if outcome is not None]


def default_jobs() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
