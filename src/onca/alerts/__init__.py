"""Alerts: the model, routing to destinations, and delivery with retries."""

from __future__ import annotations

import importlib
from typing import Any

# Routing and delivery load every destination module (boto3, httpx, ...), which code that only needs the alert
# model should not pay for at import time, so these names are imported on first use.
_LAZY_EXPORTS = {
    "AttemptRecord": "onca.alerts.delivery",
    "Dispatcher": "onca.alerts.delivery",
    "attempt_delivery": "onca.alerts.delivery",
    "backoff_delay": "onca.alerts.delivery",
    "deliver_once": "onca.alerts.delivery",
    "DestinationConfigError": "onca.alerts.config",
    "DestinationSet": "onca.alerts.config",
    "load_destinations": "onca.alerts.config",
    "parse_destinations": "onca.alerts.config",
    "AlertManager": "onca.alerts.manager",
    "ProcessOutcome": "onca.alerts.manager",
    "Route": "onca.alerts.routing",
    "accepts": "onca.alerts.routing",
    "route": "onca.alerts.routing",
    "sample_alert": "onca.alerts.sample",
}


def __getattr__(name: str) -> Any:
    module = _LAZY_EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = sorted(_LAZY_EXPORTS)
