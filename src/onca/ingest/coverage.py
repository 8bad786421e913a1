"""How well the registry covers a detection content tree (a panther-analysis checkout).

Two checks: every log type the content names (rules, scheduled rules, data models, lookup tables) exists in the
registry, and the `Log` of each rule test parses under the log type it declares (`p_log_type`) or one of the
rule's LogTypes. Test events are often partial, so the second is a rate with the reasons for each miss.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from onca.ingest.classify import Classified, Classifier, Skipped
from onca.ingest.logtype import compile_log_type
from onca.ingest.normalize import MISSING_REQUIRED
from onca.schema.model import Field, LogSchema
from onca.schema.registry import Registry

_RULE_TYPES = {"rule", "scheduled_rule"}
# the folders Panther's tooling reads content from; templates and tests elsewhere are not content
_CONTENT_DIRS = ("rules", "policies", "queries", "data_models", "lookup_tables", "correlation_rules")


@dataclass
class TestParse:
    path: str
    test: str
    log_types: tuple[str, ...]
    reasons: tuple[str, ...] = ()
    missing_required: tuple[str, ...] = ()  # set when only absent required fields kept it from parsing


@dataclass
class Coverage:
    named: Counter = field(default_factory=Counter)  # log type -> how many specs name it
    missing: list[str] = field(default_factory=list)
    parsed: int = 0
    failed: list[TestParse] = field(default_factory=list)
    parsed_relaxed: int = 0  # parses once required-field checks are set aside (test events are often partial)
    query_rows: int = 0  # tests of scheduled rules that name no log type: their Log is a query result row

    @property
    def tested(self) -> int:
        return self.parsed + len(self.failed)

    @property
    def parse_rate(self) -> float:
        return self.parsed / self.tested if self.tested else 1.0

    @property
    def relaxed_rate(self) -> float:
        return self.parsed_relaxed / self.tested if self.tested else 1.0

    def missing_required_fields(self) -> Counter:
        """For the test events that parse once required fields are set aside: how many stop at each required
        field ("GCP.AuditLog: logName", the first one absent, per candidate log type)."""
        return Counter(field for f in self.failed for field in f.missing_required)


def _optional(f: Field) -> Field:
    return dataclasses.replace(f, required=False, fields=tuple(_optional(c) for c in f.fields),
                               element=_optional(f.element) if f.element else None)


def relaxed(schema: LogSchema) -> LogSchema:
    """The same schema with every field optional: types and formats still checked."""
    return dataclasses.replace(schema, fields=tuple(_optional(f) for f in schema.fields))


def _specs(root: Path) -> Iterator[tuple[Path, dict[str, Any]]]:
    yaml = YAML(typ="safe", pure=True)
    yaml.version = (1, 2)
    for path in sorted(root.rglob("*.y*ml")):
        parts = path.relative_to(root).parts[:-1]
        if any(p.startswith(".") for p in parts) or not any(d in p for p in parts for d in _CONTENT_DIRS):
            continue
        try:
            doc = yaml.load(path.read_text(encoding="utf-8"))
        except (YAMLError, UnicodeDecodeError, OSError):
            continue
        if isinstance(doc, dict) and "AnalysisType" in doc:
            yield path, doc


def _named_log_types(doc: dict[str, Any]) -> list[str]:
    kind = doc.get("AnalysisType")
    if kind in _RULE_TYPES or kind == "datamodel":
        return [t for t in doc.get("LogTypes") or [] if isinstance(t, str)]
    if kind == "lookup_table":
        mapping = doc.get("LogTypeMap") if isinstance(doc.get("LogTypeMap"), dict) else {}
        return [m.get("LogType") for m in mapping.get("AssociatedLogTypes") or []
                if isinstance(m, dict) and isinstance(m.get("LogType"), str)]
    return []


def check_content(root: Path, registry: Registry) -> Coverage:
    coverage = Coverage()
    parse_time = datetime.now(UTC)
    classifiers: dict[tuple[str, ...], Classifier] = {}
    relaxed_classifiers: dict[tuple[str, ...], Classifier] = {}
    for path, doc in _specs(root):
        named = _named_log_types(doc)
        coverage.named.update(named)
        if doc.get("AnalysisType") not in _RULE_TYPES:
            continue
        for test in doc.get("Tests") or []:
            log = test.get("Log") if isinstance(test, dict) else None
            if not isinstance(log, dict):
                continue
            declared = log.get("p_log_type")
            if not named and not isinstance(declared, str) and doc.get("AnalysisType") == "scheduled_rule":
                coverage.query_rows += 1  # not a log event, so there is nothing to parse it as
                continue
            # a test may declare a p_log_type no schema has; the rule's LogTypes say what it is meant to be
            own = [declared] if isinstance(declared, str) and declared in registry else named
            candidates = tuple(t for t in own if t in registry)
            name = str(test.get("Name", ""))
            if not candidates:
                coverage.failed.append(TestParse(str(path.relative_to(root)), name, tuple(named),
                                                 ("no candidate log type is registered",)))
                continue
            classifier = classifiers.get(candidates)
            if classifier is None:
                classifier = classifiers[candidates] = Classifier(
                    [compile_log_type(registry.get(t)) for t in candidates])
            result = classifier.classify(log, parse_time=parse_time, row_id="coverage")
            if isinstance(result, Classified | Skipped):
                coverage.parsed += 1
                coverage.parsed_relaxed += 1
                continue
            loose = relaxed_classifiers.get(candidates)
            if loose is None:
                loose = relaxed_classifiers[candidates] = Classifier(
                    [compile_log_type(relaxed(registry.get(t))) for t in candidates])
            second = loose.classify(log, parse_time=parse_time, row_id="coverage")
            missing: tuple[str, ...] = ()
            if isinstance(second, Classified | Skipped):
                coverage.parsed_relaxed += 1
                reasons = ("only with required fields set aside: " + "; ".join(result.reasons),)
                missing = tuple(r.removesuffix(f": {MISSING_REQUIRED}") for r in result.reasons
                                if r.endswith(MISSING_REQUIRED))
            else:
                reasons = second.reasons
            coverage.failed.append(TestParse(str(path.relative_to(root)), name, candidates, reasons, missing))
    coverage.missing = sorted(t for t in coverage.named if t not in registry)
    return coverage
