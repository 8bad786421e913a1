from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from onca.lake.layout import (
    DATABASES,
    InvalidName,
    check_name,
    data_file_name,
    is_data_file,
    partition_dir,
    table_name,
    temp_name,
)


@pytest.mark.parametrize(("log_type", "table"), [
    ("AWS.CloudTrail", "aws_cloudtrail"), ("Okta.SystemLog", "okta_systemlog"),
    ("Custom.My.App", "custom_my_app"), ("GitHub.Audit", "github_audit"),
])
def test_table_name_lower_cases_and_replaces_dots(log_type, table):
    assert table_name(log_type) == table


def test_layout_databases_keep_panther_names():
    assert DATABASES[:7] == ("panther_logs", "panther_rule_matches", "panther_signals", "panther_rule_errors",
                             "panther_cloudsecurity", "panther_lookups", "panther_views")
    assert "onca_system" in DATABASES


def test_partition_dir_is_hive_hour_in_utc():
    moment = datetime(2024, 3, 9, 23, 59, 59, tzinfo=timezone(timedelta(hours=-5)))  # 04:59:59 UTC next day
    assert partition_dir(Path("/lake"), "panther_logs", "t", moment) == Path(
        "/lake/panther_logs/t/year=2024/month=03/day=10/hour=04")


def test_data_file_name_and_temp_name_never_match_the_data_glob():
    name = data_file_name(datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC))
    assert name.startswith("20240102T030405Z-") and is_data_file(name)
    assert name != data_file_name(datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC))
    temp = temp_name(name)
    assert temp.startswith(".") and temp.endswith(".tmp") and not is_data_file(temp)


@pytest.mark.parametrize("bad", ["", "..", "a/b", "Upper", ".hidden", "with space", "x;drop"])
def test_check_name_rejects_unsafe_names(bad):
    with pytest.raises(InvalidName, match="invalid lake table name"):
        check_name("table", bad)


def test_check_name_accepts_table_names_of_log_types():
    assert check_name("table", table_name("Custom.Web-Logs_2")) == "custom_web-logs_2"
