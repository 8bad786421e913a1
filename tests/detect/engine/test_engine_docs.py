"""docs/detection-engine.md documents every engine option and every metric."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

from onca.detect.engine import DetectionMetrics, EngineOptions

DOC = (Path(__file__).resolve().parents[3] / "docs" / "detection-engine.md").read_text()


def test_engine_docs_cover_every_option():
    assert [f.name for f in fields(EngineOptions) if f"| `{f.name}` |" not in DOC] == []


def test_engine_docs_cover_every_metric():
    assert [f.name for f in fields(DetectionMetrics) if f"| `{f.name}` |" not in DOC] == []
