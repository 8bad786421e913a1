"""End-to-end ingest of CloudTrail (gzip NDJSON -> Parquet lake) against a naive baseline, on one core.

The baseline is what a straightforward script does: json.loads each line, normalize it field by field in Python
(event time, indicators with ipaddress), and write each batch with pyarrow. Both run in this process, one after
the other, on the same file. Peak memory is measured in a child process ingesting with Onca.

    python benchmarks/ingest.py [--events 200000] [--memory-gb 0]   # --memory-gb 2 for the 2 GB memory check
"""

from __future__ import annotations

import argparse
import gc
import gzip
import ipaddress
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).parent))
from cloudtrail_gen import write_file  # noqa: E402

from onca.ingest.lake_sink import LakeSink  # noqa: E402
from onca.ingest.pipeline import Pipeline, Source  # noqa: E402
from onca.lake import LakeWriter  # noqa: E402
from onca.runtime.collector import tune_garbage_collector  # noqa: E402
from onca.schema import Registry  # noqa: E402


def pin_one_core() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})


@contextmanager
def onca_collector() -> Iterator[None]:
    """The collector settings every onca command starts with, restored after (the baseline runs with Python's)."""
    saved = gc.get_threshold()
    tune_garbage_collector()
    try:
        yield
    finally:
        gc.set_threshold(*saved)


def run_onca(path: Path, out: Path, *, lake: bool = True) -> int:
    """As `onca ingest` runs it. Without `lake`, events are normalized and dropped."""
    with onca_collector():
        registry = Registry.builtin()
        writer = LakeWriter(out) if lake else None
        pipeline = Pipeline(registry, [LakeSink(registry, writer)] if writer else [])
        with path.open("rb") as stream:
            stats = pipeline.ingest(stream, Source(("AWS.CloudTrail",)))
        if writer:
            writer.close()
    return stats.events


def run_onca_without_lake(path: Path, out: Path) -> int:
    return run_onca(path, out, lake=False)


class _Keep:
    """A sink that holds the normalized events, so the Parquet stage can be timed on its own."""

    def __init__(self) -> None:
        self.batches: list[tuple[str, list[dict]]] = []

    def write_events(self, log_type: str, events: list[dict]) -> None:
        self.batches.append((log_type, events))

    def write_failures(self, failures: list[dict]) -> None:
        pass

    def flush(self) -> None:
        pass


def parquet_stage_rate(path: Path, out: Path) -> float:
    """Events per CPU-second of the lake stage alone (rows to Arrow, Parquet files written), on events this
    pipeline normalized beforehand. It bounds any design that builds each event as Python objects."""
    registry = Registry.builtin()
    kept = _Keep()
    with path.open("rb") as stream:
        Pipeline(registry, [kept]).ingest(stream, Source(("AWS.CloudTrail",)))
    with onca_collector():
        start = time.process_time()
        writer = LakeWriter(out)
        sink = LakeSink(registry, writer)
        for log_type, events in kept.batches:
            sink.write_events(log_type, events)
        writer.close()
        spent = time.process_time() - start
    return sum(len(events) for _, events in kept.batches) / spent


def _naive_indicators(event: dict) -> dict:
    ips, arns, accounts = set(), set(), set()
    try:
        ipaddress.ip_address(event.get("sourceIPAddress", ""))
        ips.add(event["sourceIPAddress"])
    except ValueError:
        pass
    identity = event.get("userIdentity") or {}
    for arn in (identity.get("arn"), (identity.get("sessionContext") or {}).get("sessionIssuer", {}).get("arn")):
        if arn:
            arns.add(arn)
            accounts.add(arn.split(":")[4])
    for res in event.get("resources") or []:
        if res.get("ARN"):
            arns.add(res["ARN"])
    if event.get("recipientAccountId"):
        accounts.add(event["recipientAccountId"])
    return {"p_any_ip_addresses": sorted(ips), "p_any_aws_arns": sorted(arns),
            "p_any_aws_account_ids": sorted(accounts)}


