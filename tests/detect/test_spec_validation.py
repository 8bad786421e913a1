from __future__ import annotations

import pytest

from onca.detect.content import ANALYSIS_TYPES, SpecError, validate_spec

VALID = {
    "rule": {"AnalysisType": "rule", "RuleID": "R", "Enabled": True, "Severity": "Low", "Filename": "r.py",
             "LogTypes": ["X"], "Tests": [{"Name": "t", "ExpectedResult": True, "Log": {"a": 1},
                                            "Mocks": [{"objectName": "f", "returnValue": "v"}]}]},
    "scheduled_rule": {"AnalysisType": "scheduled_rule", "RuleID": "S", "Enabled": True, "Severity": "High",
                       "Filename": "s.py", "ScheduledQueries": ["Q"]},
    "policy": {"AnalysisType": "policy", "PolicyID": "P", "Enabled": False, "Severity": "Critical",
               "Filename": "p.py", "ResourceTypes": ["AWS.S3.Bucket"],
               "Tests": [{"Name": "t", "ExpectedResult": False, "Resource": {}}]},
    "correlation_rule": {"AnalysisType": "correlation_rule", "RuleID": "C", "Enabled": True, "Severity": "Info",
                         "Detection": [{"Sequence": []}],
                         "Tests": [{"Name": "t", "ExpectedResult": True, "RuleOutputs": [{"ID": "a"}]}]},
    "scheduled_query": {"AnalysisType": "scheduled_query", "QueryName": "Q", "Enabled": True, "Query": "select 1",
                        "Schedule": {"RateMinutes": 60, "TimeoutMinutes": 5}},
    "saved_query": {"AnalysisType": "saved_query", "QueryName": "SQ", "Query": "select 1"},
    "datamodel": {"AnalysisType": "datamodel", "DataModelID": "D", "Enabled": True, "LogTypes": ["X"],
                  "Mappings": [{"Name": "a", "Path": "b"}, {"Name": "c", "Method": "f"}]},
    "global": {"AnalysisType": "global", "GlobalID": "g", "Filename": "g.py"},
    "lookup_table": {"AnalysisType": "lookup_table", "LookupName": "L", "Enabled": True, "Schema": "Custom.L",
                     "Refresh": {"ObjectPath": "s3://b/k", "PeriodMinutes": 60},
                     "LogTypeMap": {"PrimaryKey": "ip", "AssociatedLogTypes": [{"LogType": "X", "Selectors": ["a"]}]}},
    "pack": {"AnalysisType": "pack", "PackID": "PK", "PackDefinition": {"IDs": ["R"]}},
}


def problems(raw: dict) -> list[str]:
    with pytest.raises(SpecError) as info:
        validate_spec(raw)
    return info.value.problems


def test_spec_every_type_has_a_valid_example():
    assert set(VALID) == set(ANALYSIS_TYPES)
    for kind, raw in VALID.items():
        assert validate_spec(raw).AnalysisType == kind


def test_spec_unknown_keys_named():
    assert problems({**VALID["rule"], "Severty": "Low"}) == ["Severty: unknown key"]
    assert problems({**VALID["global"], "Extra": 1}) == ["Extra: unknown key"]
    nested = {**VALID["rule"], "Tests": [{"Name": "t", "ExpectedResult": True, "Log": {}, "Mock": []}]}
    assert problems(nested) == ["Tests[0].Mock: unknown key"]


def test_spec_types_and_values_named():
    found = problems({**VALID["rule"], "Enabled": "yes", "Severity": "Severe", "DedupPeriodMinutes": "60"})
    assert "Enabled: Input should be a valid boolean" in found
    assert any(p.startswith("Severity: Input should be 'Info'") for p in found)
    assert "DedupPeriodMinutes: Input should be a valid integer" in found
    mock = {**VALID["rule"], "Tests": [{"Name": "t", "ExpectedResult": True, "Log": {},
                                        "Mocks": [{"objectName": "x", "returnValue": 3}]}]}
    assert problems(mock) == ["Tests[0].Mocks[0].returnValue: Input should be a valid string or boolean"]


def test_spec_required_keys_named():
    raw = dict(VALID["policy"])
    del raw["Severity"]
    assert problems(raw) == ["Severity: required key is missing"]
    assert problems({**VALID["rule"], "Tests": [{"Name": "t", "ExpectedResult": True}]}) == [
        "Tests[0].Log: required key is missing"
    ]


def test_spec_rule_sources_exclusive():
    both = {**VALID["rule"], "Detection": [{"Key": "a", "Condition": "Exists"}]}
    assert problems(both) == ["<spec>: needs exactly one of Filename and Detection (both given)"]
    neither = {k: v for k, v in VALID["scheduled_rule"].items() if k != "ScheduledQueries"}
    assert problems(neither) == ["<spec>: needs exactly one of LogTypes and ScheduledQueries"]


def test_spec_ids_and_sets_checked():
    assert problems({**VALID["rule"], "RuleID": "bad<id>"})[0].startswith("RuleID: String should match pattern")
    assert problems({**VALID["rule"], "LogTypes": ["X", "X"]}) == ["LogTypes: repeated entries"]
    assert problems({**VALID["rule"], "Tags": ["AWS", "aws"]}) == ["Tags: entries repeated with different case"]


def test_spec_schedule_rules():
    schedule = {**VALID["scheduled_query"], "Schedule": {"RateMinutes": 5, "TimeoutMinutes": 10}}
    assert problems(schedule) == ["Schedule: RateMinutes must be >= TimeoutMinutes"]
    both = {**VALID["scheduled_query"], "Schedule": {"RateMinutes": 60, "CronExpression": "* * * * *",
                                                     "TimeoutMinutes": 1}}
    assert problems(both) == ["Schedule: needs exactly one of CronExpression and RateMinutes (both given)"]
    assert problems({**VALID["saved_query"], "Query": None}) == [
        "<spec>: needs one of Query, AthenaQuery, SnowflakeQuery"
    ]


def test_spec_datamodel_mapping_needs_path_or_method():
    raw = {**VALID["datamodel"], "Mappings": [{"Name": "a", "Path": "x", "Method": "y"}]}
    assert problems(raw) == ["Mappings[0]: needs exactly one of Path and Method (both given)"]


def test_spec_analysis_type_checked():
    assert problems({"AnalysisType": "rules"})[0].startswith("AnalysisType: must be one of rule, scheduled_rule")
    assert problems(["not", "a", "mapping"]) == ["<spec>: must be a mapping, got list"]  # type: ignore[arg-type]


def test_spec_derived_rule_schema():
    derived = {"AnalysisType": "rule", "RuleID": "D", "BaseDetection": "R", "Severity": "High"}
    assert validate_spec(derived).BaseDetection == "R"  # type: ignore[attr-defined]
    assert problems({**derived, "Filename": "x.py"}) == ["Filename: unknown key"]
