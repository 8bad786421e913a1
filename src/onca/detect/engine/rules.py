"""What a finding needs to know about its rule, worked out once when content loads."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from onca.detect.findings import DEFAULT_DEDUP_PERIOD_MINUTES

DEFAULT_SEVERITY = "INFO"
VERSION_LENGTH = 12


@dataclass(frozen=True)
class RuleInfo:
    """The spec's settings as findings carry them (a derived rule's merged over its base's)."""

    id: str
    name: str = ""  # DisplayName
    version: str = ""
    severity: str = DEFAULT_SEVERITY
    log_types: tuple[str, ...] = ()
    dedup_period_minutes: int = DEFAULT_DEDUP_PERIOD_MINUTES
    threshold: int = 1
    overrides: tuple[str, ...] = ()  # OutputIds
    description: str = ""
    reference: str = ""
    runbook: str = ""
    tags: tuple[str, ...] = ()
    reports: Mapping[str, list[str]] = field(default_factory=dict)

    @property
    def default_title(self) -> str:
        return self.name or self.id

    @classmethod
    def from_spec(cls, rule_id: str, spec: Mapping[str, Any], version: str = "") -> RuleInfo:
        severity = spec.get("Severity")
        reports = spec.get("Reports") or {}
        return cls(
            id=rule_id,
            name=_text(spec.get("DisplayName")),
            version=version,
            severity=severity.upper() if isinstance(severity, str) and severity else DEFAULT_SEVERITY,
            log_types=tuple(str(t) for t in spec.get("LogTypes") or ()),
            dedup_period_minutes=_positive(spec.get("DedupPeriodMinutes"), DEFAULT_DEDUP_PERIOD_MINUTES),
            threshold=_positive(spec.get("Threshold"), 1),
            overrides=tuple(str(o) for o in spec.get("OutputIds") or ()),
            description=_text(spec.get("Description")),
            reference=_text(spec.get("Reference")),
            runbook=_text(spec.get("Runbook")),
            tags=tuple(str(t) for t in spec.get("Tags") or ()),
            reports={str(k): [str(v) for v in values or ()] for k, values in dict(reports).items()},
        )


def _text(value: Any) -> str:
    return str(value) if value else ""


def _positive(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else default


def effective_spec(spec: Mapping[str, Any], base: Mapping[str, Any] | None) -> dict[str, Any]:
    """A derived rule (``BaseDetection``) keeps its base's settings where it sets none of its own."""
    if base is None:
        return dict(spec)
    inherited = {k: v for k, v in base.items() if k not in ("RuleID", "Tests", "Filename", "Detection")}
    return {**inherited, **{k: v for k, v in spec.items() if v is not None}}


def content_version(files: Iterable[Path | None]) -> str:
    """A short hash of the files a rule is made of (spec and code): it changes whenever the rule does."""
    digest = hashlib.sha256()
    for path in files:
        if path is None:
            continue
        try:
            data = path.read_bytes()
        except OSError:
            data = str(path).encode()
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()[:VERSION_LENGTH]
