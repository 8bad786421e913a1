"""Generated documentation stays in step with the code."""

from __future__ import annotations

from pathlib import Path

from onca.schema import Registry
from onca.schema.docs import render_markdown

DOCS = Path(__file__).parents[2] / "docs"


def test_docs_logtypes_page_is_current():
    page = DOCS / "logtypes.md"
    assert page.read_text(encoding="utf-8") == render_markdown(Registry.builtin()), (
        "docs/logtypes.md is stale: run `onca logtypes --markdown > docs/logtypes.md`")
