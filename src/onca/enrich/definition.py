"""What a lookup table is: its name, primary key, schema and the log types it enriches, wherever it is defined.

Tables come from three places: content trees (panther-analysis ``AnalysisType: lookup_table`` YAML, whose
``Filename`` is a CSV or JSONL file beside it), the server's config file, and the API. The settings a person
writes in the config file or sends to the API are ``LookupTableSettings`` (camelCase, as the API shows them);
``LookupTableDefinition`` adds where the table came from and where its data is.

A ``Refresh`` (data fetched from S3 or GCS on a period) and a ``Query`` (data computed by SQL) are kept with a
content table's definition but not acted on: such a table holds no rows until data is given another way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic.alias_generators import to_camel

from onca.enrich.selectors import SelectorError, compile_selector

MANAGED_BY = ("content", "config", "api")
_NOT_LAKE = re.compile(r"[^a-z0-9_]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def lake_table_name(lookup_name: str) -> str:
    """The table under ``panther_lookups``: the name lower-cased, anything but letters, digits and ``_`` as
    ``_`` (``1Password Items`` -> ``1password_items``)."""
    return _NOT_LAKE.sub("_", lookup_name.lower())


class _Model(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True)


class AssociatedLogType(_Model):
    log_type: str = Field(min_length=1, max_length=255, description="A log type whose events are enriched.",
                          examples=["AWS.CloudTrail"])
    selectors: list[str] = Field(
        default_factory=list, max_length=100,
        description="Where the values to look up are: JSON paths ($.client.ipAddress), top-level fields or "
                    "p_any_* indicator fields.", examples=[["sourceIPAddress", "p_any_ip_addresses"]])

    @field_validator("selectors")
    @classmethod
    def _selectors_compile(cls, selectors: list[str]) -> list[str]:
        for selector in selectors:
            try:
                compile_selector(selector)
            except SelectorError as exc:
                raise ValueError(str(exc)) from None
        return [selector.strip() for selector in selectors]


class LookupTableSettings(_Model):
    """A lookup table as the API and the config file describe it (Panther's YAML keys, in camelCase)."""

    lookup_name: str = Field(min_length=1, max_length=255, description="The table's name; enrichment lands in "
                             "p_enrichment.<lookupName>.", examples=["known_vpn_ranges"])
    description: str = Field("", max_length=10_000)
    reference: str = Field("", max_length=2_000, description="A link about the data.")
    enabled: bool = Field(True, description="Disabled tables enrich nothing and answer no lookups.")
    log_schema: str | None = Field(None, alias="schema", max_length=255,
                                   description="A log type whose fields type the rows; without one (or when "
                                               "the registry lacks it) values stay as the data has them.")
    primary_key: str = Field(min_length=1, max_length=255, description="The column event values are matched "
                             "against; IP networks (CIDR) match the addresses they contain.", examples=["cidr"])
    associated_log_types: list[AssociatedLogType] = Field(default_factory=list, max_length=1000)

    @field_validator("lookup_name", "primary_key")
    @classmethod
    def _printable(cls, value: str) -> str:
        value = value.strip()
        if not value or _CONTROL.search(value):
            raise ValueError("must be printable text, not blank")
        return value

    def public(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True)


@dataclass(frozen=True)
class LookupTableDefinition:
    settings: LookupTableSettings
    managed_by: str  # one of MANAGED_BY
    data_file: Path | None = None  # content and config tables: the CSV or JSONL file
    refresh: Mapping[str, Any] | None = None  # kept, never fetched
    query: str | None = None  # kept, never run
    source: str = ""  # where the definition was read (a YAML file, the config file)

    @property
    def name(self) -> str:
        return self.settings.lookup_name

    @property
    def lake_table(self) -> str:
        return lake_table_name(self.name)


class DefinitionError(ValueError):
    """A definition that cannot be used; the message names the table and the key at fault."""


def settings_from(document: Mapping[str, Any], *, where: str) -> LookupTableSettings:
    """Settings from the API's or config file's camelCase document; DefinitionError names each problem."""
    try:
        return LookupTableSettings.model_validate(document)
    except ValidationError as exc:
        raise DefinitionError(f"{where}: " + describe_errors(exc)) from None


def describe_errors(error: ValidationError) -> str:
    problems = []
    for item in error.errors(include_url=False):
        location = ".".join(str(part) for part in item["loc"]) or "body"
        message = "unknown key" if item["type"] == "extra_forbidden" else str(item["msg"])
        problems.append(f"{location}: {message.removeprefix('Value error, ')}")
    return "; ".join(problems)


def from_content_item(item: Any) -> LookupTableDefinition:
    """A definition from a loaded content item (``onca.detect.content.ContentItem`` of kind lookup_table)."""
    spec = item.spec
    mapping = spec.LogTypeMap
    document = {
        "lookupName": spec.LookupName, "enabled": spec.Enabled, "schema": spec.Schema_,
        "primaryKey": mapping.PrimaryKey, "description": (spec.Description or "").strip(),
        "reference": spec.Reference or "",
        "associatedLogTypes": [{"logType": a.LogType, "selectors": list(a.Selectors or [])}
                               for a in mapping.AssociatedLogTypes or []],
    }
    settings = settings_from(document, where=f"{item.path}: lookup table {spec.LookupName}")
    refresh = spec.Refresh.model_dump(exclude_none=True) if spec.Refresh is not None else None
    data_file = item.path.parent / spec.Filename if spec.Filename else None
    return LookupTableDefinition(settings, "content", data_file=data_file, refresh=refresh, query=spec.Query,
                                 source=str(item.path))
