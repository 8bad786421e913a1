"""Lake writing throughput: LakeWriter against a naive baseline, on one core, in the same run.

Input is normalized CloudTrail-like rows (nested structs, lists, UTC datetimes, JSON text) in batches of 5,000,
made just before they are written, as the ingest pipeline hands them over; only the time inside the writers
counts. The baseline converts each batch with `pa.Table.from_pylist` and writes
it with `pq.write_table` (zstd), one file per batch, with no buffering and no partitioning. LakeWriter
partitions by hour, buffers, and writes atomically.

    python benchmarks/lake_write.py [--rows 200000] [--hours 3] [--repeat 3]   # target: > 100,000 rows/s
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).parent))
from cloudtrail_gen import make_event

from onca.lake import LakeWriter

BATCH = 5_000
TS = pa.timestamp("us", tz="UTC")
S = pa.string()
_ISSUER = pa.struct([("type", S), ("principalId", S), ("arn", S), ("accountId", S), ("userName", S)])
SCHEMA = pa.schema([
    ("eventVersion", S),
    ("userIdentity", pa.struct([
        ("type", S), ("principalId", S), ("arn", S), ("accountId", S), ("accessKeyId", S), ("userName", S),
        ("sessionContext", pa.struct([
            ("sessionIssuer", _ISSUER),
            ("attributes", pa.struct([("creationDate", TS), ("mfaAuthenticated", pa.bool_())])),
            ("sourceIdentity", S),
        ])),
        ("invokedBy", S), ("identityProvider", S),
    ])),
    ("eventTime", TS), ("eventSource", S), ("eventName", S), ("awsRegion", S), ("sourceIPAddress", S),
    ("userAgent", S), ("errorCode", S), ("errorMessage", S),
    ("requestParameters", S), ("responseElements", S), ("additionalEventData", S),
    ("requestID", S), ("eventID", S), ("readOnly", pa.bool_()),
    ("resources", pa.list_(pa.struct([("ARN", S), ("accountId", S), ("type", S)]))),
    ("eventType", S), ("apiVersion", S), ("managementEvent", pa.bool_()), ("recipientAccountId", S),
    ("sharedEventID", S), ("vpcEndpointId", S), ("eventCategory", S),
    ("tlsDetails", pa.struct([("tlsVersion", S), ("cipherSuite", S), ("clientProvidedHostHeader", S)])),
    ("p_log_type", S), ("p_row_id", S), ("p_event_time", TS), ("p_parse_time", TS), ("p_source_id", S),
    ("p_source_label", S), ("p_any_ip_addresses", pa.list_(S)), ("p_any_aws_arns", pa.list_(S)),
    ("p_any_aws_account_ids", pa.list_(S)), ("p_any_aws_instance_ids", pa.list_(S)), ("p_extra", S),
])


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def lake_row(event: dict, row_id: int, parse_time: datetime) -> dict:
    """A CloudTrail record as the normalizer hands it to the lake: typed values, JSON fields as text."""
    row = dict(event)
    row["eventTime"] = event_time = _time(event["eventTime"])
    identity = dict(event["userIdentity"])
    context = dict(identity["sessionContext"])
    attributes = dict(context["attributes"])
    attributes["creationDate"] = _time(attributes["creationDate"])
    attributes["mfaAuthenticated"] = attributes["mfaAuthenticated"] == "true"
    context["attributes"] = attributes
    identity["sessionContext"] = context
    row["userIdentity"] = identity
    for key in ("requestParameters", "responseElements"):
        if row.get(key) is not None:
            row[key] = orjson.dumps(row[key]).decode()
    instance = event["resources"][0]["ARN"].rsplit("/", 1)[1]
    row.update(
        p_log_type="AWS.CloudTrail", p_row_id=f"{row_id:024x}", p_event_time=event_time, p_parse_time=parse_time,
        p_source_id="bench", p_source_label="bench",
        p_any_ip_addresses=[event["sourceIPAddress"]],
        p_any_aws_arns=sorted({identity["arn"], context["sessionIssuer"]["arn"], event["resources"][0]["ARN"]}),
        p_any_aws_account_ids=[event["recipientAccountId"]], p_any_aws_instance_ids=[instance],
    )
    return row


def make_batches(count: int, hours: float) -> Iterator[list[dict]]:
    """Rows made a batch at a time, as the pipeline makes them, so a batch is fresh in memory when written."""
    rng = random.Random(7)
    start = datetime(2026, 11, 27, tzinfo=UTC)
    parse_time = datetime.now(UTC)
    for first in range(0, count, BATCH):
        yield [lake_row(make_event(rng, start + timedelta(seconds=i * 3600 * hours / count)), i, parse_time)
               for i in range(first, min(first + BATCH, count))]


class NaiveWriter:
    """pa.Table.from_pylist + pq.write_table for every batch: one file per batch."""

    def __init__(self, out: Path):
        self.out = out
        self.files = 0
        out.mkdir(parents=True)

    def write(self, batch: list[dict]) -> None:
        table = pa.Table.from_pylist(batch, schema=SCHEMA)
        pq.write_table(table, self.out / f"{self.files}.parquet", compression="zstd")
        self.files += 1

    def close(self) -> None:
        pass


class OncaWriter:
    def __init__(self, out: Path):
        self.writer = LakeWriter(out)

    def write(self, batch: list[dict]) -> None:
        self.writer.write("panther_logs", "aws_cloudtrail", SCHEMA, batch)

    def close(self) -> None:
        self.writer.close()


def run_once(make_writer: Callable[[Path], NaiveWriter | OncaWriter], args: argparse.Namespace,
             out: Path) -> float:
    """Seconds spent inside the writer (making rows is not timed)."""
    shutil.rmtree(out, ignore_errors=True)
    writer = make_writer(out)
    spent = 0.0
    for batch in make_batches(args.rows, args.hours):
        started = time.perf_counter()
        writer.write(batch)
        spent += time.perf_counter() - started
    started = time.perf_counter()
    writer.close()
    return spent + time.perf_counter() - started


def on_disk(out: Path, expected_rows: int) -> tuple[int, int]:
    files = sorted(out.rglob("*.parquet"))
    rows = sum(pq.read_metadata(f).num_rows for f in files)
    assert rows == expected_rows, (out, rows, expected_rows)
    return len(files), sum(f.stat().st_size for f in files)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--hours", type=float, default=3, help="event time span of the rows")
    parser.add_argument("--repeat", type=int, default=3, help="runs per writer; the best is reported")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    print(f"{args.rows:,} CloudTrail-like rows over {args.hours:g} hours, batches of {BATCH:,}, one core")
    writers = {"baseline (from_pylist + write_table per batch)": NaiveWriter,
               "onca LakeWriter (hourly partitions, buffered)": OncaWriter}
    best = dict.fromkeys(writers, float("inf"))
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeat):  # alternate the two so a busy moment does not favour either
            for n, (label, make_writer) in enumerate(writers.items()):
                best[label] = min(best[label], run_once(make_writer, args, Path(tmp) / str(n)))
        disk = {label: on_disk(Path(tmp) / str(n), args.rows) for n, label in enumerate(writers)}
    for label, seconds in best.items():
        files, size = disk[label]
        print(f"{label:48s} {args.rows / seconds:>10,.0f} rows/s  {files:>4} files  {size / 1e6:7.1f} MB")
    naive, onca = best.values()
    print(f"ratio onca/baseline: {naive / onca:.2f}x   (target: > 100,000 rows/s)")

if __name__ == "__main__":
    main()
