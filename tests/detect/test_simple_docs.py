"""docs/simple-detections.md documents every condition, combinator and key specifier."""

from __future__ import annotations

from pathlib import Path

import pytest

from onca.detect.simple import CONDITIONS
from onca.detect.simple.compiler import COMBINATORS
from onca.detect.simple.paths import KEY_SPECIFIERS

DOC = Path(__file__).resolve().parents[2] / "docs" / "simple-detections.md"


@pytest.mark.parametrize("name", sorted(CONDITIONS) + list(COMBINATORS) + list(KEY_SPECIFIERS))
def test_simple_docs_name_every_language_element(name: str) -> None:
    assert f"`{name}" in DOC.read_text(encoding="utf-8")