def run_naive(path: Path, out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    rows, n, part = [], 0, 0
    parse_time = datetime.now(UTC)
    with gzip.open(path, "rt") as lines:
        for line in lines:
            event = json.loads(line)
            row = {k: (json.dumps(v) if isinstance(v, dict | list) else v) for k, v in event.items()}
            row["p_event_time"] = datetime.fromisoformat(event["eventTime"].replace("Z", "+00:00"))
            row["p_parse_time"] = parse_time
            row["p_log_type"] = "AWS.CloudTrail"
            row.update(_naive_indicators(event))
            rows.append(row)
            n += 1
            if len(rows) >= 50_000:
                pq.write_table(pa.Table.from_pylist(rows), out / f"{part}.parquet")
                rows, part = [], part + 1
    if rows:
        pq.write_table(pa.Table.from_pylist(rows), out / f"{part}.parquet")
    return n


def run_loads_only(path: Path, out: Path) -> int:
    """The floor of any per-record pipeline: decompress and orjson.loads every line, nothing else."""
    import orjson

    n = 0
    with gzip.open(path, "rb") as lines:
        for line in lines:
            orjson.loads(line)
            n += 1
    return n


def timed(fn, *args) -> tuple[int, float]:
    """CPU seconds of this process: events per CPU-second is the per-core rate, whatever else the machine runs."""
    start = time.process_time()
    n = fn(*args)
    return n, time.process_time() - start


def peak_memory_mb(path: Path, out: Path) -> float:
    """The child's own high-water RSS (VmHWM). Not getrusage: after fork and exec, Linux carries the parent's
    peak into the child's ru_maxrss, and this process has just held the 100,000-event runs."""
    code = ("import sys; sys.path.insert(0, %r); from ingest import run_onca; from pathlib import Path; "
            "run_onca(Path(%r), Path(%r)); "
            "print([l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1])"
            ) % (str(Path(__file__).parent), str(path), str(out))
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return int(done.stdout.split()[-1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--memory-gb", type=float, default=0, help="also ingest a file this large (uncompressed)"
                                                                   " in a child process and report peak RSS")
    args = parser.parse_args()
    pin_one_core()
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        data = tmp_path / "cloudtrail.json.gz"
        size = write_file(data, args.events)
        print(f"{args.events:,} CloudTrail events, {size / args.events:,.0f} bytes each, "
              f"{size / 1e6:,.0f} MB uncompressed")
        n_floor, t_floor = timed(run_loads_only, data, tmp_path)
        n_naive, t_naive = timed(run_naive, data, tmp_path / "naive")
        n_onca, t_onca = timed(run_onca, data, tmp_path / "onca")
        n_parse, t_parse = timed(run_onca_without_lake, data, tmp_path / "onca-unwritten")
        assert n_onca == n_naive == n_parse == args.events, (n_onca, n_naive, n_parse)
        part = tmp_path / "part.json.gz"
        write_file(part, min(args.events, 20_000))
        rate_parquet = parquet_stage_rate(part, tmp_path / "onca-part")
        rate_floor = n_floor / t_floor
        rate_onca, rate_naive = n_onca / t_onca, n_naive / t_naive
        print(f"floor (gunzip + orjson.loads only, this CPU):           {rate_floor:>10,.0f} events per CPU-second")
        print(f"baseline (json.loads + Python normalization + pyarrow): {rate_naive:>10,.0f} events per CPU-second")
        print(f"onca (decode, classify, normalize, indicators, Parquet): {rate_onca:>10,.0f} events per CPU-second")
        print(f"  without the lake (events normalized, then dropped): {n_parse / t_parse:>10,.0f} events per CPU-second")
        print(f"  the lake stage alone (Arrow conversion, Parquet):   {rate_parquet:>10,.0f} events per CPU-second")
        print(f"ceiling with Python rows (floor + lake stage, nothing between): "
              f"{1 / (1 / rate_floor + 1 / rate_parquet):,.0f} events per CPU-second")
        print(f"ratio onca/baseline: {rate_onca / rate_naive:.2f}x   (target: >= 50,000 events/s per core)")
        if args.memory_gb:
            big = tmp_path / "big.json.gz"
            count = int(args.memory_gb * 1e9 / (size / args.events))
            big_size = write_file(big, count, seed=11)
            peak = peak_memory_mb(big, tmp_path / "big-lake")
            print(f"peak RSS ingesting {big_size / 1e9:.2f} GB ({count:,} events): {peak:,.0f} MB "
                  f"(target: < 500 MB)")


if __name__ == "__main__":
    main()
