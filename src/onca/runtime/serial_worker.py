"""Calls run one after another on a thread of their own, so the caller can go on with its next piece of work.

Detection uses it to overlap its work with parsing: while the rule workers evaluate one batch and the alert
manager stores its alerts, the ingest thread parses the next. Calls run in the order submitted. `submit` waits
while `limit` calls are queued, so a slow consumer slows the producer instead of growing a backlog. A call that
raises stops the ones queued after it (they are dropped), and its exception is raised to the caller by the next
`submit` or `wait`.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any

_STOP = None


class SerialWorker:
    def __init__(self, name: str, *, limit: int = 4):
        if limit < 1:
            raise ValueError(f"limit must be at least 1, not {limit}")
        self.name = name
        self._queue: queue.Queue[tuple[Callable[..., Any], tuple[Any, ...]] | None] = queue.Queue(maxsize=limit)
        self._thread: threading.Thread | None = None
        self._failure: BaseException | None = None

    def submit(self, call: Callable[..., Any], *args: Any) -> None:
        """Queue ``call(*args)``; raises what an earlier call raised (after the calls queued behind it were
        dropped) instead of queueing."""
        if self._failure is not None:
            self.wait()
        if self._thread is None:  # started on first use, not at construction: see open_detection_stage
            self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
            self._thread.start()
        self._queue.put((call, args))

    def wait(self) -> None:
        """Return once every submitted call has run; raise the first failure since the last wait, if any."""
        self._queue.join()
        failure, self._failure = self._failure, None
        if failure is not None:
            raise failure

    def close(self) -> None:
        """Run what is queued, then stop the thread. Raises a failure not raised yet."""
        if self._thread is not None:
            self._queue.put(_STOP)
            self._thread.join()
            self._thread = None
        self.wait()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is _STOP:
                    return
                if self._failure is None:
                    call, args = item
                    call(*args)
            except BaseException as exc:  # noqa: BLE001 - handed to the caller by submit or wait
                self._failure = exc
            finally:
                self._queue.task_done()
