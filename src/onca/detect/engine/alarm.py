"""The time limit on one rule's run over one event, without a system call per run.

Arming a one-shot timer around every run would cost two system calls per rule and event. Instead a
periodic SIGALRM ticks while a batch is evaluated (every tenth of the limit), and the tick raises
DetectionTimeout only when the run in progress started more than the limit ago. A run that overstays is
stopped between ``limit`` and ``limit * 1.1`` seconds. Signals reach only the main thread, so elsewhere
runs are unbounded.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from onca.detect.runner import DetectionTimeout

TICKS_PER_LIMIT = 10
MIN_TICK_SECONDS = 0.01


class Alarm:
    def __init__(self, seconds: float | None) -> None:
        usable = threading.current_thread() is threading.main_thread()
        self.seconds = seconds if seconds and usable else None
        # time.monotonic() when the current run started; 0.0 while no rule runs.
        self.started = 0.0

    def _tick(self, signum: int, frame: Any) -> None:
        started = self.started
        if started and self.seconds is not None and time.monotonic() - started >= self.seconds:
            self.started = 0.0
            raise DetectionTimeout(self.seconds)

    @contextmanager
    def ticking(self) -> Iterator[Alarm]:
        """Tick for the length of the block (a batch), then put back whatever SIGALRM did before."""
        if self.seconds is None:
            yield self
            return
        previous = signal.signal(signal.SIGALRM, self._tick)
        tick = max(self.seconds / TICKS_PER_LIMIT, MIN_TICK_SECONDS)
        previous_timer = signal.setitimer(signal.ITIMER_REAL, tick, tick)
        try:
            yield self
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            self.started = 0.0
            signal.signal(signal.SIGALRM, previous)
            if previous_timer[0] > 0:  # someone else's alarm was pending: set it again (roughly)
                signal.setitimer(signal.ITIMER_REAL, *previous_timer)
