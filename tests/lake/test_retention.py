"""Retention removes whole hour partitions past the period, and nothing younger."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from onca.lake.layout import partition_dir
from onca.lake.retention import apply_retention

NOW = datetime(2026, 11, 28, 12, 30, tzinfo=UTC)


def make(root, database, table, hour):
    folder = partition_dir(root, database, table, hour)
    folder.mkdir(parents=True)
    (folder / "x.parquet").write_bytes(b"")
    return folder


def test_partitions_past_the_period_go_and_the_rest_stay(tmp_path):
    old = make(tmp_path, "panther_logs", "okta_systemlog", datetime(2026, 11, 26, 11, tzinfo=UTC))
    edge = make(tmp_path, "panther_logs", "okta_systemlog", datetime(2026, 11, 26, 12, tzinfo=UTC))
    young = make(tmp_path, "panther_logs", "okta_systemlog", datetime(2026, 11, 28, 9, tzinfo=UTC))
    other_db = make(tmp_path, "panther_rule_matches", "okta_systemlog", datetime(2026, 1, 1, tzinfo=UTC))
    removed = apply_retention(tmp_path, {"panther_logs": 2}, now=NOW)
    assert removed == [old]
    assert not old.exists() and edge.exists() and young.exists() and other_db.exists()
    assert (tmp_path / "panther_logs" / "okta_systemlog" / "year=2026" / "month=11" / "day=26").exists()


def test_emptied_folders_are_pruned(tmp_path):
    old = make(tmp_path, "panther_logs", "t", datetime(2025, 1, 1, 0, tzinfo=UTC))
    apply_retention(tmp_path, {"panther_logs": 30}, now=NOW)
    assert not (tmp_path / "panther_logs" / "t" / "year=2025").exists()
    assert not old.exists()


def test_bad_settings_are_refused(tmp_path):
    with pytest.raises(ValueError, match="at least 1 day"):
        apply_retention(tmp_path, {"panther_logs": 0}, now=NOW)
