"""`onca test` against Panther's CLI (`panther_analysis_tool test`) on the same content tree.

Both run as fresh processes on a temporary copy of the content (Panther's CLI writes into the tree
it tests), one after the other, and the script prints each wall time and Onca's share of Panther's:

    .venv/bin/python benchmarks/content_test.py [--content /work/panther-analysis] [--runs 3]

Panther's CLI is taken from /work/pat-venv when present (install it in a separate venv: it pins
its own dependencies); without it only Onca is timed.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_CONTENT = Path("/work/panther-analysis")
DEFAULT_PAT = Path("/work/pat-venv/bin/panther_analysis_tool")
TARGET_RATIO = 1 / 3


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, str, int]:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    return time.perf_counter() - started, done.stdout + done.stderr, done.returncode


def summary(output: str) -> str:
    fields = re.findall(r"^\s*(Passed|Skipped|Failed|Invalid|Tests): (.+)$", output, flags=re.MULTILINE)
    return ", ".join(f"{name} {value.strip()}" for name, value in fields) or "no summary printed"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--content", type=Path, default=DEFAULT_CONTENT, help="a panther-analysis checkout")
    parser.add_argument("--pat", type=Path, default=DEFAULT_PAT, help="panther_analysis_tool executable")
    parser.add_argument("--runs", type=int, default=1, help="runs of each tool; the median is compared")
    parser.add_argument("--jobs", type=int, default=None, help="onca test --jobs")
    args = parser.parse_args()
    if not args.content.is_dir():
        print(f"no content at {args.content}", file=sys.stderr)
        return 2
    onca = [sys.executable, "-m", "onca.cli.main", "test", "."]
    if args.jobs is not None:
        onca += ["--jobs", str(args.jobs)]
    with tempfile.TemporaryDirectory(prefix="onca-bench-") as scratch:
        tree = Path(scratch) / "content"
        shutil.copytree(args.content, tree, ignore=shutil.ignore_patterns(".git", "__pycache__"))
        env = {**os.environ, "XDG_CACHE_HOME": str(Path(scratch) / "cache")}
        tools = {"onca test": onca}
        if args.pat.exists():
            tools["panther_analysis_tool test"] = [str(args.pat), "test"]
        else:
            print(f"(no Panther CLI at {args.pat}: timing Onca only)")
        medians: dict[str, float] = {}
        for name, command in tools.items():
            times = []
            for run in range(args.runs):
                seconds, output, code = timed(command, tree, env)
                times.append(seconds)
                print(f"{name:28s} run {run + 1}: {seconds:6.2f}s  exit {code}  {summary(output)}")
            medians[name] = statistics.median(times)
    print()
    for name, seconds in medians.items():
        print(f"{name:28s} median {seconds:6.2f}s")
    if len(medians) == 2:
        ratio = medians["onca test"] / medians["panther_analysis_tool test"]
        verdict = "within" if ratio <= TARGET_RATIO else "OVER"
        print(f"ratio onca/panther: {ratio:.3f} ({1 / ratio:.1f}x faster; {verdict} the 1/3 target)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
