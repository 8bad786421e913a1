"""A wall-clock limit on content code, enforced with SIGALRM in the thread that runs it."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from onca.detect.runner.errors import DetectionTimeout


@contextmanager
def time_limit(seconds: float | None, where: str = "") -> Iterator[None]:
    """Raise DetectionTimeout inside the block once ``seconds`` have passed.

    Works where signals can be delivered (the main thread of a process, which is where Onca's
    workers run content); elsewhere, or with no limit, the block runs unbounded.
    """
    if not seconds or seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise DetectionTimeout(seconds, where)

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
