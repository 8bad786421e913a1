"""Load a content tree: parse, validate, check ids and files. Python is imported later, per detection."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from onca.detect.content.discover import discover_yaml_files
from onca.detect.content.model import ContentItem, ContentSet
from onca.detect.content.specs import spec_id
from onca.detect.content.validate import SpecError, validate_spec
from onca.yaml12 import describe_yaml_error, load_yaml

# Items that always load, whatever the filters say: detections need them.
SUPPORT_TYPES = ("global", "datamodel")


@dataclass(frozen=True)
class SpecFilter:
    """``KEY=V1,V2`` keeps items whose KEY has one of the values; ``KEY!=V`` drops them.

    Values compare case-insensitively; a list-valued key matches when any entry does.
    """

    key: str
    values: frozenset[Any]
    inverted: bool = False

    @classmethod
    def parse(cls, text: str) -> SpecFilter:
        inverted = "!=" in text
        key, sep, values = text.partition("!=" if inverted else "=")
        if not sep or not key.strip() or not values.strip():
            raise ValueError(f"filter {text!r} must look like KEY=VALUE[,VALUE...] or KEY!=VALUE")
        parsed = {_normalize(_typed(v.strip())) for v in values.split(",") if v.strip()}
        return cls(key.strip(), frozenset(parsed), inverted)

    def keeps(self, raw: Mapping[str, Any]) -> bool:
        value = raw.get(self.key, "")
        values = value if isinstance(value, list) else [value]
        hit = bool({_normalize(v) for v in values if _hashable(v)} & self.values)
        return not hit if self.inverted else hit


def _typed(text: str) -> Any:
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    return text


def _normalize(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _parse(path: Path, content: ContentSet) -> Any:
    try:
        return load_yaml(path.read_bytes())
    except yaml.YAMLError as exc:
        content.problem(path, f"invalid YAML: {describe_yaml_error(exc)}")
    except (OSError, UnicodeDecodeError) as exc:
        content.problem(path, f"cannot read: {exc}")
    return None


def load_content(
    path: str | Path,
    *,
    filters: Iterable[SpecFilter] = (),
    cwd: Path | None = None,
) -> ContentSet:
    """Every analysis item under ``path`` that validates, plus a problem for each one that does not."""
    root = Path(path)
    content = ContentSet(root=root)
    if not root.exists():
        content.problem(root, "no such file or directory")
        return content
    filters = list(filters)
    seen_ids: dict[str, Path] = {}
    for file in discover_yaml_files(root, cwd=cwd):
        raw = _parse(file, content)
        if not isinstance(raw, dict) or "AnalysisType" not in raw:
            continue  # not an analysis item (a lookup-table schema, CI config, ...)
        item_id = spec_id(raw)
        try:
            spec = validate_spec(raw)
        except SpecError as exc:
            for problem in exc.problems:
                content.problem(file, problem, item_id)
            continue
        if item_id in seen_ids:
            content.problem(file, f"duplicate id {item_id!r} (also defined in {seen_ids[item_id]})", item_id)
            continue
        seen_ids[item_id or ""] = file
        item = ContentItem(path=file, raw=raw, spec=spec)
        content.all_items.append(item)
        if filters and raw["AnalysisType"] not in SUPPORT_TYPES and not all(f.keeps(raw) for f in filters):
            continue
        content.items.append(item)
    _check_files(content)
    _check_derived(content)
    _check_packs(content)
    return content


def _check_files(content: ContentSet) -> None:
    """Items whose Python file is missing are dropped; only those selected are reported."""
    selected = {id(item) for item in content.items}
    missing = []
    for item in content.all_items:
        python = item.python_path
        if python is not None and item.kind != "lookup_table" and not python.is_file():
            if id(item) in selected:
                content.problem(item.path, f"Filename: {item.raw['Filename']!r} does not exist ({python})", item.id)
            missing.append(item.path)
    content.without(missing)


def _check_derived(content: ContentSet) -> None:
    ids = content.by_id()
    broken = []
    for item in content.items:
        base = item.raw.get("BaseDetection")
        if base and (base not in ids or ids[base].kind not in ("rule", "scheduled_rule")):
            content.problem(item.path, f"BaseDetection: no rule with id {base!r}", item.id)
            broken.append(item.path)
    content.without(broken)


def _check_packs(content: ContentSet) -> None:
    ids = set(content.by_id())
    for item in content.of_kind("pack"):
        unknown = [i for i in item.raw["PackDefinition"]["IDs"] if i not in ids]
        if unknown:
            content.problem(
                item.path,
                f"PackDefinition.IDs: pack ({item.id}) includes items that do not exist ({', '.join(unknown)})",
                item.id,
            )
