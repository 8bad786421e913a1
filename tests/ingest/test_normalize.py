from __future__ import annotations

from datetime import UTC, datetime

import pytest

from onca.ingest.normalize import Normalizer, RecordError
from onca.schema import load_schemas

PARSE_TIME = datetime(2030, 1, 1, tzinfo=UTC)


def normalizer(yaml: str) -> Normalizer:
    return Normalizer(load_schemas(yaml)[0])


def normalize(n: Normalizer, record: dict) -> dict:
    return n.normalize(record, parse_time=PARSE_TIME, row_id="row-1", source_id="src", source_label="label")


APP = normalizer("""
schema: Custom.App
fields:
  - name: time
    type: timestamp
    timeFormat: rfc3339
    isEventTime: true
    required: true
  - name: count
    type: int
  - name: ratio
    type: float
  - name: ok
    type: boolean
  - name: name
    type: string
  - name: src
    type: string
    indicators: [ip]
  - name: user
    type: object
    fields:
      - name: email
        type: string
        indicators: [email]
      - name: arn
        type: string
        indicators: [aws_arn]
  - name: hosts
    type: array
    element:
      type: string
    indicators: [hostname]
  - name: details
    type: json
""")


def test_normalize_standard_fields_and_event_time():
    event = normalize(APP, {"time": "2024-03-01T12:00:05Z"})
    assert event["p_log_type"] == "Custom.App"
    assert event["p_row_id"] == "row-1"
    assert event["p_event_time"] == datetime(2024, 3, 1, 12, 0, 5, tzinfo=UTC)
    assert event["p_parse_time"] == PARSE_TIME
    assert event["p_source_id"] == "src" and event["p_source_label"] == "label"


def test_normalize_lenient_coercion():
    event = normalize(APP, {"time": "2024-03-01T12:00:05Z", "count": "42", "ratio": "0.5", "ok": "TRUE",
                            "name": 17})
    assert event["count"] == 42 and event["ratio"] == 0.5 and event["ok"] is True and event["name"] == "17"


def test_normalize_empty_string_is_null_for_non_strings():
    event = normalize(APP, {"time": "2024-03-01T12:00:05Z", "count": "", "ok": "", "name": ""})
    assert "count" not in event and "ok" not in event
    assert event["name"] == ""


def test_normalize_rejects_bad_number_naming_the_field():
    with pytest.raises(RecordError, match="count"):
        normalize(APP, {"time": "2024-03-01T12:00:05Z", "count": "many"})


def test_normalize_rejects_missing_required_field():
    with pytest.raises(RecordError, match="time: required"):
        normalize(APP, {"count": 1})


def test_normalize_rejects_out_of_range_smallint():
    n = normalizer("schema: Custom.S\nfields:\n  - name: n\n    type: smallint\n")
    with pytest.raises(RecordError, match="out of range"):
        normalize(n, {"n": 70000})


def test_normalize_indicators_are_collected_sorted_and_deduplicated():
    event = normalize(APP, {
        "time": "2024-03-01T12:00:05Z", "src": "198.51.100.7",
        "user": {"email": "alice@example.com", "arn": "arn:aws:iam::123456789012:user/alice"},
        "hosts": ["b.example.com", "203.0.113.9", "a.example.com", "b.example.com"],
    })
    assert event["p_any_ip_addresses"] == ["198.51.100.7", "203.0.113.9"]
    assert event["p_any_domain_names"] == ["a.example.com", "b.example.com"]
    assert event["p_any_emails"] == ["alice@example.com"]
    assert event["p_any_aws_arns"] == ["arn:aws:iam::123456789012:user/alice"]
    assert event["p_any_aws_account_ids"] == ["123456789012"]


def test_normalize_unknown_keys_are_kept_in_p_extra():
    event = normalize(APP, {"time": "2024-03-01T12:00:05Z", "surprise": 1, "user": {"email": "a@b.co", "x": [1]}})
    assert event["p_extra"] == {"surprise": 1, "user": {"x": [1]}}


def test_normalize_json_field_keeps_any_value():
    event = normalize(APP, {"time": "2024-03-01T12:00:05Z", "details": {"a": [1, None, {"b": True}]}})
    assert event["details"] == {"a": [1, None, {"b": True}]}


def test_normalize_embedded_json_object():
    n = normalizer("""
schema: Custom.E
fields:
  - name: payload
    type: object
    isEmbeddedJSON: true
    fields:
      - name: a
        type: int
""")
    assert normalize(n, {"payload": '{"a": "3"}'})["payload"] == {"a": 3}
    with pytest.raises(RecordError, match="payload: embedded JSON"):
        normalize(n, {"payload": "{not json"})


def test_normalize_without_event_time_uses_parse_time():
    n = normalizer("schema: Custom.N\nfields:\n  - name: a\n    type: string\n")
    assert normalize(n, {"a": "x"})["p_event_time"] == PARSE_TIME


def test_normalize_validate_rules():
    n = normalizer("""
schema: Custom.V
fields:
  - name: level
    type: string
    validate:
      allow: [info, warn]
  - name: addr
    type: string
    validate:
      ip: ipv4
""")
    assert normalize(n, {"level": "info", "addr": "192.0.2.1"})["level"] == "info"
    with pytest.raises(RecordError, match="level"):
        normalize(n, {"level": "debug"})
    with pytest.raises(RecordError, match="addr"):
        normalize(n, {"addr": "2001:db8::1"})


