"""Lookup tables of detection content trees: ``AnalysisType: lookup_table`` specs, read with the content loader's
discovery and validation. Only files that mention ``lookup_table`` are parsed, so a large tree costs a walk and
a text search, not a YAML parse per file."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from onca.detect.content import ContentItem, ContentProblem, SpecError, discover_yaml_files, load_yaml, validate_spec
from onca.enrich.definition import DefinitionError, LookupTableDefinition, from_content_item

_MARK = b"lookup_table"


@dataclass
class ContentTables:
    definitions: list[LookupTableDefinition] = field(default_factory=list)
    problems: list[ContentProblem] = field(default_factory=list)


def content_tables(paths: Iterable[Path]) -> ContentTables:
    """Every lookup table defined under ``paths``; a name defined twice keeps its first definition."""
    found = ContentTables()
    seen: dict[str, str] = {}
    for root in paths:
        for file in discover_yaml_files(root):
            definition = _definition(file, found.problems)
            if definition is None:
                continue
            if definition.name in seen:
                found.problems.append(ContentProblem(file, f"lookup table {definition.name!r} is already defined "
                                                           f"in {seen[definition.name]}; this one is ignored",
                                                     definition.name))
                continue
            seen[definition.name] = str(file)
            found.definitions.append(definition)
    return found


def _definition(file: Path, problems: list[ContentProblem]) -> LookupTableDefinition | None:
    try:
        data = file.read_bytes()
    except OSError as exc:
        problems.append(ContentProblem(file, f"cannot read: {exc.strerror or exc}"))
        return None
    if _MARK not in data:
        return None
    try:
        raw = load_yaml(data)
    except (yaml.YAMLError, UnicodeDecodeError):
        return None  # the content loader reports unreadable YAML; it is no table either way
    if not isinstance(raw, dict) or raw.get("AnalysisType") != "lookup_table":
        return None
    name = raw.get("LookupName") if isinstance(raw.get("LookupName"), str) else None
    try:
        spec = validate_spec(raw)
        return from_content_item(ContentItem(path=file, raw=raw, spec=spec))
    except SpecError as exc:
        problems.extend(ContentProblem(file, problem, name) for problem in exc.problems)
    except DefinitionError as exc:
        problems.append(ContentProblem(file, str(exc).removeprefix(f"{file}: "), name))
    return None
