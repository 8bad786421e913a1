from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml

from onca.detect.content import load_yaml
from onca.yaml12 import Yaml12Loader, describe_yaml_error, load_yaml_documents

PANTHER_ANALYSIS = Path("/work/panther-analysis")  # a snapshot, when this machine has one



@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("On: 1", {"On": 1}),  # YAML 1.1 would make this key True
        ("a: yes", {"a": "yes"}),
        ("a: off", {"a": "off"}),
        ("a: True", {"a": True}),
        ("a: FALSE", {"a": False}),
        ("a: 2024-01-02T03:04:05Z", {"a": "2024-01-02T03:04:05Z"}),
        ("a: 2024-01-02", {"a": "2024-01-02"}),
        ("a: 0123", {"a": 123}),  # decimal, not octal
        ("a: 0o17", {"a": 15}),
        ("a: 0x1F", {"a": 31}),
        ("a: 1:30", {"a": "1:30"}),  # no sexagesimal
        ("a: 1_000", {"a": 1000}),
        ("a: 0b101", {"a": 5}),
        ("a: -0x1f", {"a": -31}),
        ("a: 1_000.5", {"a": 1000.5}),
        ("a: 1e3", {"a": 1000.0}),
        ("a: _1", {"a": "_1"}),
        ("a: 1.2.3", {"a": "1.2.3"}),
        ("a: 10.0.0.1", {"a": "10.0.0.1"}),
        ("a: -1.5e3", {"a": -1500.0}),
        ("a: .5", {"a": 0.5}),
        ("a: ~", {"a": None}),
        ("a: Null", {"a": None}),
        ("a:", {"a": None}),
        ("a: '12'", {"a": "12"}),
        ('a: "true"', {"a": "true"}),
        ("a: !!str 12", {"a": "12"}),
        ("a: !!int '7'", {"a": 7}),
        ("a: &x [1]\nb: *x", {"a": [1], "b": [1]}),
        ("base: &b {x: 1, y: 2}\nc:\n  <<: *b\n  y: 3", {"base": {"x": 1, "y": 2}, "c": {"x": 1, "y": 3}}),
        ("t: !!timestamp 2024-01-01", {"t": "2024-01-01"}),
        ("{a: [1, {b: n}]}", {"a": [1, {"b": "n"}]}),
    ],
)
def test_yaml12_core_schema(text, expected):
    assert load_yaml(text) == expected


def test_yaml12_infinity_and_nan():
    loaded = load_yaml("a: .inf\nb: -.Inf\nc: .NaN")
    assert loaded["a"] == math.inf and loaded["b"] == -math.inf and math.isnan(loaded["c"])


def test_yaml12_empty_document_is_none():
    assert load_yaml("") is None
    assert load_yaml("# only a comment\n") is None


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("a: [1, 2\n", "line 2"),
        ("a: 1\n---\nb: 2\n", "expected a single document"),
        ("? [1]\n: 2\n", "unhashable"),
        ("a: !custom 1\n", "could not determine a constructor"),
    ],
)
def test_yaml12_errors_located(text, fragment):
    with pytest.raises(yaml.YAMLError) as info:
        load_yaml(text)
    assert fragment in describe_yaml_error(info.value) or fragment in str(info.value)


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\n---\nb: [x, yes, 0123]\n",
        "",
        "---\n",
        "--- 5\n--- \n",
        "a: &x 1\nb: *x\n---\nc: On\n",  # an alias in one document: the complete loader for all of them
        "k: 1.5\n...\n---\nj: null\n",
        "- !!str 5\n---\n- .inf\n",
    ],
)
def test_yaml12_documents_match_the_complete_loader(text):
    documents = load_yaml_documents(text)
    assert documents == list(yaml.load_all(text, Loader=Yaml12Loader))


def test_yaml12_documents_error_located():
    with pytest.raises(yaml.YAMLError) as info:
        load_yaml_documents("a: 1\n---\nb: [1, 2\n")
    assert "line 4" in describe_yaml_error(info.value)


SNAPSHOT_FILES_DIFFERING_UNDER_YAML_1_1 = [
    "queries/snowflake_queries/snowflake_0108977_ip.yml",
    "rules/auth0_rules/auth0_bot_detection_disabled.yml",
    "rules/auth0_rules/auth0_push_notification_fatigue.yml",
    "rules/auth0_rules/auth0_token_reuse.yml",
    "rules/crowdstrike_rules/event_stream_rules/crowdstrike_ephemeral_user_account.yml",
    "rules/crowdstrike_rules/event_stream_rules/crowdstrike_new_admin_user_created.yml",
]


@pytest.mark.skipif(not PANTHER_ANALYSIS.is_dir(), reason="no panther-analysis snapshot")
@pytest.mark.parametrize("name", SNAPSHOT_FILES_DIFFERING_UNDER_YAML_1_1)
def test_yaml12_snapshot_files_match_ruamel_1_2(name):
    from ruamel.yaml import YAML

    reference = YAML(typ="safe", pure=True)
    reference.version = (1, 2)
    text = (PANTHER_ANALYSIS / name).read_bytes()
    assert load_yaml(text) == reference.load(text)
    assert load_yaml(text) != yaml.load(text, Loader=yaml.SafeLoader)  # YAML 1.1 reads these differently
