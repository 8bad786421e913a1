"""Text parser throughput on one core: fastmatch against an equivalent compiled regex, in the same run.

Both parse the same nginx "combined" lines into the same fields with "-" as an empty value; the baseline is
what one would write by hand: one precompiled `re` pattern with named groups, `fullmatch`, `groupdict`, and the
"-" placeholders turned into None. The grok-based regex parser and the csv parser are measured too, for scale.

    python benchmarks/parsers.py [--lines 200000]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import time
from collections.abc import Callable
from typing import Any

from onca.ingest.parsers import build_parser

NGINX_PATTERN = ('%{remote_addr} - %{remote_user} [%{time_local}] "%{request}" %{status} %{body_bytes_sent} '
                 '"%{http_referer}" "%{http_user_agent}"')
NGINX_REGEX = re.compile(
    r'(?P<remote_addr>[^ ]*) - (?P<remote_user>[^ ]*) \[(?P<time_local>[^\]]*)\] "(?P<request>[^"]*)" '
    r'(?P<status>[^ ]*) (?P<body_bytes_sent>[^ ]*) "(?P<http_referer>[^"]*)" "(?P<http_user_agent>[^"]*)"')
AGENTS = [
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
    "curl/8.4.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
]


def pin_one_core() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def nginx_lines(count: int) -> list[str]:
    rng = random.Random(7)
    lines = []
    for i in range(count):
        ip = f"198.51.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        user = rng.choice(["-", "alice", "bob"])
        path = f"/api/v1/items/{rng.randrange(100000)}?page={rng.randrange(50)}"
        referer = rng.choice(["-", "https://example.com/start"])
        lines.append(f'{ip} - {user} [10/Oct/2023:13:{i % 60:02d}:36 +0000] "GET {path} HTTP/1.1" '
                     f'{rng.choice([200, 200, 304, 404])} {rng.randrange(100000)} "{referer}" "{rng.choice(AGENTS)}"')
    return lines


def baseline(line: str) -> dict[str, Any] | None:
    m = NGINX_REGEX.fullmatch(line)
    if m is None:
        return None
    values = m.groupdict()
    for key, value in values.items():
        if value == "-":
            values[key] = None
    return values


def rates(parsers: dict[str, tuple[Callable[[str], Any], list[str]]], rounds: int = 5) -> dict[str, float]:
    """Best lines/s of each parser over interleaved rounds, so a busy moment of the machine hits all alike."""
    best = dict.fromkeys(parsers, 0.0)
    for _ in range(rounds):
        for name, (parse, lines) in parsers.items():
            start = time.perf_counter()
            for line in lines:
                parse(line)
            best[name] = max(best[name], len(lines) / (time.perf_counter() - start))
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=200_000)
    args = ap.parse_args()
    pin_one_core()
    lines = nginx_lines(args.lines)

    fastmatch = build_parser("fastmatch", {"match": [NGINX_PATTERN], "emptyValues": ["-"]})
    grok = build_parser("regex", {"match": ["%{IPORHOST:remote_addr} - %{NOTSPACE:remote_user} ",
                                            r"\[%{HTTPDATE:time_local}\] %{QS:request} %{INT:status} ",
                                            "%{INT:body_bytes_sent} %{QS:http_referer} %{QS:http_user_agent}"],
                                  "emptyValues": ["-"]})
    csv_lines = [",".join(f'"{v}"' if " " in v else v for v in line.replace('"', "").split(" ", 7)[:6])
                 for line in lines]
    csv = build_parser("csv", {"columns": ["a", "b", "c", "d", "e", "f"], "emptyValues": ["-"]})

    expected = baseline(lines[0])
    got = fastmatch(lines[0])
    assert got == expected, (got, expected)

    best = rates({"fastmatch": (fastmatch, lines), "baseline": (baseline, lines),
                  "grok": (grok, lines), "csv": (csv, csv_lines)})
    fm_rate, re_rate, grok_rate, csv_rate = best["fastmatch"], best["baseline"], best["grok"], best["csv"]
    print(f"nginx combined, {len(lines):,} lines, one core")
    print(f"  fastmatch           {fm_rate:>12,.0f} lines/s")
    print(f"  compiled regex      {re_rate:>12,.0f} lines/s   (baseline)")
    print(f"  ratio               {fm_rate / re_rate:>12.2f}x  fastmatch / baseline")
    print(f"  regex parser (grok) {grok_rate:>12,.0f} lines/s")
    print(f"  csv parser          {csv_rate:>12,.0f} lines/s   (6 columns)")


if __name__ == "__main__":
    main()
