"""The runnable form of a detection, whatever it was written as (Python module, YAML, pypanther class)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any


class DetectionKind(StrEnum):
    RULE = "rule"
    SCHEDULED_RULE = "scheduled_rule"
    POLICY = "policy"
    CORRELATION_RULE = "correlation_rule"

    @property
    def engine_type(self) -> str:
        """The upper-case type name alerts and results carry (RULE, SCHEDULED_RULE, ...)."""
        return self.value.upper()


@dataclass(eq=False)
class Detection:
    """``namespace`` holds the functions by name (a module, a rule instance or a simple namespace);
    they are looked up on every run so that test mocks patched onto it take effect.

    ``defined`` names the auxiliary functions that existed when the detection was loaded.
    """

    id: str
    kind: DetectionKind
    namespace: Any = None
    defined: frozenset[str] = frozenset()
    severity: str | None = None
    filters: Callable[[Mapping[str, Any]], bool] | None = None
    create_alert: bool = True
    source: Path | None = None
    spec: Mapping[str, Any] = field(default_factory=dict)
    origin: str = "panther-analysis"
    mock_targets: tuple[Any, ...] = ()

    @property
    def matcher_name(self) -> str:
        return "policy" if self.kind is DetectionKind.POLICY else "rule"

    @property
    def alert_value(self) -> bool:
        """The matcher's return value that raises an alert: policies alert when a resource fails."""
        return self.kind is not DetectionKind.POLICY

    def function(self, name: str) -> Callable[[Any], Any] | None:
        return getattr(self.namespace, name, None)

    def has_matcher(self) -> bool:
        return callable(self.function(self.matcher_name))
