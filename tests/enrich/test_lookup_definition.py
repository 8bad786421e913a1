"""Lookup table definitions: panther-analysis YAML read through the content loader, settings as the API and the
config file write them, lake table names, and problems named with their file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from onca.enrich import DefinitionError, content_tables, lake_table_name, settings_from
from onca.enrich.origins import config_definitions
from onca.runtime.server_config import ConfigError, load_config, parse_config

TABLE_YAML = """AnalysisType: lookup_table
LookupName: known_vpns
Enabled: true
Description: |
  Ranges of VPN providers.
Reference: https://example.com/vpns
Filename: known_vpns.csv
Schema: Custom.VPN
Refresh:
  RoleARN: arn:aws:iam::123456789012:role/lookups
  ObjectPath: s3://bucket/known_vpns.csv
  PeriodMinutes: 60
LogTypeMap:
  PrimaryKey: cidr
  AssociatedLogTypes:
    - LogType: Okta.SystemLog
      Selectors: ["$.client.ipAddress"]
    - LogType: AWS.CloudTrail
      Selectors: [sourceIPAddress, p_any_ip_addresses]
"""


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_definition_from_panther_analysis_yaml(tmp_path):
    root = write(tmp_path, {"lookup_tables/vpns.yml": TABLE_YAML, "lookup_tables/known_vpns.csv": "cidr\n"})
    found = content_tables([root])
    assert found.problems == []
    (definition,) = found.definitions
    settings = definition.settings
    assert (definition.name, definition.managed_by, settings.enabled) == ("known_vpns", "content", True)
    assert (settings.primary_key, settings.log_schema, settings.reference) == ("cidr", "Custom.VPN",
                                                                              "https://example.com/vpns")
    assert settings.description == "Ranges of VPN providers."
    assert [(a.log_type, a.selectors) for a in settings.associated_log_types] == [
        ("Okta.SystemLog", ["$.client.ipAddress"]), ("AWS.CloudTrail", ["sourceIPAddress", "p_any_ip_addresses"])]
    assert definition.data_file == root / "lookup_tables" / "known_vpns.csv"
    assert definition.refresh == {"RoleARN": "arn:aws:iam::123456789012:role/lookups",
                                  "ObjectPath": "s3://bucket/known_vpns.csv", "PeriodMinutes": 60}
    assert settings.public()["associatedLogTypes"][0] == {"logType": "Okta.SystemLog",
                                                          "selectors": ["$.client.ipAddress"]}


def test_content_problems_name_the_file_and_key(tmp_path):
    bad_selector = TABLE_YAML.replace("$.client.ipAddress", "$.client[[")
    no_key = TABLE_YAML.replace("  PrimaryKey: cidr\n", "").replace("known_vpns", "other")
    root = write(tmp_path, {"lookup_tables/a.yml": bad_selector, "lookup_tables/b.yml": no_key,
                            "lookup_tables/c.yml": TABLE_YAML.replace("Filename: known_vpns.csv\n", ""),
                            "lookup_tables/d.yml": TABLE_YAML})
    found = content_tables([root])
    messages = [str(p) for p in found.problems]
    assert any("a.yml" in m and "not a valid JSON path" in m for m in messages), messages
    assert any("b.yml" in m and "LogTypeMap.PrimaryKey: required key is missing" in m for m in messages), messages
    assert any("d.yml" in m and "already defined in" in m for m in messages), messages
    assert [d.source for d in found.definitions] == [str(root / "lookup_tables" / "c.yml")]
    assert found.definitions[0].data_file is None  # refreshed from S3: kept, never fetched


def test_settings_are_checked_with_what_is_wrong():
    with pytest.raises(DefinitionError, match=r"primaryKey: Field required"):
        settings_from({"lookupName": "x"}, where="body")
    with pytest.raises(DefinitionError, match=r"lookupName: must be printable text"):
        settings_from({"lookupName": "bad\x00name", "primaryKey": "ip"}, where="body")
    with pytest.raises(DefinitionError, match=r"selector '\$\.\[' is not a valid JSON path"):
        settings_from({"lookupName": "x", "primaryKey": "ip",
                       "associatedLogTypes": [{"logType": "A.B", "selectors": ["$.["]}]}, where="body")
    with pytest.raises(DefinitionError, match="colour: unknown key"):
        settings_from({"lookupName": "x", "primaryKey": "ip", "colour": "red"}, where="body")
    assert settings_from({"lookupName": " x ", "primaryKey": "ip"}, where="body").lookup_name == "x"


def test_lake_table_names():
    assert lake_table_name("ipinfo_location") == "ipinfo_location"
    assert lake_table_name("1Password Translation") == "1password_translation"
    assert lake_table_name("TrailDiscover") == "traildiscover"


def test_config_file_tables(tmp_path):
    (tmp_path / "lookups").mkdir()
    config_file = tmp_path / "onca.yml"
    config_file.write_text("""
lookupTables:
  - lookupName: known_vpns
    primaryKey: cidr
    file: lookups/known_vpns.csv
    associatedLogTypes:
      - logType: AWS.CloudTrail
        selectors: [sourceIPAddress]
lookupTableMaxBytes: 1000
""")
    config = load_config(config_file)
    assert config.lookup_table_max_bytes == 1000
    (definition,) = config_definitions(config.lookup_tables)
    assert definition.managed_by == "config" and definition.data_file == tmp_path / "lookups" / "known_vpns.csv"
    with pytest.raises(ConfigError, match="lookupName 'a' is used twice"):
        parse_config({"lookupTables": [{"lookupName": "a", "primaryKey": "k"}] * 2})
    with pytest.raises(ConfigError, match=r"lookupTables\.0\.primaryKey"):
        parse_config({"lookupTables": [{"lookupName": "a"}]})