def test_normalize_transformations():
    n = normalizer("""
schema: Custom.T
fields:
  - name: source_ip
    rename:
      from: "Source IP"
  - name: user_name
    copy:
      from: user.name
  - name: user
    type: object
    fields:
      - name: name
        type: string
  - name: full
    concat:
      paths: [first, last]
      separator: " "
  - name: first
    type: string
  - name: last
    type: string
  - name: domain
    split:
      from: email
      separator: "@"
      index: 1
  - name: email
    type: string
  - name: password
    type: string
    mask:
      type: sha256
      salt: pepper
  - name: token
    type: string
    mask:
      type: redact
""")
    event = normalize(n, {"Source IP": "192.0.2.1", "user": {"name": "alice"}, "first": "Ada", "last": "Lovelace",
                          "email": "ada@example.com", "password": "hunter2", "token": "abc"})
    assert event["source_ip"] == "192.0.2.1"
    assert event["user_name"] == "alice"
    assert event["full"] == "Ada Lovelace"
    assert event["domain"] == "example.com"
    assert len(event["password"]) == 64 and event["password"] != "hunter2"
    assert event["token"] == "REDACTED"
    assert "p_extra" not in event  # the renamed key is consumed, not an extra


def test_normalize_array_wraps_scalar_and_drops_nulls():
    n = normalizer("schema: Custom.A\nfields:\n  - name: xs\n    type: array\n    element:\n      type: int\n")
    assert normalize(n, {"xs": "5"})["xs"] == [5]
    assert normalize(n, {"xs": [1, None, "", "2"]})["xs"] == [1, 2]
    assert "xs" not in normalize(n, {"xs": []})


def test_normalize_rewrites_field_names_as_panther_does_and_reads_them_back():
    n = normalizer("""
schema: Custom.Names
fields:
  - name: "@timestamp"
    type: timestamp
    isEventTime: true
  - name: id.orig_h
    type: string
""")
    event = normalize(n, {"@timestamp": "2024-03-01T12:00:05Z", "id.orig_h": "192.0.2.1"})
    assert event["at_sign_timestamp"] == datetime(2024, 3, 1, 12, 0, 5, tzinfo=UTC)
    assert event["id_orig_h"] == "192.0.2.1"
    again = normalize(n, {"at_sign_timestamp": "2024-03-01 12:00:05.000", "id_orig_h": "192.0.2.1"})
    assert again["at_sign_timestamp"] == event["at_sign_timestamp"] and "p_extra" not in again


def test_normalize_array_element_indicators_have_columns():
    from onca.ingest.columns import arrow_schema

    n = normalizer("""
schema: Custom.Arr
fields:
  - name: arns
    type: array
    element:
      type: string
      indicators: [aws_arn]
""")
    event = normalize(n, {"arns": ["arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcdef0"]})
    columns = set(arrow_schema(n.schema).names)
    assert {k for k in event if k.startswith("p_any_")} <= columns
    assert "p_any_aws_instance_ids" in columns


def test_normalize_validate_applies_to_numbers():
    n = normalizer("""
schema: Custom.Class
fields:
  - name: class_uid
    type: int
    required: true
    validate:
      allow: ["4003"]
""")
    assert normalize(n, {"class_uid": "4003"})["class_uid"] == 4003
    with pytest.raises(RecordError, match="class_uid"):
        normalize(n, {"class_uid": 4001})


def test_normalize_matches_keys_ignoring_case_when_no_key_matches_exactly():
    n = normalizer("""
schema: Custom.Cased
fields:
  - name: Time
    type: timestamp
    timeFormat: rfc3339
    isEventTime: true
    required: true
  - name: userPrincipalName
    type: string
    indicators: [email]
  - name: props
    type: object
    fields:
      - name: ipAddress
        type: string
        indicators: [ip]
""")
    event = normalize(n, {"time": "2026-01-02T03:04:05Z", "USERPRINCIPALNAME": "a@example.com",
                          "Props": {"IPADDRESS": "192.0.2.1", "other": 1}})
    assert event["Time"] == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert event["userPrincipalName"] == "a@example.com"
    assert event["props"] == {"ipAddress": "192.0.2.1"}
    assert event["p_any_ip_addresses"] == ["192.0.2.1"] and event["p_any_emails"] == ["a@example.com"]
    assert event["p_extra"] == {"props": {"other": 1}}
    # an exact key wins; the other spelling is kept as an extra, not lost
    both = normalize(n, {"Time": "2026-01-02T03:04:05Z", "userPrincipalName": "x@example.com",
                         "USERPRINCIPALNAME": "y@example.com"})
    assert both["userPrincipalName"] == "x@example.com"
    assert both["p_extra"] == {"USERPRINCIPALNAME": "y@example.com"}


def test_normalize_indicators_inside_json_values():
    n = normalizer("""
schema: Custom.Api
fields:
  - name: request
    type: json
    indicators: [aws_arn, ip]
  - name: embedded
    type: json
    isEmbeddedJSON: true
    indicators: [ip]
""")
    event = normalize(n, {"request": {"roleArn": "arn:aws:iam::123456789012:role/Admin", "n": 3,
                                      "peers": [{"addr": "192.0.2.9"}, "not an address"]},
                          "embedded": '{"source": "2001:db8::1"}'})
    assert event["request"]["n"] == 3 and event["embedded"] == {"source": "2001:db8::1"}
    assert event["p_any_aws_arns"] == ["arn:aws:iam::123456789012:role/Admin"]
    assert event["p_any_aws_account_ids"] == ["123456789012"]
    assert event["p_any_ip_addresses"] == ["192.0.2.9", "2001:db8::1"]
