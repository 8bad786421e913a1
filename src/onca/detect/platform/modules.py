"""The platform modules that detection content imports, served by Onca.

Content written for Panther imports ``panther_core`` (the event classes) and
``panther_detection_helpers`` (caching). Onca does not ship packages under those names, which
would clash with the ones on PyPI; ``install_platform_modules`` registers Onca's implementations
under those names in ``sys.modules``, taking precedence over anything installed.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any
from unittest.mock import MagicMock

from onca.detect.event import DetectionEvent, ImmutableCaseInsensitiveDict, ImmutableList, json_default
from onca.detect.platform import caching
from onca.detect.runner import FunctionReturnTypeError, RunResult, UnknownDestinationError
from onca.detect.runner.errors import DetectionRuntimeError


def get_bool_env_var(var_name: str, default: bool = False) -> bool:
    value = os.getenv(var_name)
    if value is None:
        return default
    return value.lower() in ("true", "1", "yes", "on")


def is_mock(func: Callable[..., Any]) -> bool:
    """Whether ``func`` was replaced by a test mock."""
    return isinstance(func, MagicMock)


def monitoring_wrap(name: str, tags: dict[Any, str] | None = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Metric-reporting decorator in Panther; Onca counts nothing here, so it only wraps."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            return func(*args, **kwargs)

        return wrapper

    return decorate


def _module(name: str, doc: str, *, package: bool = False, **attributes: Any) -> ModuleType:
    module = ModuleType(name, doc)
    module.__dict__.update(attributes)
    module.__dict__["__onca_platform__"] = True
    if package:
        module.__path__ = []  # a package whose submodules come only from sys.modules
    return module


def _build() -> dict[str, ModuleType]:
    immutable = _module(
        "panther_core.immutable",
        "Read-only event views (served by Onca).",
        ImmutableCaseInsensitiveDict=ImmutableCaseInsensitiveDict,
        ImmutableList=ImmutableList,
        json_encoder=json_default,
    )
    enriched_event = _module(
        "panther_core.enriched_event", "The detection event (served by Onca).", PantherEvent=DetectionEvent
    )
    exceptions = _module(
        "panther_core.exceptions",
        "Detection runtime errors (served by Onca).",
        PantherError=DetectionRuntimeError,
        FunctionReturnTypeError=FunctionReturnTypeError,
        UnknownDestinationError=UnknownDestinationError,
    )
    detection = _module("panther_core.detection", "Detection results (served by Onca).", DetectionResult=RunResult)
    util = _module("panther_core.util", "Helpers (served by Onca).", get_bool_env_var=get_bool_env_var)
    core = _module(
        "panther_core",
        "Platform classes for detections (served by Onca).",
        package=True,
        PantherEvent=DetectionEvent,
        immutable=immutable,
        enriched_event=enriched_event,
        exceptions=exceptions,
        detection=detection,
        util=util,
    )
    public = [
        name
        for name in dir(caching)
        if not name.startswith("_") and name != "use_kv_store" and callable(getattr(caching, name))
    ]
    caching_module = _module(
        "panther_detection_helpers.caching",
        caching.__doc__ or "",
        **{name: getattr(caching, name) for name in public if getattr(getattr(caching, name), "__module__", "")
           == caching.__name__},
    )
    mocking = _module("panther_detection_helpers.mocking", "Test-mock checks (served by Onca).", is_mock=is_mock)
    monitoring = _module("panther_detection_helpers.monitoring", "Metrics (no-op in Onca).", wrap=monitoring_wrap)
    helpers = _module(
        "panther_detection_helpers",
        "Detection helpers (served by Onca).",
        package=True,
        caching=caching_module,
        mocking=mocking,
        monitoring=monitoring,
    )
    modules = [core, immutable, enriched_event, exceptions, detection, util, helpers, caching_module, mocking,
               monitoring]
    return {module.__name__: module for module in modules}


PLATFORM_MODULES: dict[str, ModuleType] = _build()


def install_platform_modules() -> None:
    """Register the platform modules; idempotent, and replaces any same-named module already imported."""
    for name, module in PLATFORM_MODULES.items():
        if sys.modules.get(name) is not module:
            sys.modules[name] = module
    _keep_more_time_formats()


TIME_FORMATS_KEPT = 256


def _keep_more_time_formats() -> None:
    """Content parses times by trying formats in turn (panther_base_helpers' resolve_timestamp_string tries up to
    40), while CPython keeps the compiled patterns of only 5 formats and empties that cache when it overflows: a
    sixth format recompiles all of them on every call. Keeping more makes such rules several times cheaper."""
    import _strptime

    if getattr(_strptime, "_CACHE_MAX_SIZE", TIME_FORMATS_KEPT) < TIME_FORMATS_KEPT:
        _strptime._CACHE_MAX_SIZE = TIME_FORMATS_KEPT
