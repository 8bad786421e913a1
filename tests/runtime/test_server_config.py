"""The server's config file: Panther-named source settings, ${VAR} secrets, problems named by path."""

from __future__ import annotations

import pytest

from onca.runtime.server_config import ConfigError, load_config, parse_config

CONFIG = """
dataDir: data
port: 9001
detections: [content]
destinations:
  - name: Hook
    kind: webhook
    url: http://127.0.0.1:9/hook
sources:
  http:
    - integrationId: okta
      integrationLabel: Okta
      logTypes: [Okta.SystemLog]
      authMethod: SharedSecret
      authHeaderKey: X-Secret
      authSecretValue: ${OKTA_SECRET}
retention:
  panther_logs: 30
"""


def test_a_config_file_loads_with_paths_relative_to_it(tmp_path):
    path = tmp_path / "onca.yml"
    path.write_text(CONFIG)
    config = load_config(path, env={"OKTA_SECRET": "from-env"})
    assert config.port == 9001
    assert config.data_dir == tmp_path / "data"
    assert config.detections == [tmp_path / "content"]
    assert config.source("okta").auth_secret_value == "from-env"
    assert config.retention == {"panther_logs": 30}
    assert config.destinations[0]["kind"] == "webhook"


def test_problems_are_named_by_where_they_are(tmp_path):
    with pytest.raises(ConfigError, match="environment variable OKTA_SECRET is not set"):
        parse_config({"sources": {"http": [{"integrationId": "o", "integrationLabel": "O",
                                             "logTypes": ["Okta.SystemLog"], "authMethod": "SharedSecret",
                                             "authHeaderKey": "X", "authSecretValue": "${OKTA_SECRET}"}]}},
                     env={})
    with pytest.raises(ConfigError, match=r"sources\.http\.0\.logTypes"):
        parse_config({"sources": {"http": [{"integrationId": "o", "integrationLabel": "O"}]}})
    with pytest.raises(ConfigError, match="porrt"):
        parse_config({"porrt": 1})
    twice = {"integrationId": "o", "integrationLabel": "O", "logTypes": ["Okta.SystemLog"]}
    with pytest.raises(ConfigError, match="integrationId 'o' is used twice"):
        parse_config({"sources": {"http": [twice, twice]}})
    bad = tmp_path / "bad.yml"
    bad.write_text("port: [1,\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad)
    with pytest.raises(ConfigError, match="cannot read the file"):
        load_config(tmp_path / "missing.yml")
