"""What the engine makes of rule results: matches, signals, errors, and every field a finding carries."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from onca.detect.engine import load_engine_content

LOG_TYPE = "AWS.CloudTrail"
WHEN = datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)


def event(name: str, **fields: Any) -> dict[str, Any]:
    return {"p_log_type": LOG_TYPE, "p_event_time": WHEN, "eventName": name, **fields}


def test_engine_match_and_no_match(python_rule, make_engine):
    root = python_rule(
        "Match",
        "def rule(event):\n    return event.get('eventName') == 'Hit'\n",
        extra="DisplayName: Something Was Hit",
    )
    engine = make_engine(root, workers=0)
    events = [event("Miss"), event("Hit", user="alice"), event("Other")]
    findings = engine.evaluate(LOG_TYPE, events)
    assert [(f.kind, f.detection_id) for f in findings] == [("match", "Test.Match")]
    found = findings[0]
    assert found.event is events[1]
    assert found.event_time == WHEN
    assert found.log_type == LOG_TYPE and found.detection_type == "rule"
    assert found.title == "Something Was Hit"  # no title(): the DisplayName
    assert found.detection_name == "Something Was Hit"
    assert found.severity == "MEDIUM"
    assert found.dedup == "defaultDedupString:Test.Match"
    assert found.dedup_period_minutes == 60 and found.threshold == 1
    assert found.destinations is None and found.alert_context == {}


def test_engine_title_defaults_to_the_rule_id(python_rule, make_engine):
    root = python_rule("NoName", "def rule(event):\n    return True\n")
    assert make_engine(root, workers=0).evaluate(LOG_TYPE, [event("x")])[0].title == "Test.NoName"


def test_engine_create_alert_false_makes_a_signal(python_rule, make_engine):
    root = python_rule("Quiet", "def rule(event):\n    return True\n", extra="CreateAlert: false")
    findings = make_engine(root, workers=0).evaluate(LOG_TYPE, [event("x")])
    assert [f.kind for f in findings] == ["signal"]


def test_engine_raising_rule_is_an_error_finding(python_rule, make_engine):
    code = "def rule(event):\n    return event['missing'] == 1\n"
    root = python_rule("Broken", code, severity="High", extra="DisplayName: Broken Rule")
    findings = make_engine(root, workers=0).evaluate(LOG_TYPE, [event("x")])
    assert len(findings) == 1
    error = findings[0]
    assert error.kind == "error"
    assert error.error == "rule: KeyError: 'missing'"
    assert error.severity == "HIGH"  # rule errors come at the rule's own severity
    assert "Broken Rule" in error.title and "KeyError" in error.title
    traceback = error.alert_context["traceback"]
    assert "Broken.py" in traceback and "event['missing']" in traceback
    assert "onca/detect/engine" not in traceback and "onca/detect/runner" not in traceback  # from content on


def test_engine_rule_returning_a_non_boolean_is_an_error(python_rule, make_engine):
    root = python_rule("NotBool", "def rule(event):\n    return 'yes'\n")
    findings = make_engine(root, workers=0).evaluate(LOG_TYPE, [event("x")])
    assert findings[0].kind == "error"
    assert findings[0].error.startswith("rule: FunctionReturnTypeError: ")


def test_engine_inline_filters_apply_before_the_rule(python_rule, make_engine):
    extra = """
    InlineFilters:
      - KeyPath: userIdentity.type
        Condition: Equals
        Value: Root
    """
    root = python_rule("Filtered", "def rule(event):\n    return True\n", extra=extra)
    events = [
        event("a", userIdentity={"type": "Root"}),
        event("b", userIdentity={"type": "IAMUser"}),
        event("c"),
    ]
    findings = make_engine(root, workers=0).evaluate(LOG_TYPE, events)
    # As Panther documents: an inline filter on a key the event lacks lets the event through.
    assert [f.event["eventName"] for f in findings] == ["a", "c"]


def test_engine_applies_the_log_types_data_model(content_tree, make_engine):
    root = content_tree(
        {
            "data_models/ct.yml": """
            AnalysisType: datamodel
            DataModelID: Standard.AWS.CloudTrail
            Enabled: true
            LogTypes: [AWS.CloudTrail]
            Mappings:
              - Name: source_ip
                Path: sourceIPAddress
              - Name: actor_user
                Method: actor
            Filename: ct_model.py
        """,
            "data_models/ct_model.py": (
                "def actor(event):\n    return event.deep_get('userIdentity', 'userName')\n"
            ),
            "rules/udm.yml": """
            AnalysisType: rule
            RuleID: Test.Udm
            Enabled: true
            Severity: Low
            LogTypes: [AWS.CloudTrail]
            Filename: udm.py
        """,
            "rules/udm.py": (
                "def rule(event):\n    return event.udm('source_ip') == '10.0.0.1'\n"
                "def title(event):\n    return f\"{event.udm('actor_user')} from {event.udm('source_ip')}\"\n"
            ),
        }
    )
    events = [
        event("a", sourceIPAddress="10.0.0.1", userIdentity={"userName": "bob"}),
        event("b", sourceIPAddress="10.0.0.2"),
    ]
    findings = make_engine(root, workers=0).evaluate(LOG_TYPE, events)
    assert [f.title for f in findings] == ["bob from 10.0.0.1"]


DYNAMIC = """
def rule(event):
    return True

