from __future__ import annotations

import gzip
import multiprocessing
import os
import signal
import threading
import time

import duckdb
import orjson
from typer.testing import CliRunner

from onca.cli.main import app
from onca.ingest.parallel import ingest_files
from onca.ingest.pipeline import Source
from onca.lake.layout import table_dir
from onca.schema import Registry

SOURCE = Source(("AWS.CloudTrail",), id="s1", label="backfill")


def cloudtrail_line(n: int, hour: int) -> bytes:
    return orjson.dumps({
        "eventVersion": "1.08", "eventID": f"id-{n}", "eventType": "AwsApiCall", "eventTime": f"2026-11-27T{hour:02d}:{n % 60:02d}:00Z",
        "eventSource": "s3.amazonaws.com", "eventName": "GetObject", "awsRegion": "us-east-1",
        "sourceIPAddress": f"192.0.2.{n % 250}", "recipientAccountId": "123456789012",
        "userIdentity": {"type": "IAMUser", "arn": f"arn:aws:iam::123456789012:user/u{n}"},
    }) + b"\n"


def write_files(folder, count: int, per_file: int) -> list:
    folder.mkdir()
    paths = []
    for f in range(count):
        path = folder / f"part-{f}.json.gz"
        lines = b"".join(cloudtrail_line(f * per_file + i, hour=f % 3) for i in range(per_file))
        path.write_bytes(gzip.compress(lines + (b"not json\n" if f == 0 else b"")))
        paths.append(path)
    return paths


def lake_rows(lake) -> list[tuple]:
    files = sorted(str(p) for p in table_dir(lake, "panther_logs", "aws_cloudtrail").rglob("*.parquet"))
    return duckdb.sql(f"SELECT eventID, p_row_id, p_source_label, p_any_aws_arns FROM read_parquet({files!r}) "
                      "ORDER BY eventID").fetchall()


def test_files_ingested_side_by_side_match_one_process(tmp_path):
    paths = write_files(tmp_path / "logs", count=5, per_file=200)
    done = []
    result = ingest_files(Registry.builtin(), [(p, SOURCE) for p in paths], tmp_path / "lake", jobs=2,
                          on_file=lambda path, stats: done.append(path))
    assert result.errors == []
    assert sorted(done) == sorted(paths)
    assert result.stats.events == 1_000 and result.stats.failures == 1
    rows = lake_rows(tmp_path / "lake")
    assert [r[0] for r in rows] == sorted(f"id-{n}" for n in range(1_000))
    assert len({r[1] for r in rows}) == 1_000  # row ids stay unique across worker processes
    assert {r[2] for r in rows} == {"backfill"}
    assert rows[0][3] == ["arn:aws:iam::123456789012:user/u0"]

    single = ingest_files(Registry.builtin(), [(p, SOURCE) for p in paths], tmp_path / "lake1", jobs=1)
    assert [(r[0], r[3]) for r in lake_rows(tmp_path / "lake1")] == [(r[0], r[3]) for r in rows]
    assert single.stats.events == 1_000


def test_unreadable_file_is_reported_and_the_rest_ingested(tmp_path):
    paths = write_files(tmp_path / "logs", count=2, per_file=50)
    missing = tmp_path / "logs" / "gone.json"
    result = ingest_files(Registry.builtin(), [(p, SOURCE) for p in [*paths, missing]], tmp_path / "lake", jobs=2)
    assert len(result.errors) == 1 and str(missing) in result.errors[0]
    assert len(lake_rows(tmp_path / "lake")) == 100


def test_a_worker_that_dies_is_reported(tmp_path):
    fifo = tmp_path / "never-written.fifo"
    os.mkfifo(fifo)  # opening it blocks the worker, which is then killed
    outcome = {}
    before = {child.pid for child in multiprocessing.active_children()}
    thread = threading.Thread(target=lambda: outcome.update(
        result=ingest_files(Registry.builtin(), [(fifo, SOURCE)], tmp_path / "lake", jobs=1)))
    thread.start()
    deadline = time.monotonic() + 30
    def workers():
        return [c for c in multiprocessing.active_children() if c.pid not in before]

    while not workers() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.0)
    for child in workers():  # only this test's worker, never another test's processes
        os.kill(child.pid, signal.SIGKILL)
    thread.join(timeout=30)
    assert not thread.is_alive()
    [error] = outcome["result"].errors
    assert "stopped unexpectedly (exit code -9)" in error


def test_cli_jobs(tmp_path):
    write_files(tmp_path / "logs", count=3, per_file=20)
    data = str(tmp_path / "data")
    result = CliRunner().invoke(app, ["ingest", str(tmp_path / "logs"), "-t", "AWS.CloudTrail", "--jobs", "2",
                                      "--data-dir", data, "--quiet"])
    assert result.exit_code == 0, result.output
    assert "60 events, 1 classification failures" in result.output
    result = CliRunner().invoke(app, ["ingest", str(tmp_path / "logs"), "--jobs", "2", "--detections",
                                      str(tmp_path), "--data-dir", data])
    assert result.exit_code == 2 and "--jobs does not combine with --detections" in result.output
    result = CliRunner().invoke(app, ["ingest", "-", str(tmp_path / "logs"), "--jobs", "2", "--data-dir", data])
    assert result.exit_code == 2 and "stdin" in result.output
