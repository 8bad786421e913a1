from pathlib import Path

import pytest

from onca.alerts.config import DestinationConfigError, DestinationSet, load_destinations, parse_destinations
from onca.alerts.destinations import build_destination
from onca.alerts.destinations.slack import SlackDestination
from onca.alerts.destinations.webhook import WebhookDestination
from onca.yaml12 import load_yaml

YAML = """
destinations:
  - kind: slack
    name: SecOps
    id: 5c3e1b2a-slack
    webhook_url: ${SLACK_HOOK}
    severities: [high, CRITICAL]
  - kind: webhook
    name: SOAR
    url: https://soar.example.com/hooks/onca
    headers: {Authorization: "Bearer ${SOAR_TOKEN}"}
    alert_types: [RULE, policy]
    log_types: [AWS.CloudTrail]
"""
ENV = {"SLACK_HOOK": "https://hooks.slack.com/services/T0/B0/XYZ", "SOAR_TOKEN": "tok-123"}


def problems_of(data, env=None) -> list[str]:
    with pytest.raises(DestinationConfigError) as caught:
        parse_destinations(data, env=env or {})
    return caught.value.problems


def test_config_yaml_file_builds_destinations_in_order(tmp_path):
    path = tmp_path / "destinations.yml"
    path.write_text(YAML)

    destinations = load_destinations(path, env=ENV)

    assert destinations.names == ("SecOps", "SOAR")
    slack, soar = destinations
    assert isinstance(slack, SlackDestination) and isinstance(soar, WebhookDestination)
    assert slack.config.webhook_url.get_secret_value() == ENV["SLACK_HOOK"]
    assert soar.config.headers["Authorization"].get_secret_value() == "Bearer tok-123"


def test_config_severities_and_alert_types_are_normalised(tmp_path):
    path = tmp_path / "destinations.yml"
    path.write_text(YAML)

    slack, soar = load_destinations(path, env=ENV)

    assert slack.config.severities == ("HIGH", "CRITICAL")
    assert soar.config.alert_types == ("rule", "policy")
    assert soar.config.log_types == ("AWS.CloudTrail",)


def test_config_json_file_and_plain_list(tmp_path):
    path = tmp_path / "destinations.json"
    path.write_text('[{"kind": "webhook", "name": "Hook", "url": "https://example.com/h", '
                    '"timeout_seconds": 3}]')

    [hook] = load_destinations(path, env={})

    assert hook.config.name == "Hook" and hook.config.timeout_seconds == 3


def test_config_lookup_by_name_or_id():
    destinations = parse_destinations(load_yaml(YAML), env=ENV)

    assert destinations["SecOps"] is destinations["5c3e1b2a-slack"]
    assert destinations.get("nope") is None and "nope" not in destinations
    assert destinations.id_of("SecOps") == "5c3e1b2a-slack"
    assert destinations.id_of("SOAR") == "SOAR"  # no id: the name stands in
    assert destinations.name_to_id() == {"SecOps": "5c3e1b2a-slack", "SOAR": "SOAR"}
    with pytest.raises(KeyError, match="nope"):
        destinations["nope"]


def test_config_env_value_can_fill_a_number_and_dollar_braces_can_be_escaped():
    [hook] = parse_destinations([{"kind": "webhook", "name": "H", "url": "https://example.com/${PATH_PART}",
                                  "timeout_seconds": "${TIMEOUT}", "signature_prefix": "$${literal}"}],
                                env={"PATH_PART": "alerts", "TIMEOUT": "2.5"})

    assert str(hook.config.url) == "https://example.com/alerts"
    assert hook.config.timeout_seconds == 2.5
    assert hook.config.signature_prefix == "${literal}"


def test_config_unset_env_variable_names_entry_field_and_variable():
    problems = problems_of([{"kind": "webhook", "name": "ok", "url": "https://example.com"},
                            {"kind": "slack", "name": "SecOps", "webhook_url": "${SLACK_HOOK}"}])

    assert problems == ["entry 2 (SecOps): webhook_url: environment variable SLACK_HOOK is not set"]


def test_config_bad_env_reference_is_reported():
    problems = problems_of([{"kind": "webhook", "name": "H", "url": "https://example.com/${not a name}"}])

    assert problems == ["entry 1 (H): url: ${not a name} is not a valid environment variable reference"]


def test_config_collects_every_problem_before_failing():
    problems = problems_of([
        {"name": "no kind"},
        {"kind": "carrier-pigeon", "name": "Pigeon"},
        {"kind": "webhook", "name": "Hook", "url": "not a url", "colour": "red"},
        {"kind": "slack", "name": "Slack"},
        "just text",
        {"kind": "webhook", "url": "https://example.com"},
    ])

    assert problems[0].startswith("entry 1 (no kind): kind: missing (one of: ")
    assert problems[1].startswith("entry 2 (Pigeon): kind: unknown destination kind 'carrier-pigeon'")
    assert "entry 3 (Hook): url: " in problems[2]
    assert problems[3] == "entry 3 (Hook): colour: unknown setting"
    assert problems[4] == "entry 4 (Slack): settings: set webhook_url, or both bot_token and channel"
    assert problems[5] == "entry 5: expected a mapping of settings, got str"
    assert problems[6] == "entry 6: name: required, a non-empty text"
    assert len(problems) == 7


