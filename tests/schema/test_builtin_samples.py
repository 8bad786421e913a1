"""Every bundled sample file parses completely under its own log type and lands in the lake."""

from __future__ import annotations

import pytest

from onca.runtime.demo import sample_files
from onca.ingest.lake_sink import LakeSink
from onca.ingest.pipeline import Pipeline, Source
from onca.lake import Lake, LakeWriter, table_name
from onca.schema import Registry

SAMPLES = sample_files()


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry.builtin()


def test_samples_exist_for_every_builtin_type(registry):
    assert sorted(name for name, _ in SAMPLES) == registry.names()


@pytest.mark.parametrize(("log_type", "path"), SAMPLES, ids=[name for name, _ in SAMPLES])
def test_sample_file_parses_without_failures(registry, tmp_path, log_type, path):
    writer = LakeWriter(tmp_path)
    pipeline = Pipeline(registry, [LakeSink(registry, writer)])
    with path.open("rb") as stream:
        stats = pipeline.ingest(stream, Source((log_type,)), stream_name=path.name)
    writer.close()
    assert stats.failures == 0
    assert stats.events >= 10
    (row,) = Lake(tmp_path).query(f"SELECT count(*) AS n FROM panther_logs.{table_name(log_type)}").to_pylist()
    assert row["n"] == stats.events
