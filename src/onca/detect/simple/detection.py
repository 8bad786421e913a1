"""A whole simple detection compiled from its YAML spec: filters, logic and alert shaping."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from onca.detect.simple.alerting import (
    compile_alert_context,
    compile_alert_title,
    compile_dynamic_severities,
    compile_group_by,
)
from onca.detect.simple.compiler import compile_match
from onca.detect.simple.errors import SimpleDetectionError

Event = Mapping[str, Any]


@dataclass(frozen=True)
class SimpleDetection:
    """The callables behind one YAML rule. ``detection`` is None for a Python rule that only
    borrows ``InlineFilters`` (its own ``rule()`` decides)."""

    detection: Callable[[Event], bool] | None
    inline_filters: Callable[[Event], bool]
    title: Callable[[Event], str] | None = None
    alert_context: Callable[[Event], dict[str, Any]] | None = None
    severity: Callable[[Event], str | None] | None = None
    dedup: Callable[[Event], str] | None = None

    def passes_filters(self, event: Event) -> bool:
        return self.inline_filters(event)

    def matches(self, event: Event) -> bool:
        """Inline filters first (they gate the logic), then the Detection expressions."""
        if not self.inline_filters(event):
            return False
        return self.detection(event) if self.detection is not None else True


def compile_simple_detection(spec: Mapping[str, Any]) -> SimpleDetection:
    """Compile the simple-detection keys of an analysis spec; other keys are left to the caller."""
    if not isinstance(spec, Mapping):
        raise SimpleDetectionError("<spec>", "must be a mapping")
    detection = compile_match(spec["Detection"], where="Detection") if "Detection" in spec else None
    return SimpleDetection(
        detection=detection,
        inline_filters=compile_match(spec.get("InlineFilters"), where="InlineFilters"),
        title=compile_alert_title(spec["AlertTitle"]) if "AlertTitle" in spec else None,
        alert_context=compile_alert_context(spec["AlertContext"]) if "AlertContext" in spec else None,
        severity=compile_dynamic_severities(spec["DynamicSeverities"])
        if "DynamicSeverities" in spec
        else None,
        dedup=compile_group_by(spec["GroupBy"]) if "GroupBy" in spec else None,
    )