def title(event):
    return f"{event.get('eventName')} by {event.get('user')}"

def severity(event):
    return "critical" if event.get("user") == "root" else "DEFAULT"

def dedup(event):
    return f"user:{event.get('user')}"

def destinations(event):
    return ["Slack #alerts", "pager"] if event.get("user") == "root" else []

def alert_context(event):
    return {"user": event.get("user"), "nested": {"n": [1, 2]}}

def description(event):
    return "dynamic description"

def runbook(event):
    return "call someone"
"""


def test_engine_dynamic_alert_functions(python_rule, make_engine):
    extra = """
    Description: static description
    Reference: https://example.com/ref
    Runbook: static runbook
    Tags: [Cloud, Root]
    Reports:
      MITRE ATT&CK: [TA0004:T1078]
    OutputIds: [dest-1]
    DedupPeriodMinutes: 15
    Threshold: 5
    """
    root = python_rule("Dynamic", DYNAMIC, severity="Low", extra=extra)
    root_event, user_event = event("Login", user="root"), event("Login", user="carol")
    findings = make_engine(root, workers=0).evaluate(LOG_TYPE, [root_event, user_event])
    first, second = findings
    assert first.title == "Login by root" and second.title == "Login by carol"
    assert first.severity == "CRITICAL" and second.severity == "LOW"  # DEFAULT: the spec's severity
    assert first.dedup == "user:root"
    assert first.destinations == ("Slack #alerts", "pager")  # names as returned: routing resolves them
    assert second.destinations == ("SKIP",)  # an empty list: send nowhere
    assert first.alert_context == {"user": "root", "nested": {"n": [1, 2]}}
    assert first.description == "dynamic description" and first.runbook == "call someone"
    assert first.reference == "https://example.com/ref"  # no reference(): the spec's
    assert first.destination_overrides == ("dest-1",)
    assert first.dedup_period_minutes == 15 and first.threshold == 5
    assert first.tags == ("Cloud", "Root")
    assert first.reports == {"MITRE ATT&CK": ["TA0004:T1078"]}
    assert len(first.detection_version) == 12


def test_engine_failing_alert_function_falls_back_to_its_default(python_rule, make_engine):
    code = "def rule(event):\n    return True\ndef title(event):\n    return event['nope']\n"
    root = python_rule("BadTitle", code)
    findings = make_engine(root, workers=0).evaluate(LOG_TYPE, [event("x")])
    assert [(f.kind, f.title) for f in findings] == [("match", "Test.BadTitle")]


def test_engine_destination_names_resolve_through_the_mapping(python_rule, make_engine):
    code = "def rule(event):\n    return True\ndef destinations(event):\n    return ['SecOps']\n"
    root = python_rule("Dest", code)
    engine = make_engine(root, workers=0, destinations={"SecOps": "id-123"})
    assert engine.evaluate(LOG_TYPE, [event("x")])[0].destinations == ("id-123",)


def test_engine_simple_yaml_detection(content_tree, make_engine):
    root = content_tree(
        {
            "rules/simple.yml": """
        AnalysisType: rule
        RuleID: Test.Simple
        Enabled: true
        Severity: Info
        LogTypes: [AWS.CloudTrail]
        Detection:
          - Key: eventName
            Condition: Equals
            Value: DeleteTrail
        AlertTitle: "Trail deleted by {user}"
        DynamicSeverities:
          - ChangeTo: High
            Conditions:
              - Key: user
                Condition: Equals
                Value: root
    """
        }
    )
    events = [
        event("DeleteTrail", user="root"),
        event("CreateTrail", user="root"),
        event("DeleteTrail", user="x"),
    ]
    findings = make_engine(root, workers=0).evaluate(LOG_TYPE, events)
    assert [(f.title, f.severity) for f in findings] == [
        ("Trail deleted by root", "HIGH"),
        ("Trail deleted by x", "INFO"),
    ]


def test_engine_runs_only_the_rules_of_the_log_type(python_rule, make_engine):
    python_rule("Okta", "def rule(event):\n    return True\n", log_types=("Okta.SystemLog",))
    root = python_rule("Both", "def rule(event):\n    return True\n", log_types=("Okta.SystemLog", LOG_TYPE))
    engine = make_engine(root, workers=0)
    assert [f.detection_id for f in engine.evaluate(LOG_TYPE, [event("x")])] == ["Test.Both"]
    assert sorted(
        f.detection_id for f in engine.evaluate("Okta.SystemLog", [{"p_log_type": "Okta.SystemLog"}])
    ) == ["Test.Both", "Test.Okta"]
    assert engine.evaluate("Nobody.Uses", [{"a": 1}]) == []


def test_engine_findings_come_in_event_order_then_content_order(python_rule, make_engine):
    python_rule("First", "def rule(event):\n    return True\n")
    root = python_rule("Second", "def rule(event):\n    return event.get('eventName') != 'skip'\n")
    engine = make_engine(root, workers=0)
    engine_order = engine.rules_for(LOG_TYPE)
    findings = engine.evaluate(LOG_TYPE, [event("a"), event("skip"), event("b")])
    assert [(f.event["eventName"], f.detection_id) for f in findings] == [
        ("a", engine_order[0]),
        ("a", engine_order[1]),
        ("skip", "Test.First"),
        ("b", engine_order[0]),
        ("b", engine_order[1]),
    ]


def test_engine_event_time_falls_back_to_parse_time_then_now(python_rule, make_engine):
    root = python_rule("Always", "def rule(event):\n    return True\n")
    now = datetime(2030, 5, 6, tzinfo=UTC)
    engine = make_engine(root, workers=0)
    engine.clock = lambda: now
    events = [
        {"p_event_time": "2024-01-02 03:04:05.123456789"},
        {"p_event_time": "not a time", "p_parse_time": "2024-02-03T04:05:06Z"},
        {},
    ]
    times = [f.event_time for f in engine.evaluate(LOG_TYPE, events)]
    assert times == [
        datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=UTC),
        datetime(2024, 2, 3, 4, 5, 6, tzinfo=UTC),
        now,
    ]


def test_engine_skips_events_that_are_not_mappings(python_rule, make_engine):
    root = python_rule("Always", "def rule(event):\n    return True\n")
    engine = make_engine(root, workers=0)
    findings = engine.evaluate(LOG_TYPE, [event("a"), "not an event", event("b")])  # type: ignore[list-item]
    assert [f.event["eventName"] for f in findings] == ["a", "b"]
    assert engine.skipped_events == 1


def test_engine_metrics_count_per_detection(python_rule, make_engine):
    python_rule("Hits", "def rule(event):\n    return event.get('eventName') == 'hit'\n")
    root = python_rule("Errs", "def rule(event):\n    return event['x']\n")
    engine = make_engine(root, workers=0)
    engine.evaluate(LOG_TYPE, [event("hit"), event("miss"), event("hit")])
    metrics = engine.metrics()
    # The rule index spares Hits the "miss" event; Errs (a bare event["x"]) has no guard and sees all three.
    assert (metrics["Test.Hits"].events, metrics["Test.Hits"].matches, metrics["Test.Hits"].errors) == (
        2,
        2,
        0,
    )
    assert (metrics["Test.Errs"].events, metrics["Test.Errs"].matches, metrics["Test.Errs"].errors) == (
        3,
        0,
        3,
    )
    assert metrics["Test.Hits"].seconds > 0 and metrics["Test.Hits"].timeouts == 0


def test_engine_content_without_rules_loads_and_finds_nothing(content_tree, make_engine):
    root = content_tree({"README.md": "nothing here"})
    content = load_engine_content([root])
    assert content.detections == [] and content.problems == []
    assert make_engine(content, workers=0).evaluate(LOG_TYPE, [event("x")]) == []
