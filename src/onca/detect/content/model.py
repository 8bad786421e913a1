"""Loaded content: each analysis item with its validated spec, and every problem found on the way."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from onca.detect.content.specs import Spec, spec_id

DETECTION_TYPES = ("rule", "scheduled_rule", "policy", "correlation_rule")


@dataclass(frozen=True)
class ContentProblem:
    """Something wrong with one file; ``message`` names the key at fault where there is one."""

    path: Path
    message: str
    item_id: str | None = None

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass(frozen=True)
class ContentItem:
    path: Path
    raw: Mapping[str, Any]
    spec: Spec

    @property
    def kind(self) -> str:
        return self.spec.AnalysisType

    @property
    def id(self) -> str:
        return spec_id(self.raw) or ""

    @property
    def python_path(self) -> Path | None:
        filename = self.raw.get("Filename")
        return self.path.parent / filename if isinstance(filename, str) else None

    @property
    def enabled(self) -> bool:
        return bool(self.raw.get("Enabled", False))

    @property
    def tests(self) -> list[Mapping[str, Any]]:
        tests = self.raw.get("Tests")
        return list(tests) if isinstance(tests, list) else []


@dataclass
class ContentSet:
    """``items`` passed the filters; ``all_items`` holds every valid item, for lookups by id
    (a derived detection's base, a pack's members) that filters must not break."""

    root: Path
    items: list[ContentItem] = field(default_factory=list)
    problems: list[ContentProblem] = field(default_factory=list)
    all_items: list[ContentItem] = field(default_factory=list)

    def __iter__(self) -> Iterator[ContentItem]:
        return iter(self.items)

    def of_kind(self, *kinds: str) -> list[ContentItem]:
        return [item for item in self.items if item.kind in kinds]

    @property
    def detections(self) -> list[ContentItem]:
        return self.of_kind(*DETECTION_TYPES)

    @property
    def globals(self) -> list[ContentItem]:
        return self.of_kind("global")

    @property
    def data_models(self) -> list[ContentItem]:
        return self.of_kind("datamodel")

    def by_id(self) -> dict[str, ContentItem]:
        return {item.id: item for item in self.all_items or self.items}

    def problem(self, path: Path, message: str, item_id: str | None = None) -> None:
        self.problems.append(ContentProblem(path, message, item_id))

    def without(self, paths: Iterable[Path]) -> None:
        dropped = set(paths)
        self.items = [item for item in self.items if item.path not in dropped]
        self.all_items = [item for item in self.all_items if item.path not in dropped]
