"""Which configured destinations an alert goes to, decided as Panther decides it.

From the highest precedence down:
1. the detection's `destinations()` output, when it returned a list: exactly those destinations, by name or
   id; an empty list, or one holding "SKIP", sends the alert nowhere;
2. else the detection's destination overrides (the spec's `OutputIds`);
3. else every destination whose own settings accept the alert: its severity, its type, and (when the
   destination lists log types) one of its log types.

A destination named explicitly in steps 1 and 2 gets the alert whatever its own severities or types say.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from onca.alerts.config import SKIP, DestinationSet
from onca.alerts.destinations import Destination, DestinationConfig
from onca.alerts.model import Alert


class Route(NamedTuple):
    """The destinations an alert is sent to, and the names or ids it was told to use that match nothing."""

    targets: list[Destination]
    unknown: list[str]


def route(alert: Alert, *, detection_destinations: Sequence[str] | None, overrides: Sequence[str],
          destinations: DestinationSet) -> Route:
    if detection_destinations is not None:
        if not detection_destinations or SKIP in detection_destinations:
            return Route([], [])
        return Route(*destinations.resolve(detection_destinations))
    if overrides:
        return Route(*destinations.resolve(overrides))
    return Route([d for d in destinations if accepts(d.config, alert)], [])


def accepts(config: DestinationConfig, alert: Alert) -> bool:
    """Whether a destination's own settings take this alert when the detection names no destinations."""
    if alert.severity not in config.severities or alert.type not in config.alert_types:
        return False
    return not config.log_types or any(log_type in config.log_types for log_type in alert.log_types)