def test_config_error_message_lists_problems_with_the_source(tmp_path):
    path = tmp_path / "d.yml"
    path.write_text("- kind: webhook\n  name: A\n  url: https://example.com\n  severities: [HIGH, URGENT]\n")

    with pytest.raises(DestinationConfigError) as caught:
        load_destinations(path, env={})

    message = str(caught.value)
    assert message.startswith(f"{path}: 1 problem:\n")
    assert ("entry 1 (A): severities: unknown value(s) 'URGENT' (one of INFO, LOW, MEDIUM, HIGH, CRITICAL)"
            in message)


def test_config_names_and_ids_must_be_unique():
    hook = {"kind": "webhook", "url": "https://example.com"}
    problems = problems_of([{**hook, "name": "A", "id": "a-1"}, {**hook, "name": "A"},
                            {**hook, "name": "B", "id": "a-1"}, {**hook, "name": "C", "id": "A"},
                            {**hook, "name": "D", "id": "D"}])

    assert problems == ["entry 2 (A): name 'A' is already used by entry 1 (A)",
                        "entry 3 (B): id 'a-1' is already used by entry 1 (A)",
                        "entry 4 (C): id 'A' is already used by entry 1 (A)"]


def test_config_skip_is_a_reserved_name():
    problems = problems_of([{"kind": "webhook", "name": "SKIP", "url": "https://example.com"}])

    assert problems == [
        "entry 1 (SKIP): name: 'SKIP' is reserved (a detection returns it to send an alert nowhere)"]


def test_config_wrong_shapes_are_reported():
    assert problems_of({"destinations": [], "extra": 1})[0].startswith("unknown top-level key(s): extra")
    assert problems_of("webhook") == ["expected a list of destinations, got str"]
    assert problems_of([{"kind": "webhook", "name": "H", "url": "https://e.com", "severities": "HIGH"}]) == [
        "entry 1 (H): severities: expected a list (of INFO, LOW, MEDIUM, HIGH, CRITICAL)"]
    assert problems_of([{"kind": ["webhook"], "name": "H"}])[0].startswith("entry 1 (H): kind: unknown")
    assert problems_of([{"kind": "webhook", "name": "H", "id": 7, "url": "https://e.com"}]) == [
        "entry 1 (H): id: must be a non-empty text"]


def test_config_empty_file_means_no_destinations(tmp_path):
    path = tmp_path / "empty.yml"
    path.write_text("# nothing yet\n")

    assert len(load_destinations(path, env={})) == 0
    assert len(parse_destinations({"destinations": None}, env={})) == 0


def test_config_unreadable_and_malformed_files(tmp_path):
    with pytest.raises(DestinationConfigError, match="cannot read the file"):
        load_destinations(tmp_path / "missing.yml")
    bad_yaml = tmp_path / "bad.yml"
    bad_yaml.write_text("- kind: webhook\n  name: [unclosed\n")
    with pytest.raises(DestinationConfigError, match=r"not valid YAML: line \d+, column \d+"):
        load_destinations(bad_yaml)
    bad_json = tmp_path / "bad.json"
    bad_json.write_text("[{")
    with pytest.raises(DestinationConfigError, match="not valid JSON"):
        load_destinations(bad_json)


def test_config_errors_do_not_echo_secret_values():
    problems = problems_of([{"kind": "slack", "name": "S", "webhook_url": "not-a-url-but-a-secret-xoxb"}])

    assert problems == ["entry 1 (S): webhook_url: not an http(s) URL"]


def test_destination_set_rejects_duplicates_and_bad_ids():
    a = build_destination("webhook", {"name": "A", "url": "https://example.com"})
    b = build_destination("webhook", {"name": "B", "url": "https://example.com"})

    with pytest.raises(ValueError, match="two destinations are named 'A'"):
        DestinationSet([a, a])
    with pytest.raises(ValueError, match="not a destination here"):
        DestinationSet([a], ids={"Z": "z"})
    with pytest.raises(ValueError, match="already the name or id"):
        DestinationSet([a, b], ids={"A": "B"})
    assert len(DestinationSet([a, b], ids={"A": "A"})) == 2


def test_config_example_in_the_docs_loads():
    text = (Path(__file__).resolve().parents[2] / "docs" / "destinations.md").read_text()
    section = text.split("## Routing and delivery", 1)[1]
    example = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    env = {"SLACK_SECOPS_WEBHOOK": "https://hooks.slack.com/services/T0/B0/X",
           "PAGERDUTY_ROUTING_KEY": "k" * 32, "SOAR_TOKEN": "t"}

    destinations = parse_destinations(load_yaml(example), env=env)

    assert destinations.names == ("SecOps", "On-call", "SOAR intake")
    assert destinations["5c3e1b2a-7d4f-4e8a-9b1c-2d3e4f5a6b7c"].config.name == "SecOps"
