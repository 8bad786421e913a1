"""How the live detection engine runs: worker processes, time limits, the caching store, the rule index."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class EngineOptions:
    # Worker processes that run detection code; 0 evaluates in this process (tests, debugging).
    workers: int = 1
    # Wall-clock limit for one detection on one event; None or 0 means no limit.
    timeout_seconds: float | None = 5.0
    # The caching store workers open themselves: sqlite:///path or redis://host:port/db.
    # None: a SQLite file in a temporary directory that lives as long as the engine.
    kv_url: str | None = None
    # Ask onca.detect.index for the rules an event can match (when that module is available).
    use_index: bool = True
    # Events per message to a worker; a worker that dies costs at most the rest of one batch.
    batch_size: int = 200
    # Destination display names -> ids for destinations(); None keeps the names as the rule returned them.
    destinations: Mapping[str, str] | None = None
    # A detection that crashes its worker this often within one evaluate() call is skipped for the
    # rest of that batch, so one broken rule cannot make the engine fork forever.
    max_crashes: int = 3
    # Keep a template process from which workers for new content can be forked later (Engine.reload),
    # once this process runs threads.
    reloadable: bool = False

    def __post_init__(self) -> None:
        if self.workers < 0:
            raise ValueError(f"workers must be 0 or more, got {self.workers}")
        if self.timeout_seconds is not None and self.timeout_seconds < 0:
            raise ValueError(f"timeout_seconds must not be negative, got {self.timeout_seconds}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {self.batch_size}")
        if self.max_crashes < 1:
            raise ValueError(f"max_crashes must be at least 1, got {self.max_crashes}")

    @property
    def time_limit(self) -> float | None:
        return self.timeout_seconds or None

    @property
    def kill_after(self) -> float | None:
        """How long one run may go on before the worker itself is killed: the in-worker alarm could not
        stop it (a loop in C code, or content that caught the alarm's exception)."""
        limit = self.time_limit
        return None if limit is None else limit + max(1.0, limit)
