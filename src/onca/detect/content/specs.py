"""The analysis spec of every content type (panther-analysis YAML), as strict pydantic models.

Field names are the YAML keys themselves. Unknown keys are errors, so a typo never silently
drops a setting (see ``validate.py`` for how problems are reported).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

Id = Annotated[str, StringConstraints(pattern=r'^[^<>&"%]+$')]
SeverityName = Literal["Info", "Low", "Medium", "High", "Critical"]
ANALYSIS_TYPES = (
    "rule",
    "scheduled_rule",
    "policy",
    "correlation_rule",
    "scheduled_query",
    "saved_query",
    "datamodel",
    "global",
    "lookup_table",
    "pack",
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Spec(_Strict):
    AnalysisType: str
    BaseVersion: int | None = None


class Mock(_Strict):
    objectName: str
    returnValue: str | bool


class _Test(_Strict):
    Name: str
    ExpectedResult: bool
    Mocks: list[Mock] | None = None


class RuleTest(_Test):
    Log: Any
    LogType: str | None = None  # legacy, ignored


class PolicyTest(_Test):
    Resource: Any
    ResourceType: str | None = None  # legacy, ignored


class RuleOutput(_Strict):
    ID: str
    Matches: Any = None


class CorrelationTest(_Strict):
    Name: str
    ExpectedResult: bool
    RuleOutputs: list[RuleOutput]


class _Detection(Spec):
    Description: str | None = None
    DisplayName: Id | None = None
    OnlyUseBaseRiskScore: bool | None = None
    OutputIds: list[str] | None = None
    CreatedBy: str | None = None
    Reference: str | None = None
    Runbook: str | None = None
    Status: str | None = None
    Tags: list[str] | None = None
    Reports: dict[str, list[Any]] | None = None


class RuleSpec(_Detection):
    AnalysisType: Literal["rule", "scheduled_rule"]
    RuleID: Id
    Enabled: bool
    Severity: SeverityName
    Filename: str | None = None
    Detection: Any = None
    LogTypes: list[str] | None = None
    ScheduledQueries: list[str] | None = None
    DedupPeriodMinutes: int | None = None
    InlineFilters: Any = None
    SummaryAttributes: list[str] | None = None
    Threshold: int | None = None
    Tests: list[RuleTest] | None = None
    DynamicSeverities: Any = None
    AlertTitle: str | None = None
    AlertContext: Any = None
    GroupBy: Any = None
    CreateAlert: bool | None = None

    @model_validator(mode="after")
    def _exactly_one_source(self) -> RuleSpec:
        _exactly_one(self, "Filename", "Detection")
        _exactly_one(self, "LogTypes", "ScheduledQueries")
        return self


class DerivedRuleSpec(_Detection):
    """A rule that reuses another rule's code (``BaseDetection``) with its own settings."""

    AnalysisType: Literal["rule"]
    RuleID: Id
    BaseDetection: Id
    Enabled: bool | None = None
    Severity: SeverityName | None = None
    DedupPeriodMinutes: int | None = None
    InlineFilters: Any = None
    SummaryAttributes: list[str] | None = None
    Threshold: int | None = None
    DynamicSeverities: Any = None
    AlertTitle: str | None = None
    AlertContext: Any = None
    GroupBy: Any = None
    Tests: list[RuleTest] | None = None
    CreateAlert: bool | None = None


class PolicySpec(_Detection):
    AnalysisType: Literal["policy"]
    PolicyID: Id
    Enabled: bool
    Filename: str
    Severity: SeverityName
    ResourceTypes: list[str] | None = None
    ActionDelaySeconds: int | None = None
    AutoRemediationID: str | None = None
    AutoRemediationParameters: Any = None
    Suppressions: list[str] | None = None
    Tests: list[PolicyTest] | None = None


class CorrelationRuleSpec(_Detection):
    AnalysisType: Literal["correlation_rule"]
    RuleID: Id
    Enabled: bool
    Severity: SeverityName
    Detection: Any
    SummaryAttributes: list[str] | None = None
    CreateAlert: bool | None = None
    Tests: list[CorrelationTest] | None = None


class _QuerySpec(Spec):
    QueryName: Id
    Query: str | None = None
    AthenaQuery: str | None = None
    SnowflakeQuery: str | None = None
    Description: str | None = None
    Tags: list[str] | None = None
    Lookback: bool | None = None
    LookbackWindowSeconds: int | None = None

    @model_validator(mode="after")
    def _has_query(self) -> _QuerySpec:
        if self.Query is None and self.AthenaQuery is None and self.SnowflakeQuery is None:
            raise ValueError("needs one of Query, AthenaQuery, SnowflakeQuery")
        return self


class SavedQuerySpec(_QuerySpec):
    AnalysisType: Literal["saved_query"]


