"""Alert keys of simple detections (AlertTitle, AlertContext, DynamicSeverities, GroupBy) and whole
simple detections."""

from __future__ import annotations

import pytest

from onca.detect.simple import (
    SimpleDetectionError,
    build_alert_context,
    compile_group_by,
    compile_simple_detection,
    dynamic_severity,
    render_alert_title,
)

EVENT = {
    "actor": {"login": "octocat", "id": 7},
    "repo": "my-org/my-repo",
    "action": "repo.archived",
    "private": False,
    "labels": ["a", "b"],
    "actor_location": {"country_code": "US"},
}


def test_simple_title_fills_key_paths() -> None:
    assert render_alert_title("{actor.login} archived {repo}", EVENT) == "octocat archived my-org/my-repo"
    assert render_alert_title("id={actor.id} private={private}", EVENT) == "id=7 private=false"
    assert render_alert_title("labels={labels} first={labels[0]}", EVENT) == 'labels=["a","b"] first=a'
    assert render_alert_title("no placeholders", EVENT) == "no placeholders"


def test_simple_title_missing_key_renders_empty_and_braces_escape() -> None:
    assert render_alert_title("Repository [{missing.key}] archived.", EVENT) == "Repository [] archived."
    assert render_alert_title("{{literal}} {repo}", EVENT) == "{literal} my-org/my-repo"


@pytest.mark.parametrize("template", ["{repo", "repo}", "{}", "{a..b}"])
def test_simple_title_rejects_malformed_templates(template: str) -> None:
    with pytest.raises(SimpleDetectionError, match=r"^AlertTitle"):
        render_alert_title(template, EVENT)


def test_simple_alert_context_builds_plain_values() -> None:
    spec = [
        {"KeyName": "actor", "KeyValue": {"Key": "actor"}},
        {"KeyName": "country", "KeyValue": {"KeyPath": "actor_location.country_code"}},
        {"KeyName": "login", "KeyValue": {"DeepKey": ["actor", "login"]}},
        {"KeyName": "absent", "KeyValue": {"Key": "user"}},
    ]
    assert build_alert_context(spec, EVENT) == {
        "actor": {"login": "octocat", "id": 7},
        "country": "US",
        "login": "octocat",
        "absent": None,
    }


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"KeyName": "a"}, "AlertContext: must be a list"),
        ([{"KeyName": "a"}], "AlertContext[0].KeyValue: must be a key specifier"),
        ([{"KeyValue": {"Key": "a"}}], "AlertContext[0].KeyName: must be a non-empty string"),
        (
            [{"KeyName": "a", "KeyValue": {"Key": "a"}}, {"KeyName": "a", "KeyValue": {"Key": "b"}}],
            "duplicate key name",
        ),
        (
            [{"KeyName": "a", "KeyValue": {"Key": "a", "Value": 1}}],
            "AlertContext[0].KeyValue.Value: unexpected key",
        ),
    ],
)
def test_simple_alert_context_errors(spec: object, message: str) -> None:
    with pytest.raises(SimpleDetectionError) as raised:
        build_alert_context(spec, EVENT)  # type: ignore[arg-type]
    assert message in str(raised.value)


def test_simple_dynamic_severity_first_matching_entry_wins() -> None:
    spec = [
        {
            "ChangeTo": "Critical",
            "Conditions": [{"KeyPath": "actor.login", "Condition": "Equals", "Value": "root"}],
        },
        {"ChangeTo": "low", "Conditions": [{"Key": "repo", "Condition": "StartsWith", "Value": "my-org/"}]},
        {"ChangeTo": "High", "Conditions": [{"Condition": "AlwaysTrue"}]},
    ]
    assert dynamic_severity(spec, EVENT) == "LOW"
    assert dynamic_severity(spec, {"actor": {"login": "root"}}) == "CRITICAL"
    assert dynamic_severity(spec, {}) == "HIGH"
    assert dynamic_severity(spec[:2], {}) is None


def test_simple_dynamic_severity_errors() -> None:
    with pytest.raises(SimpleDetectionError, match=r"DynamicSeverities\[0\]\.ChangeTo: must be one of"):
        dynamic_severity([{"ChangeTo": "Urgent", "Conditions": [{"Condition": "AlwaysTrue"}]}], EVENT)
    with pytest.raises(SimpleDetectionError, match=r"DynamicSeverities\[0\]\.Conditions\[0\]\.Condition"):
        dynamic_severity([{"ChangeTo": "High", "Conditions": [{"Key": "a", "Condition": "Nope"}]}], EVENT)


def test_simple_group_by_joins_values() -> None:
    dedup = compile_group_by([{"Key": "action"}, {"KeyPath": "actor.login"}, {"Key": "missing"}])
    assert dedup(EVENT) == "repo.archived:octocat:"


def test_simple_detection_filters_gate_the_logic() -> None:
    detection = compile_simple_detection(
        {
            "Detection": [{"Key": "action", "Condition": "Equals", "Value": "repo.archived"}],
            "InlineFilters": [{"KeyPath": "repo", "Condition": "DoesNotStartWith", "Value": "sandbox/"}],
            "AlertTitle": "Repository [{repo}] archived.",
            "DynamicSeverities": [
                {"ChangeTo": "High", "Conditions": [{"Key": "private", "Condition": "Equals", "Value": True}]}
            ],
            "GroupBy": [{"Key": "repo"}],
        }
    )
    assert detection.matches(EVENT)
    assert not detection.matches({**EVENT, "repo": "sandbox/tmp"})
    assert not detection.matches({**EVENT, "action": "repo.create"})
    assert detection.title is not None and detection.title(EVENT) == "Repository [my-org/my-repo] archived."
    assert detection.severity is not None and detection.severity({**EVENT, "private": True}) == "HIGH"
    assert detection.dedup is not None and detection.dedup(EVENT) == "my-org/my-repo"
    assert detection.alert_context is None


def test_simple_detection_python_rule_with_only_inline_filters() -> None:
    detection = compile_simple_detection({"InlineFilters": [{"All": []}]})
    assert detection.detection is None
    assert detection.matches({"anything": 1})
