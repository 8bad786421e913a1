"""The alert-storm limiter: a detection that raises too many alerts too fast stops alerting until someone
turns it back on.

As in Panther: past `limit` alerts (1,000) created by one detection within `window` (one hour), the
detection's alerting is suspended and a system error names it. Its matches are still detected and stored, but
raise no alerts until `AlertManager.resume` or `onca alerts resume-detection`. Rule errors are not counted and
not suspended, so a broken detection still says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from onca.store import DetectionState, Store

STORM_KIND = "alert_storm"  # the system error kind
DEFAULT_LIMIT = 1000
DEFAULT_WINDOW = timedelta(hours=1)
LIMITED_TYPES = ("rule", "policy", "correlation", "scheduled_rule")


@dataclass(frozen=True, slots=True)
class StormLimiter:
    limit: int = DEFAULT_LIMIT
    window: timedelta = DEFAULT_WINDOW

    def __post_init__(self) -> None:
        if self.limit < 1:
            raise ValueError(f"storm_limit must be at least 1, not {self.limit}")
        if self.window <= timedelta(0):
            raise ValueError(f"storm_window must be positive, not {self.window}")

    def counted_since(self, state: DetectionState, now: datetime) -> datetime:
        """Alerts created from this moment on count; resuming a detection starts the count again."""
        start = now - self.window
        return max(start, state.resumed_at) if state.resumed_at is not None else start

    def created(self, store: Store, state: DetectionState, now: datetime) -> int:
        return store.alerts.count_created(state.detection_id, since=self.counted_since(state, now),
                                          types=LIMITED_TYPES)

    def reached(self, created: int) -> bool:
        return created >= self.limit

    def message(self, detection_id: str) -> str:
        minutes = int(self.window.total_seconds() // 60)
        return (f"Detection {detection_id} created {self.limit} alerts within {minutes} minutes; its alerting "
                f"is suspended (its matches are still stored). Tune it, then resume it with "
                f"`onca alerts resume-detection {detection_id}`.")
