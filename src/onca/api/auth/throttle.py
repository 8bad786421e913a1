"""Slowing down password guessing: after too many failed sign-ins for one email from one address, or from one
address for any email, sign-in is refused for a while (429 with Retry-After), even with the right password.

Counts live in the server process; a restart forgets them, which only gives a guesser one more window.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

MAX_FAILURES_PER_ACCOUNT = 5  # per email and address
MAX_FAILURES_PER_ADDRESS = 20  # per address, whatever the email
WINDOW_SECONDS = 300.0  # failures older than this do not count, and a lockout lasts this long


class LoginThrottle:
    def __init__(self, *, per_account: int = MAX_FAILURES_PER_ACCOUNT, per_address: int = MAX_FAILURES_PER_ADDRESS,
                 window: float = WINDOW_SECONDS, clock: Callable[[], float] = time.monotonic):
        self.limits = {"account": per_account, "address": per_address}
        self.window = window
        self.clock = clock
        self._failures: dict[tuple[str, ...], deque[float]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _keys(email: str, address: str) -> dict[str, tuple[str, ...]]:
        return {"account": (email.strip().casefold(), address), "address": (address,)}

    def retry_after(self, email: str, address: str) -> int:
        """Seconds until a sign-in for ``email`` from ``address`` may be tried again; 0 if it may now."""
        now = self.clock()
        wait = 0.0
        with self._lock:
            for kind, key in self._keys(email, address).items():
                recent = self._recent(key, now)
                if len(recent) >= self.limits[kind]:
                    wait = max(wait, recent[-1] + self.window - now)
        return int(wait) + 1 if wait > 0 else 0

    def failed(self, email: str, address: str) -> None:
        now = self.clock()
        with self._lock:
            for key in self._keys(email, address).values():
                self._failures.setdefault(key, deque()).append(now)
            if len(self._failures) > 100_000:  # bound the memory a flood of made-up emails can take
                self._failures = {k: v for k, v in self._failures.items() if v and v[-1] > now - self.window}

    def succeeded(self, email: str, address: str) -> None:
        with self._lock:
            self._failures.pop(self._keys(email, address)["account"], None)

    def _recent(self, key: tuple[str, ...], now: float) -> deque[float]:
        recent = self._failures.get(key, deque())
        while recent and recent[0] <= now - self.window:
            recent.popleft()
        return recent
