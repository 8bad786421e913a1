"""Ingesting many CloudTrail files with worker processes (`onca ingest --jobs N`) against one worker.

Both runs go through the same code (onca.ingest.parallel) on the same files, one after the other; the figure is
wall-clock events per second, since the point of --jobs is to use more than one core.

    python benchmarks/ingest_jobs.py [--files 16] [--events-per-file 10000] [--jobs N (default: every CPU)]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from cloudtrail_gen import write_file  # noqa: E402

from onca.ingest.parallel import ingest_files  # noqa: E402
from onca.ingest.pipeline import Source  # noqa: E402
from onca.schema import Registry  # noqa: E402


def timed_run(registry: Registry, files: list[Path], lake: Path, jobs: int) -> tuple[int, float]:
    started = time.perf_counter()
    result = ingest_files(registry, [(f, Source(("AWS.CloudTrail",))) for f in files], lake, jobs)
    elapsed = time.perf_counter() - started
    assert not result.errors, result.errors
    return result.stats.events, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=16)
    parser.add_argument("--events-per-file", type=int, default=10_000)
    parser.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)))
    args = parser.parse_args()
    registry = Registry.builtin()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = [folder / f"ct-{i}.json.gz" for i in range(args.files)]
        for i, path in enumerate(files):
            write_file(path, args.events_per_file, seed=i)
        print(f"{args.files} files of {args.events_per_file:,} CloudTrail events")
        n_one, t_one = timed_run(registry, files, folder / "lake-1", 1)
        n_many, t_many = timed_run(registry, files, folder / f"lake-{args.jobs}", args.jobs)
        assert n_one == n_many == args.files * args.events_per_file, (n_one, n_many)
        print(f"1 worker:     {n_one / t_one:>10,.0f} events/s ({t_one:.1f} s)")
        print(f"{args.jobs} workers:    {n_many / t_many:>10,.0f} events/s ({t_many:.1f} s)")
        print(f"ratio: {t_one / t_many:.2f}x on {len(os.sched_getaffinity(0))} CPUs")


if __name__ == "__main__":
    main()
