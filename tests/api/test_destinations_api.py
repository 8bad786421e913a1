"""Destinations managed through the API: created, read, replaced and deleted over HTTP, kept in the store, and
live: the next alert of an event ingested over an HTTP source goes where the API last said, without a restart.
Secrets never come back out; the config file's destinations cannot be changed here."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import time
from collections.abc import Iterator

import pytest
from loopback import Receiver
from server_fixtures import OKTA_EVENT, STOP_LOGGING, Running, start_server

from onca.api.audit import redact
from onca.runtime.demo import example_detections

SECRET = "whsec_live_3b1f0c9d"
BEARER = "Bearer t0ken-of-the-receiver"
CONFIG_HOOK = {"name": "Config hook", "id": "cfg", "kind": "webhook", "url": "http://127.0.0.1:9/never",
               "severities": ["CRITICAL"]}
# a detection that names its destination: routing must find one created after the server started
NAMED_RULE_SPEC = """AnalysisType: rule
RuleID: Test.Okta.NamedDestination
Filename: named_destination.py
Enabled: true
Severity: Low
LogTypes: [Okta.SystemLog]
"""
NAMED_RULE_CODE = """def rule(event):
    return True


def title(event):
    return "Okta sign-in " + event.get("uuid")


def destinations(event):
    return ["Okta desk"]
