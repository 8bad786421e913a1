"""The lookup tables of panther-analysis load as definitions (their data comes from S3 refreshes or SQL, which
Onca keeps but does not fetch), and given rows they produce the p_enrichment that panther-analysis's own
helpers (LookupTableMatches, TorExitNodes) read."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from onca.detect.engine import Engine, EngineOptions, load_engine_content
from onca.enrich import LookupService, build_table, content_tables
from onca.schema import Registry

PANTHER_ANALYSIS = Path("/work/panther-analysis")  # a snapshot, when this machine has one

pytestmark = pytest.mark.skipif(not PANTHER_ANALYSIS.is_dir(), reason="no panther-analysis snapshot")

TOR_RULE_YML = """AnalysisType: rule
RuleID: Test.Tor
Filename: tor_rule.py
Enabled: true
Severity: High
LogTypes: [Okta.SystemLog]
"""
TOR_RULE_PY = """
from panther_tor_helpers import TorExitNodes


def rule(event):
    return TorExitNodes(event).has_exit_nodes()


def title(event):
    return f"Tor exit node {TorExitNodes(event).ip_address('client.ipAddress')}"
"""


@pytest.fixture(scope="module")
def definitions():
    found = content_tables([PANTHER_ANALYSIS])
    assert found.problems == []
    return {d.name: d for d in found.definitions}


def test_every_lookup_table_of_panther_analysis_loads(definitions):
    assert {"ipinfo_location", "ipinfo_asn", "ipinfo_privacy", "tor_exit_nodes", "TrailDiscover",
            "misp_warning_lists"} <= set(definitions)
    location = definitions["ipinfo_location"]
    assert location.settings.primary_key == "cidrblock" and location.settings.log_schema == "IPInfo.LocationCIDR"
    assert location.refresh["ObjectPath"].startswith("s3://") and location.data_file is None
    okta = next(a for a in location.settings.associated_log_types if a.log_type == "Okta.SystemLog")
    assert okta.selectors == ["$.client.ipAddress"]
    assert definitions["crowdstrike_aid_device_info"].query.lstrip().startswith("SELECT")
    service = LookupService(Registry.builtin())
    assert service.load_content([PANTHER_ANALYSIS]) == []
    assert all(not table.rows for table in service.tables())  # nothing is fetched


def test_panther_analysis_helpers_read_the_enrichment(definitions, tmp_path: Path):
    tor = build_table(definitions["tor_exit_nodes"], b"ip\n185.220.101.1\n", fmt="csv")
    location = build_table(definitions["ipinfo_location"],
                           b"cidrblock,city,country\n185.220.100.0/22,Berlin,DE\n", fmt="csv")
    service = LookupService(Registry.builtin())
    service.put(tor)
    service.put(location)
    event = {"p_log_type": "Okta.SystemLog", "client": {"ipAddress": "185.220.101.1"}}
    service.apply("Okta.SystemLog", [event])
    assert event["p_enrichment"] == {
        "tor_exit_nodes": {"client.ipAddress": {"ip": "185.220.101.1", "p_match": "185.220.101.1"}},
        "ipinfo_location": {"client.ipAddress": {"cidrblock": "185.220.100.0/22", "city": "Berlin",
                                                 "country": "DE", "p_match": "185.220.101.1"}}}

    content = tmp_path / "content"
    (content / "rules").mkdir(parents=True)
    (content / "rules" / "tor_rule.yml").write_text(TOR_RULE_YML)
    (content / "rules" / "tor_rule.py").write_text(TOR_RULE_PY)
    helpers = content / "global_helpers"
    helpers.mkdir()
    for name in ("panther_base_helpers", "panther_lookuptable_helpers", "panther_tor_helpers"):
        for suffix in (".py", ".yml"):
            shutil.copy(PANTHER_ANALYSIS / "global_helpers" / f"{name}{suffix}", helpers)
    loaded = load_engine_content([content])
    assert loaded.problems == []
    engine = Engine(loaded, EngineOptions(workers=0, kv_url=f"sqlite:///{tmp_path / 'kv.sqlite3'}"))
    try:
        (finding,) = engine.evaluate("Okta.SystemLog", [event])
        assert finding.title == "Tor exit node 185.220.101.1"
    finally:
        engine.close()
