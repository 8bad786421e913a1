"""Demo data: the bundled sample logs and example detections, and a feeder that keeps them flowing through a
running server so that a newcomer sees events, rule matches and alerts at once."""

from __future__ import annotations

import logging
import random
import threading
from importlib import resources
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

DEMO_SOURCE_PREFIX = "demo-"


def sample_files() -> list[tuple[str, Path]]:
    """(log type, path) of every bundled sample: samples/<LogType>.log."""
    folder = resources.files("onca") / "samples"
    found = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".log"):
            found.append((entry.name.removesuffix(".log"), Path(str(entry))))
    return found


def example_detections() -> Path:
    """A few example rules over the samples (samples/detections), in the panther-analysis layout."""
    return Path(str(resources.files("onca") / "samples" / "detections"))


class DemoFeeder:
    """Sends every sample once at start, then one sample file again every ``interval`` seconds, each through an
    internal source of its own log type (``demo-<LogType>``)."""

    def __init__(self, service: Any, *, interval: float = 20.0, seed: int | None = None):
        self.service = service
        self.interval = interval
        self.samples = [(t, p) for t, p in sample_files() if t in service.registry]
        self._random = random.Random(seed)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.sent = 0
        for log_type, _ in self.samples:
            service.add_internal_source(DEMO_SOURCE_PREFIX + log_type, (log_type,), "demo samples")

    def send(self, log_type: str, path: Path) -> None:
        self.service.spool.put(DEMO_SOURCE_PREFIX + log_type, path.read_bytes())
        self.sent += 1

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="onca-demo", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            for log_type, path in self.samples:
                self.send(log_type, path)
            while self.samples and not self._stop.wait(self.interval):
                self.send(*self._random.choice(self.samples))
        except OSError:
            log.exception("demo feeder stopped")

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