"""


@pytest.fixture
def api(tmp_path) -> Iterator[Running]:
    rules = tmp_path / "content" / "rules"
    rules.mkdir(parents=True)
    (rules / "named_destination.yml").write_text(NAMED_RULE_SPEC)
    (rules / "named_destination.py").write_text(NAMED_RULE_CODE)
    client, server, admin = start_server(tmp_path / "data", destinations=[CONFIG_HOOK],
                                         detections=[str(example_detections()), str(tmp_path / "content")])
    with client:
        yield Running(client, server, admin.token, admin.email)


def _put(api: Running, path: str, body: dict):
    return api.client.put(path, headers=api.headers, json=body)


def _wait_for(receiver: Receiver, count: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while len(receiver.requests) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(receiver.requests) >= count, f"{len(receiver.requests)} requests, expected {count}"


def _stop_logging(api: Running, trail: str) -> None:
    event = copy.deepcopy(STOP_LOGGING)
    event["requestParameters"]["name"] = trail
    event["eventID"] = f"e-{trail}"
    assert api.client.post("/http/trail", content=json.dumps(event)).status_code == 200


def _signed(request, secret: str) -> bool:
    expected = "sha256=" + hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(request.headers["x-onca-signature"], expected)


def _hook(receiver: Receiver, **changes) -> dict:
    return {"displayName": "SOC hook", "outputType": "webhook", "defaultForSeverity": ["HIGH", "CRITICAL"],
            "settings": {"url": f"{receiver.url}/alerts", "signing_secret": SECRET,
                         "headers": {"Authorization": BEARER}}, **changes}


def _drain(api: Running) -> None:
    api.settle()
    assert api.server.service.detection.stage.dispatcher.drain(30)


def test_a_destination_created_through_the_api_receives_the_next_alert(api, receiver):
    created = api.post("/api/v1/destinations", json=_hook(receiver))
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["displayName"], body["outputType"], body["managedBy"]) == ("SOC hook", "webhook", "api")
    assert body["defaultForSeverity"] == ["HIGH", "CRITICAL"] and body["createdBy"] == api.admin_email
    assert SECRET not in created.text and BEARER not in created.text
    output_id = body["outputId"]

    _stop_logging(api, "main")
    _wait_for(receiver, 1)
    delivered = receiver.requests[0]
    assert delivered.path == "/alerts" and delivered.headers["authorization"] == BEARER
    assert _signed(delivered, SECRET)  # the stored secret, not its masked form, signs the alert
    assert delivered.json()["title"] == "CloudTrail main stopped logging in account 123456789012"

    alert = api.get("/api/v1/alerts").json()["results"][0]
    deadline = time.monotonic() + 10
    while not api.get(f"/api/v1/alerts/{alert['id']}").json()["deliveries"] and time.monotonic() < deadline:
        time.sleep(0.05)
    delivery = api.get(f"/api/v1/alerts/{alert['id']}").json()["deliveries"][0]
    assert delivery["success"] is True and delivery["outputId"] == output_id


def test_a_server_started_without_destinations_delivers_to_one_created_later(tmp_path, receiver):
    client, server, admin = start_server(tmp_path, detections=[str(example_detections())])
    with client:
        api = Running(client, server, admin.token, admin.email)
        assert api.post("/api/v1/destinations", json=_hook(receiver)).status_code == 201
        _stop_logging(api, "main")
        _wait_for(receiver, 1)
    assert _signed(receiver.requests[0], SECRET)


def test_destinations_are_read_back_with_secrets_masked(api, receiver):
    output_id = api.post("/api/v1/destinations", json=_hook(receiver, outputId="soc-hook")).json()["outputId"]
    assert output_id == "soc-hook"

    listed = api.get("/api/v1/destinations").json()["results"]
    one = api.get("/api/v1/destinations/soc-hook").json()
    by_name = api.get("/api/v1/destinations/SOC hook").json()

    assert [(d["outputId"], d["managedBy"]) for d in listed] == [("cfg", "config"), ("soc-hook", "api")]
    assert one == by_name == listed[1]
    assert one["settings"]["signing_secret"] == "**********"
    assert one["settings"]["headers"] == {"Authorization": "**********"}
    assert one["settings"]["url"] == f"{receiver.url}/alerts"
    for answer in (listed, one):
        assert SECRET not in json.dumps(answer) and BEARER not in json.dumps(answer)
    assert api.get("/api/v1/destinations/nope").status_code == 404


def test_updates_take_effect_for_the_next_alert_and_keep_masked_secrets(api, receiver, other_receiver):
    output_id = api.post("/api/v1/destinations", json=_hook(receiver)).json()["outputId"]
    shown = api.get(f"/api/v1/destinations/{output_id}").json()

    # what a GET showed, sent back with one change: the masked secrets stand for the stored ones
    shown["settings"]["url"] = f"{other_receiver.url}/moved"
    updated = _put(api, f"/api/v1/destinations/{output_id}", shown)
    assert updated.status_code == 200, updated.text
    assert updated.json()["settings"]["url"] == f"{other_receiver.url}/moved"
    assert SECRET not in updated.text

    _stop_logging(api, "moved")
    _wait_for(other_receiver, 1)
    assert receiver.requests == []
    assert _signed(other_receiver.requests[0], SECRET)
    assert other_receiver.requests[0].headers["authorization"] == BEARER

    # secrets left out are kept too; severities now exclude the alert's HIGH
    renamed = _put(api, f"/api/v1/destinations/{output_id}", {
        "displayName": "SOC critical only", "defaultForSeverity": ["CRITICAL"],
        "settings": {"url": f"{other_receiver.url}/moved"}})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["displayName"] == "SOC critical only"
    assert renamed.json()["settings"]["signing_secret"] == "**********"
    stored = api.server.store.destinations.get(output_id)
    assert stored.settings["signing_secret"] == SECRET and stored.settings["headers"] == {"Authorization": BEARER}

    _stop_logging(api, "quiet")
    _drain(api)
    assert len(other_receiver.requests) == 1 and receiver.requests == []


def test_a_deleted_destination_receives_nothing_more(api, receiver):
    output_id = api.post("/api/v1/destinations", json=_hook(receiver)).json()["outputId"]
    _stop_logging(api, "first")
    _wait_for(receiver, 1)

    assert api.delete(f"/api/v1/destinations/{output_id}").status_code == 204
    assert api.get(f"/api/v1/destinations/{output_id}").status_code == 404
    assert api.server.store.destinations.get(output_id) is None
    _stop_logging(api, "second")
    _drain(api)

    assert len(receiver.requests) == 1
    assert len(api.get("/api/v1/alerts").json()["results"]) == 2
    assert api.delete(f"/api/v1/destinations/{output_id}").status_code == 404


def test_a_detection_names_a_destination_created_after_the_start(api, receiver):
    created = api.post("/api/v1/destinations", json={
        "name": "Okta desk", "kind": "webhook", "severities": ["CRITICAL"],  # Onca's own key names work too
        "settings": {"url": f"{receiver.url}/okta"}})
    assert created.status_code == 201, created.text

    answer = api.client.post("/http/okta", content=json.dumps(OKTA_EVENT), headers={"X-Okta-Secret": "s3cret"})
    assert answer.status_code == 200
    _wait_for(receiver, 1)  # named by the detection: its severities do not matter
    assert receiver.requests[0].path == "/okta"
    assert receiver.requests[0].json()["title"] == "Okta sign-in u-1"


def test_config_file_destinations_are_read_only(api, receiver):
    put = _put(api, "/api/v1/destinations/cfg", {"settings": {"url": f"{receiver.url}/x"}})
    deleted = api.delete("/api/v1/destinations/Config hook")
    clash = api.post("/api/v1/destinations", json=_hook(receiver, displayName="Config hook"))
    clash_id = api.post("/api/v1/destinations", json=_hook(receiver, outputId="cfg"))

    for answer in (put, deleted):
        assert answer.status_code == 409 and "config file" in answer.json()["message"]
    for answer in (clash, clash_id):
        assert answer.status_code == 409 and "a destination of the config file" in answer.json()["message"]
    assert api.get("/api/v1/destinations/cfg").json()["managedBy"] == "config"


@pytest.mark.parametrize(("change", "named"), [
    ({"outputType": "carrier-pigeon"}, "outputType: unknown destination kind 'carrier-pigeon'"),
    ({"settings": {"url": "not a url"}}, "settings.url:"),
    ({"settings": {"url": "https://x.example", "colour": "red"}}, "settings.colour: unknown setting"),
    ({"defaultForSeverity": ["URGENT"]}, "defaultForSeverity: unknown value(s) 'URGENT'"),
    ({"displayName": "SKIP"}, "displayName: 'SKIP' is reserved"),
    ({"outputId": "has/slash"}, "outputId:"),
    ({"settings": {"url": "https://x.example", "signing_secret": "**********"}}, "settings.signing_secret:"),
])
def test_invalid_destinations_are_refused_naming_the_field(api, receiver, change, named):
    answer = api.post("/api/v1/destinations", json=_hook(receiver, **change))
    assert answer.status_code == 400, answer.text
    assert named in answer.json()["message"]
    assert api.server.store.destinations.list() == []


def test_unknown_fields_and_missing_names_are_refused(api, receiver):
    typo = api.post("/api/v1/destinations", json=_hook(receiver, defaultForSeverities=["HIGH"]))
    nameless = api.post("/api/v1/destinations", json={"outputType": "webhook"})
    kind_in_settings = api.post("/api/v1/destinations", json=_hook(receiver, settings={"kind": "slack"}))
    assert typo.status_code == 422 and "defaultForSeverities" in typo.json()["message"]
    assert kind_in_settings.status_code == 422 and "settings: Value error, 'kind' is not one of the kind's " \
        "settings: give it as outputType" in kind_in_settings.json()["message"]
    assert nameless.status_code == 422 and "displayName" in nameless.json()["message"]


def test_update_errors_are_named(api, receiver):
    first = api.post("/api/v1/destinations", json=_hook(receiver)).json()["outputId"]
    api.post("/api/v1/destinations", json=_hook(receiver, displayName="Second"))

    taken = _put(api, f"/api/v1/destinations/{first}", {"displayName": "Second",
                                                          "settings": {"url": "https://x.example"}})
    new_id = _put(api, f"/api/v1/destinations/{first}", {"outputId": "other"})
    missing = _put(api, "/api/v1/destinations/nope", {"displayName": "x"})
    bad = _put(api, f"/api/v1/destinations/{first}", {"settings": {"url": "ftp://x"}})

    assert taken.status_code == 409 and "'Second'" in taken.json()["message"]
    assert new_id.status_code == 400 and "outputId" in new_id.json()["message"]
    assert missing.status_code == 404
    assert bad.status_code == 400 and "settings.url" in bad.json()["message"]
    assert api.get(f"/api/v1/destinations/{first}").json()["settings"]["url"] == f"{receiver.url}/alerts"


def test_destinations_created_through_the_api_survive_a_restart(tmp_path, receiver):
    client, server, admin = start_server(tmp_path, destinations=[CONFIG_HOOK])
    with client:
        api = Running(client, server, admin.token, admin.email)
        output_id = api.post("/api/v1/destinations", json=_hook(receiver)).json()["outputId"]
    client, server, _ = start_server(tmp_path, destinations=[CONFIG_HOOK])
    with client:
        again = server.destinations.get(output_id)
        assert again is not None and again.config.signing_secret.get_secret_value() == SECRET
        assert server.destinations.names == ("Config hook", "SOC hook")


def test_destination_secrets_are_kept_out_of_the_audit_log():
    recorded = redact({"displayName": "x", "settings": {
        "url": "https://x.example", "signing_secret": SECRET, "headers": {"Authorization": BEARER},
        "webhook_url": "https://hooks.slack.com/services/T/B/x"}})
    assert SECRET not in json.dumps(recorded) and BEARER not in json.dumps(recorded)
    assert "hooks.slack.com" not in json.dumps(recorded)
    assert recorded["settings"]["url"] == "https://x.example"