class QuerySchedule(_Strict):
    CronExpression: str | None = None
    RateMinutes: int | None = None
    TimeoutMinutes: int

    @model_validator(mode="after")
    def _rate_or_cron(self) -> QuerySchedule:
        _exactly_one(self, "CronExpression", "RateMinutes")
        if self.RateMinutes is not None:
            if self.RateMinutes <= 1:
                raise ValueError("RateMinutes must be > 1")
            if self.RateMinutes < self.TimeoutMinutes:
                raise ValueError("RateMinutes must be >= TimeoutMinutes")
        return self


class EmailConfigSpec(_Strict):
    Recipients: list[str]
    SendEmpty: bool | None = None
    PreferAttachment: bool | None = None


class ScheduledQuerySpec(_QuerySpec):
    AnalysisType: Literal["scheduled_query"]
    Enabled: bool
    Schedule: QuerySchedule
    EmailConfig: EmailConfigSpec | None = None


class MappingEntry(_Strict):
    Name: str
    Path: str | None = None
    Method: str | None = None

    @model_validator(mode="after")
    def _path_or_method(self) -> MappingEntry:
        _exactly_one(self, "Path", "Method")
        return self


class DataModelSpec(Spec):
    AnalysisType: Literal["datamodel"]
    DataModelID: Id
    Enabled: bool
    LogTypes: list[str]
    Mappings: list[MappingEntry]
    DisplayName: Id | None = None
    Filename: str | None = None


class GlobalSpec(Spec):
    AnalysisType: Literal["global"]
    GlobalID: Id
    Filename: str
    Description: str | None = None
    Tags: list[str] | None = None


class PackDefinitionSpec(_Strict):
    IDs: list[str]


class PackSpec(Spec):
    AnalysisType: Literal["pack"]
    PackID: Id
    PackDefinition: PackDefinitionSpec
    Description: str | None = None
    DisplayName: Id | None = None


class AssociatedLogTypeSpec(_Strict):
    LogType: str
    Selectors: list[str] | None = None


class LogTypeMapSpec(_Strict):
    PrimaryKey: str
    AssociatedLogTypes: list[AssociatedLogTypeSpec] | None = None


class RefreshSpec(_Strict):
    ObjectPath: str | None = None
    PeriodMinutes: int | None = None
    CronExpression: str | None = None
    AlarmPeriodMinutes: int | None = None
    RoleARN: str | None = None
    ObjectKMSKey: str | None = None
    GCSCredentials: str | None = None
    StorageProvider: str | None = None


class FieldList(_Strict):
    Field: str
    Indicators: list[str] | None = None
    Validations: list[str] | None = None


class LookupTableSpec(Spec):
    AnalysisType: Literal["lookup_table"]
    LookupName: str
    Enabled: bool
    LogTypeMap: LogTypeMapSpec
    Filename: str | None = None
    Refresh: RefreshSpec | None = None
    Schema_: str | None = Field(default=None, alias="Schema")
    Query: str | None = None
    Indicators: list[FieldList] | None = None
    Validations: list[FieldList] | None = None
    Description: str | None = None
    Reference: str | None = None

    @model_validator(mode="after")
    def _source(self) -> LookupTableSpec:
        if self.Query is not None:
            if self.Refresh is None:
                raise ValueError("a query-backed lookup table needs Refresh (PeriodMinutes or CronExpression)")
        else:
            if self.Filename is None and self.Refresh is None:
                raise ValueError("needs Filename or Refresh")
            if self.Schema_ is None:
                raise ValueError("needs Schema")
        return self


MODELS: dict[str, type[Spec]] = {
    "rule": RuleSpec,
    "scheduled_rule": RuleSpec,
    "policy": PolicySpec,
    "correlation_rule": CorrelationRuleSpec,
    "scheduled_query": ScheduledQuerySpec,
    "saved_query": SavedQuerySpec,
    "datamodel": DataModelSpec,
    "global": GlobalSpec,
    "lookup_table": LookupTableSpec,
    "pack": PackSpec,
}
ID_KEYS = {
    "rule": "RuleID",
    "scheduled_rule": "RuleID",
    "correlation_rule": "RuleID",
    "policy": "PolicyID",
    "scheduled_query": "QueryName",
    "saved_query": "QueryName",
    "datamodel": "DataModelID",
    "global": "GlobalID",
    "lookup_table": "LookupName",
    "pack": "PackID",
}


def _exactly_one(model: BaseModel, first: str, second: str) -> None:
    present = [name for name in (first, second) if getattr(model, name) is not None]
    if len(present) != 1:
        raise ValueError(f"needs exactly one of {first} and {second}" + (" (both given)" if present else ""))


def spec_id(raw: Mapping[str, Any]) -> str | None:
    key = ID_KEYS.get(str(raw.get("AnalysisType")))
    value = raw.get(key) if key else None
    return value if isinstance(value, str) else None
