"""docs/destinations.md documents every setting of every destination it covers, so the page cannot drift
from the config models."""

import re
from pathlib import Path

import pytest

from onca.alerts.destinations import REGISTRY, DestinationConfig

DOC = Path(__file__).resolve().parents[3] / "docs" / "destinations.md"
DOCUMENTED_KINDS = tuple(sorted(REGISTRY))


def sections() -> dict[str, str]:
    """Section text by the kind in its heading, `## Title (`kind`)`."""
    text = DOC.read_text()
    found = {}
    for match in re.finditer(r"^## [^\n]*\(`([a-z0-9_]+)`\)\n(.*?)(?=^## |\Z)", text, re.M | re.S):
        found[match.group(1)] = match.group(2)
    return found


@pytest.mark.parametrize("kind", DOCUMENTED_KINDS)
def test_docs_destination_section_names_every_setting(kind):
    section = sections().get(kind)
    assert section is not None, f"docs/destinations.md has no section for {kind!r}"
    own_fields = set(REGISTRY[kind].config_model.model_fields) - set(DestinationConfig.model_fields)
    missing = sorted(field for field in own_fields if f"| `{field}` |" not in section)
    assert not missing, f"{kind}: settings missing from its table: {missing}"
    assert f"kind: {kind}\n" in section, f"{kind}: no example config"


def test_docs_common_settings_are_documented():
    text = DOC.read_text()
    for field in DestinationConfig.model_fields:
        assert f"| `{field}` |" in text, field


def test_docs_sections_only_name_registered_kinds():
    assert set(sections()) <= set(REGISTRY)
