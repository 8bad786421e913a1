"""Batches of events spread over worker processes, surviving workers that hang or die.

A worker announces each run (task, event, rule position) on its heartbeat slot before starting it and
clears it afterwards, and sends each finding as soon as it has it. So when a worker dies (``os._exit``,
a segfault, the kernel's OOM killer) or is killed for running past its time limit, the engine knows
which rule on which event was running: that run becomes the rule's error finding, and the batch goes on
in a fresh worker right after it. Nothing is evaluated twice, and no other rule is blamed.
"""

from __future__ import annotations

import logging
import signal
import time
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any

from onca.detect.engine.evaluate import HEARTBEAT_FIELDS
from onca.detect.engine.workers import EngineError, Zygote
from onca.detect.findings import Finding

log = logging.getLogger(__name__)

POLL_SECONDS = 0.2


@dataclass
class Batch:
    """A slice of one evaluate() call's events; ``offset`` is its first event's index in the call."""

    id: int
    log_type: str
    encoded: bytes
    offset: int
    start: tuple[int, int] = (0, -1)  # (event, last rule position done): where to go on from
    # Shared by the batches of one evaluate() call: rule position -> crashes, and the positions skipped
    # for the rest of the call after crashing too often.
    crashes: dict[int, int] = field(default_factory=dict)
    skip: set[int] = field(default_factory=set)

    def message(self) -> tuple[Any, ...]:
        return (self.id, self.log_type, self.encoded, self.start, frozenset(self.skip))


@dataclass
class _Worker:
    slot: int
    pid: int
    conn: Connection
    batch: Batch | None = None


class Sink:
    """What the pool reports to (the engine)."""

    def finding(self, batch: Batch, index: int, position: int, finding: Finding, timed_out: bool) -> None: ...

    def failure(self, batch: Batch, index: int, position: int, message: str, timed_out: bool) -> None:
        """A run that took its worker down (or was stopped by killing it)."""


class WorkerPool:
    def __init__(
        self, size: int, zygote: Zygote, heartbeat: Any, *, kill_after: float | None, max_crashes: int
    ) -> None:
        self.zygote = zygote
        self.heartbeat = heartbeat
        self.kill_after = kill_after
        self.max_crashes = max_crashes
        self.restarts = 0
        self.workers: list[_Worker] = []
        try:
            for slot in range(size):
                self.workers.append(self._start(slot))
        except EngineError:
            self.close()
            raise

    def _start(self, slot: int) -> _Worker:
        base = slot * HEARTBEAT_FIELDS
        for offset in range(HEARTBEAT_FIELDS):
            self.heartbeat[base + offset] = -1.0 if offset < 3 else 0.0
        pid, conn = self.zygote.spawn(slot)
        return _Worker(slot, pid, conn)

    def run(self, batches: list[Batch], sink: Sink) -> None:
        """Evaluate every batch; returns when each is done (its findings went to ``sink``)."""
        pending = deque(batches)
        while True:
            for worker in self.workers:
                if worker.batch is None and pending:
                    self._assign(worker, pending, sink)
            if not any(worker.batch is not None for worker in self.workers):
                break
            busy = {worker.conn: worker for worker in self.workers if worker.batch is not None}
            for conn in wait(list(busy), timeout=POLL_SECONDS):
                worker = busy[conn]  # type: ignore[index]
                if worker.batch is None:
                    continue  # replaced while handling another connection
                try:
                    message = worker.conn.recv()
                except (EOFError, OSError):
                    self._lost(worker, pending, sink, stopped=False)
                    continue
                self._handle(worker, message, sink)
            self._check_stuck(pending, sink)

    def _handle(self, worker: _Worker, message: tuple[Any, ...], sink: Sink) -> None:
        batch = worker.batch
        assert batch is not None
        kind = message[0]
        if kind == "finding" and message[1] == batch.id:
            sink.finding(batch, message[2], message[3], message[4], message[5])
        elif kind == "done" and message[1] == batch.id:
            if message[2]:
                log.error("detection batch of %s: %s", batch.log_type, message[2])
            worker.batch = None

    def _assign(self, worker: _Worker, pending: deque[Batch], sink: Sink) -> None:
        while pending:
            batch = pending.popleft()
            worker.batch = batch
            try:
                worker.conn.send(batch.message())
                return
            except (OSError, ValueError):  # the worker died while idle: replace it, send again
                self._lost(worker, pending, sink, stopped=False, requeue=False)
                worker = self.workers[worker.slot]
                pending.appendleft(batch)
        worker.batch = None

    def _check_stuck(self, pending: deque[Batch], sink: Sink) -> None:
        if self.kill_after is None:
            return
        now = time.monotonic()
        for worker in list(self.workers):
            started = self.heartbeat[worker.slot * HEARTBEAT_FIELDS + 3]
            if worker.batch is not None and started > 0 and now - started > self.kill_after:
                self._lost(worker, pending, sink, stopped=True)

    def _lost(
        self, worker: _Worker, pending: deque[Batch], sink: Sink, *, stopped: bool, requeue: bool = True
    ) -> None:
        """The worker died (or is being stopped): record the run it was in, resume its batch in a new one."""
        code = self.zygote.kill(worker.pid)
        batch = worker.batch
        if batch is not None:
            self._drain(worker, batch, sink)
        worker.conn.close()
        base = worker.slot * HEARTBEAT_FIELDS
        task, index, position, started = (self.heartbeat[base + i] for i in range(HEARTBEAT_FIELDS))
        self.restarts += 1
        self.workers[worker.slot] = self._start(worker.slot)
        if batch is None or not requeue:
            return
        if task != batch.id:  # it died before running anything of this batch: start it again
            pending.appendleft(batch)
            return
        index, position = int(index), int(position)
        if started > 0:
            self._blame(batch, index, position, code, stopped, sink)
        batch.start = (index, position)
        pending.appendleft(batch)

    def _blame(
        self, batch: Batch, index: int, position: int, code: int | None, stopped: bool, sink: Sink
    ) -> None:
        if stopped:
            message = f"timed out after {self.kill_after:g}s (its worker was stopped)"
        else:
            message = f"the rule ended its worker process ({_exit_text(code)})"
        crashes = batch.crashes[position] = batch.crashes.get(position, 0) + 1
        if crashes >= self.max_crashes:
            batch.skip.add(position)
            message += f"; after {crashes} such failures it is skipped for the rest of these events"
        sink.failure(batch, index, position, message, stopped)

    def _drain(self, worker: _Worker, batch: Batch, sink: Sink) -> None:
        """Findings the worker sent before it went are still in the socket: keep them."""
        try:
            while worker.conn.poll(0):
                message = worker.conn.recv()
                if message[0] == "finding" and message[1] == batch.id:
                    sink.finding(batch, message[2], message[3], message[4], message[5])
        except (EOFError, OSError):
            pass

    def close(self, timeout: float = 5.0) -> None:
        for worker in self.workers:
            try:
                worker.conn.send(None)
            except (OSError, ValueError):
                pass
        deadline = time.monotonic() + timeout
        for worker in self.workers:
            try:  # a worker that exits closes its end: wait for that, then reap it
                worker.conn.poll(max(0.0, deadline - time.monotonic()))
            except (OSError, ValueError):
                pass
            self.zygote.kill(worker.pid)
            worker.conn.close()
        self.workers = []


def _exit_text(code: int | None) -> str:
    if code is None:
        return "exit status unknown"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"
