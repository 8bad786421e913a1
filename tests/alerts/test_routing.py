import dataclasses
from datetime import UTC, datetime

import pytest

from onca.alerts.config import parse_destinations
from onca.alerts.model import Alert
from onca.alerts.routing import Route, accepts, route

T0 = datetime(2024, 5, 14, 9, 30, tzinfo=UTC)
ALERT = Alert(id="a1", type="rule", detection_id="AWS.Console.RootLogin", title="root login", severity="HIGH",
              created_at=T0, first_event_time=T0, last_event_time=T0, log_types=("AWS.CloudTrail",))


def hook(name: str, **extra) -> dict:
    return {"kind": "webhook", "name": name, "url": f"https://example.com/{name}", **extra}


@pytest.fixture
def destinations():
    return parse_destinations([
        hook("everything"),
        hook("pager", id="pd-0001", severities=["HIGH", "CRITICAL"]),
        hook("low-noise", severities=["INFO", "LOW"]),
        hook("cloudtrail-only", log_types=["AWS.CloudTrail"]),
        hook("okta-only", log_types=["Okta.SystemLog"]),
        hook("errors-only", alert_types=["rule_error"]),
    ], env={})


def names(result: Route) -> list[str]:
    return [d.config.name for d in result.targets]


def test_routing_defaults_filter_by_severity_type_and_log_types(destinations):
    result = route(ALERT, detection_destinations=None, overrides=(), destinations=destinations)

    assert names(result) == ["everything", "pager", "cloudtrail-only"]
    assert result.unknown == []


def test_routing_defaults_follow_the_alert_severity(destinations):
    low = dataclasses.replace(ALERT, severity="LOW")

    assert names(route(low, detection_destinations=None, overrides=(), destinations=destinations)) == [
        "everything", "low-noise", "cloudtrail-only"]


def test_routing_defaults_follow_the_alert_type(destinations):
    error = dataclasses.replace(ALERT, type="rule_error", log_types=("Okta.SystemLog",))

    assert names(route(error, detection_destinations=None, overrides=(), destinations=destinations)) == [
        "everything", "pager", "okta-only", "errors-only"]


def test_routing_destination_with_log_types_skips_alerts_without_log_types(destinations):
    policy = dataclasses.replace(ALERT, type="policy", log_types=())

    assert names(route(policy, detection_destinations=None, overrides=(), destinations=destinations)) == [
        "everything", "pager"]


def test_routing_overrides_replace_the_defaults_and_ignore_destination_filters(destinations):
    result = route(ALERT, detection_destinations=None, overrides=("okta-only", "pd-0001", "low-noise"),
                   destinations=destinations)

    assert names(result) == ["okta-only", "pager", "low-noise"]
    assert result.unknown == []


def test_routing_override_names_that_match_nothing_are_reported(destinations):
    targets, unknown = route(ALERT, detection_destinations=None, overrides=("pager", "deleted-dest"),
                             destinations=destinations)

    assert [d.config.name for d in targets] == ["pager"]
    assert unknown == ["deleted-dest"]


def test_routing_detection_destinations_win_over_overrides(destinations):
    result = route(ALERT, detection_destinations=("low-noise",), overrides=("pager",),
                   destinations=destinations)

    assert names(result) == ["low-noise"]


def test_routing_detection_destinations_by_name_or_id_each_once(destinations):
    result = route(ALERT, detection_destinations=("pd-0001", "pager", "okta-only"), overrides=(),
                   destinations=destinations)

    assert names(result) == ["pager", "okta-only"]


def test_routing_detection_destinations_unknown_names_are_reported_and_do_not_fall_back(destinations):
    result = route(ALERT, detection_destinations=("nope", "also-nope"), overrides=("pager",),
                   destinations=destinations)

    assert result.targets == [] and result.unknown == ["nope", "also-nope"]


@pytest.mark.parametrize("skip", [("SKIP",), ("pager", "SKIP"), ()])
def test_routing_skip_or_empty_list_sends_nowhere(destinations, skip):
    result = route(ALERT, detection_destinations=skip, overrides=("pager",), destinations=destinations)

    assert result == Route([], [])


def test_routing_none_from_destinations_falls_back_to_overrides(destinations):
    result = route(ALERT, detection_destinations=None, overrides=("low-noise",), destinations=destinations)

    assert names(result) == ["low-noise"]


def test_routing_no_destinations_configured():
    empty = parse_destinations([], env={})

    assert route(ALERT, detection_destinations=None, overrides=(), destinations=empty) == Route([], [])
    assert route(ALERT, detection_destinations=("x",), overrides=(), destinations=empty) == Route([], ["x"])


def test_routing_accepts_reads_only_the_destination_settings(destinations):
    assert accepts(destinations["cloudtrail-only"].config, ALERT)
    assert not accepts(destinations["okta-only"].config, ALERT)
    assert not accepts(destinations["low-noise"].config, ALERT)
