"""Validate a loaded YAML document as an analysis spec, with one message per problem.

Each message names its key path (``Tests[2].ExpectedResult: Input should be a valid boolean``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from onca.detect.content.specs import ANALYSIS_TYPES, MODELS, DerivedRuleSpec, Spec

# Fields Panther treats as sets: a repeated entry is an error.
SET_FIELDS = ("LogTypes", "OutputIds", "SummaryAttributes", "Suppressions", "Tags")


class SpecError(ValueError):
    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


def _location(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif str(part).startswith("function-after") or part in ("str", "bool", "int"):
            continue  # validator and union-member names pydantic adds to locations
        else:
            text += f".{part}" if text else str(part)
    return text or "<spec>"


def _problems(error: ValidationError) -> list[str]:
    by_location: dict[str, list[str]] = {}
    for item in error.errors(include_url=False):
        where = _location(tuple(item["loc"]))
        if item["type"] == "extra_forbidden":
            message = "unknown key"
        elif item["type"] == "missing":
            message = "required key is missing"
        else:
            message = str(item["msg"]).removeprefix("Value error, ")
        by_location.setdefault(where, []).append(message)
    problems = []
    for where, messages in by_location.items():
        kinds = [m.removeprefix("Input should be a valid ") for m in messages if m.startswith("Input should be a valid ")]
        if len(kinds) > 1 and len(kinds) == len(messages):
            # A union type fails once per member; say it once.
            messages = ["Input should be a valid " + " or ".join(kinds)]
        problems.extend(f"{where}: {message}" for message in messages)
    return problems


def _set_field_problems(raw: Mapping[str, Any]) -> list[str]:
    problems = []
    for name in SET_FIELDS:
        values = raw.get(name)
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            continue
        if len(values) != len(set(values)):
            problems.append(f"{name}: repeated entries")
        elif name == "Tags" and len(values) != len({v.lower() for v in values}):
            problems.append("Tags: entries repeated with different case")
    return problems


def validate_spec(raw: Any) -> Spec:
    """Validate one loaded YAML document as an analysis spec."""
    if not isinstance(raw, Mapping):
        raise SpecError([f"<spec>: must be a mapping, got {type(raw).__name__}"])
    kind = raw.get("AnalysisType")
    if kind not in MODELS:
        raise SpecError([f"AnalysisType: must be one of {', '.join(ANALYSIS_TYPES)}, got {kind!r}"])
    model: type[Spec] = MODELS[kind]
    if kind == "rule" and raw.get("BaseDetection"):
        model = DerivedRuleSpec
    problems = _set_field_problems(raw)
    try:
        spec = model.model_validate(raw)
    except ValidationError as exc:
        raise SpecError(_problems(exc) + problems) from None
    if problems:
        raise SpecError(problems)
    return spec
