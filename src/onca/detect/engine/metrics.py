"""Per-detection counters of the live engine."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class DetectionMetrics:
    events: int = 0  # events the rule was run on (the index may spare it most of the stream)
    matches: int = 0  # events it alerted on: matches and signals
    errors: int = 0  # error findings, timeouts and crashes included
    seconds: float = 0.0  # CPU seconds spent in it, summed over workers
    timeouts: int = 0

    def copy(self) -> DetectionMetrics:
        return DetectionMetrics(self.events, self.matches, self.errors, self.seconds, self.timeouts)
