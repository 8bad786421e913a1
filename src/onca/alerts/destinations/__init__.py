"""Alert destinations: one module each, every one registered through `base.register` exactly as a third-party
destination would be. Importing this package imports every module in it, so adding a destination is adding a file."""

from __future__ import annotations

import importlib
import pkgutil

from onca.alerts.destinations.base import (
    REGISTRY,
    DeliveryResult,
    Destination,
    DestinationConfig,
    register,
    result_from_exception,
    result_from_response,
)

for _info in pkgutil.iter_modules(__path__):
    if _info.name not in ("base",) and not _info.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_info.name}")


def build_destination(kind: str, config: dict) -> Destination:
    """A destination from its kind and config dict; ValueError names an unknown kind, pydantic names bad keys."""
    try:
        cls = REGISTRY[kind]
    except KeyError:
        raise ValueError(f"unknown destination kind {kind!r} (known: {', '.join(sorted(REGISTRY))})") from None
    return cls.from_dict(config)


__all__ = ["REGISTRY", "DeliveryResult", "Destination", "DestinationConfig", "build_destination", "register",
           "result_from_exception", "result_from_response"]
