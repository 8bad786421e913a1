"""Decoding a gzip NDJSON file into records, against `for line in gzip.open(...)` in the same run, on one core.

Also measured: reading the decompressed bytes alone (the I/O), so that the cost per record of what decoding adds
on top (line splitting, UTF-8 checks, record objects) is printed too. Each figure is the best of --repeat runs.

    python benchmarks/decode.py [--lines 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import gzip
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import orjson

from onca.ingest.decode import RawRecord, iter_records, open_decompressed


def pin_one_core() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def write_ndjson_gzip(path: Path, lines: int) -> None:
    """Web-server-like events of 150-250 bytes, one JSON object per line."""
    rng = random.Random(7)
    methods = ["GET", "GET", "GET", "POST", "PUT", "DELETE"]
    paths = ["/", "/login", "/api/v1/orders", "/api/v1/users/42", "/static/app.js", "/health"]
    with gzip.open(path, "wb", compresslevel=6) as f:
        for i in range(lines):
            event = {
                "time": f"2024-05-01T12:{i // 60 % 60:02d}:{i % 60:02d}.{i % 1000:03d}Z",
                "host": f"web-{rng.randrange(24):02d}",
                "client_ip": f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}",
                "method": rng.choice(methods),
                "path": rng.choice(paths),
                "status": rng.choice((200, 200, 200, 301, 404, 500)),
                "bytes": rng.randrange(100, 100_000),
                "user_agent": "Mozilla/5.0 (X11; Linux x86_64) Onca-Bench/1.0",
                "request_id": f"{rng.getrandbits(64):016x}",
            }
            f.write(orjson.dumps(event) + b"\n")


def baseline(path: Path) -> int:
    count = 0
    with gzip.open(path) as f:
        for _line in f:
            count += 1
    return count


def decompress_only(path: Path) -> int:
    total = 0
    with path.open("rb") as raw:
        stream = open_decompressed(raw)
        while chunk := stream.read1(1 << 20):  # type: ignore[attr-defined]
            total += len(chunk)
    return total


def onca(path: Path) -> int:
    count = 0
    with path.open("rb") as f:
        for record in iter_records(f):
            if type(record) is RawRecord:
                count += 1
    return count


def best_of(repeat: int, runs: dict[str, Callable[[Path], int]], path: Path) -> dict[str, tuple[float, int]]:
    """The best time of each run; the runs take turns, so that a busy machine slows them alike."""
    best: dict[str, tuple[float, int]] = {}
    for _ in range(repeat):
        for name, fn in runs.items():
            started = time.perf_counter()
            result = fn(path)
            seconds = time.perf_counter() - started
            if name not in best or seconds < best[name][0]:
                best[name] = (seconds, result)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    pin_one_core()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "events.ndjson.gz"
        write_ndjson_gzip(path, args.lines)
        best = best_of(args.repeat, {"io": decompress_only, "baseline": baseline, "onca": onca}, path)
    (io_seconds, size), (base_seconds, base_count), (onca_seconds, onca_count) = best.values()
    if base_count != args.lines or onca_count != args.lines:
        sys.exit(f"record counts differ: baseline {base_count}, onca {onca_count}, expected {args.lines}")
    print(f"{args.lines:,} lines, {size / 1e6:.0f} MB decompressed, {path.name}, best of {args.repeat}")
    print(f"  decompression alone      {io_seconds:7.3f} s")
    print(f"  baseline gzip.open lines {base_seconds:7.3f} s  {args.lines / base_seconds:12,.0f} records/s")
    print(f"  onca iter_records        {onca_seconds:7.3f} s  {args.lines / onca_seconds:12,.0f} records/s")
    print(f"  ratio onca/baseline      {base_seconds / onca_seconds:7.2f} x throughput")
    print(f"  cost beyond the I/O      {(onca_seconds - io_seconds) / args.lines * 1e6:7.3f} us/record "
          f"(baseline: {(base_seconds - io_seconds) / args.lines * 1e6:.3f})")


if __name__ == "__main__":
    main()
