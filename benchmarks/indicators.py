"""Indicator scanner throughput on one core: Onca's scanners against naive ones, in the same run.

Each scanner reads values shaped like the fields it is put on in real schemas. Two workloads:

* repeated: values drawn with a long-tailed (Zipf-like) frequency from a pool, as log streams repeat the same
  addresses, hosts, users and ARNs; this is the steady state of an ingest worker.
* distinct: every value different and more values than any cache holds, the worst case for Onca.

The baseline is what one would write first: `ipaddress.ip_address` per value, `idna.encode` for every domain,
`urllib.parse.urlsplit` for URLs and host:port, `re.fullmatch` with the pattern given as a string each call.
Both sides take a fresh result dict per value, as the normalizer does per event.

    python benchmarks/indicators.py [--values 100000]
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import random
import re
import time
import urllib.parse
from collections.abc import Callable

import idna

from onca.ingest.indicators import get_scanner

Scan = Callable[[str, dict[str, set[str]]], None]


def pin_one_core() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


# ---- the naive scanners ------------------------------------------------------------------------------------


def _add(found: dict[str, set[str]], column: str, value: str) -> None:
    found.setdefault(column, set()).add(value)


def naive_ip(value: str, found: dict[str, set[str]]) -> None:
    try:
        _add(found, "p_any_ip_addresses", str(ipaddress.ip_address(value.strip().strip("[]").split("%")[0])))
    except ValueError:
        pass


def naive_domain(value: str, found: dict[str, set[str]]) -> None:
    try:
        name = idna.encode(value.strip().rstrip("."), uts46=True).decode().lower()
    except (UnicodeError, ValueError):
        return
    if re.fullmatch(r"(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?", name):
        _add(found, "p_any_domain_names", name)


def naive_hostname(value: str, found: dict[str, set[str]]) -> None:
    try:
        _add(found, "p_any_ip_addresses", str(ipaddress.ip_address(value.strip())))
    except ValueError:
        naive_domain(value, found)


def naive_url(value: str, found: dict[str, set[str]]) -> None:
    try:
        host = urllib.parse.urlsplit(value if "://" in value else "//" + value).hostname
    except ValueError:
        return
    if host:
        naive_hostname(host, found)


def naive_net_addr(value: str, found: dict[str, set[str]]) -> None:
    naive_url(value if value.count(":") <= 1 or value.startswith("[") else f"[{value}]", found)


def naive_hash(length: int, column: str) -> Scan:
    def scan(value: str, found: dict[str, set[str]]) -> None:
        value = value.strip()
        if re.fullmatch(rf"[0-9a-fA-F]{{{length}}}", value):
            _add(found, column, value.lower())
    return scan


def naive_email(value: str, found: dict[str, set[str]]) -> None:
    value = value.strip()
    if re.fullmatch(r"[^@\s<>,;:]+@[^@\s]+\.[^@\s]+", value):
        _add(found, "p_any_emails", value)


def naive_arn(value: str, found: dict[str, set[str]]) -> None:
    parts = value.strip().split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or not parts[5]:
        return
    _add(found, "p_any_aws_arns", value.strip())
    if re.fullmatch(r"\d{12}", parts[4]):
        _add(found, "p_any_aws_account_ids", parts[4])
    m = re.fullmatch(r"instance/(i-[0-9a-f]{8}(?:[0-9a-f]{9})?)", parts[5])
    if m:
        _add(found, "p_any_aws_instance_ids", m.group(1))


def naive_account_id(value: str, found: dict[str, set[str]]) -> None:
    if re.fullmatch(r"[0-9]{12}", value.strip()):
        _add(found, "p_any_aws_account_ids", value.strip())


def naive_instance_id(value: str, found: dict[str, set[str]]) -> None:
    if re.fullmatch(r"i-(?:[0-9a-fA-F]{17}|[0-9a-fA-F]{8})", value.strip()):
        _add(found, "p_any_aws_instance_ids", value.strip().lower())


def naive_mac(value: str, found: dict[str, set[str]]) -> None:
    digits = re.sub(r"[:.\-]", "", value.strip())
    if re.fullmatch(r"[0-9a-fA-F]{12}", digits):
        digits = digits.lower()
        _add(found, "p_any_mac_addresses", ":".join(digits[i:i + 2] for i in range(0, 12, 2)))


def naive_verbatim(column: str) -> Scan:
    def scan(value: str, found: dict[str, set[str]]) -> None:
        if value.strip():
            _add(found, column, value.strip())
    return scan


NAIVE: dict[str, Scan] = {
    "ip": naive_ip, "domain": naive_domain, "hostname": naive_hostname, "url": naive_url,
    "net_addr": naive_net_addr, "mac": naive_mac, "md5": naive_hash(32, "p_any_md5_hashes"),
    "sha1": naive_hash(40, "p_any_sha1_hashes"), "sha256": naive_hash(64, "p_any_sha256_hashes"),
    "email": naive_email, "aws_arn": naive_arn, "aws_account_id": naive_account_id,
    "aws_instance_id": naive_instance_id, "username": naive_verbatim("p_any_usernames"),
    "trace_id": naive_verbatim("p_any_trace_ids"), "aws_tag": naive_verbatim("p_any_aws_tags"),
}


# ---- realistic values --------------------------------------------------------------------------------------

BASES = ["example.com", "example.org", "corp.example.net", "amazonaws.com", "googleapis.com", "bücher.de",
         "cloudfront.net", "github.com", "okta.com", "slack.com", "例え.jp", "microsoftonline.com"]
WORDS = ["api", "www", "login", "cdn", "mail", "s3", "auth", "static", "edge", "eu-west-1", "sso", "app"]


def ipv4(rng: random.Random) -> str:
    return ".".join(str(rng.randrange(1, 255)) for _ in range(4))


def ipv6(rng: random.Random) -> str:
    return str(ipaddress.IPv6Address(rng.getrandbits(128) & ~(0xFFFF << 80) | (0x2001_0DB8 << 96)))


def domain(rng: random.Random) -> str:
    labels = [rng.choice(WORDS) + (str(rng.randrange(100)) if rng.random() < 0.5 else "")
              for _ in range(rng.randrange(1, 3))]
    name = ".".join([*labels, rng.choice(BASES)])
    return name.upper() if rng.random() < 0.05 else name + ("." if rng.random() < 0.1 else "")


def hexdigits(rng: random.Random, n: int) -> str:
    text = f"{rng.getrandbits(4 * n):0{n}x}"
    return text.upper() if rng.random() < 0.2 else text


MAKERS: dict[str, Callable[[random.Random], str]] = {
    "ip": lambda r: ipv4(r) if r.random() < 0.8 else ipv6(r) if r.random() < 0.8 else r.choice(["-", "unknown"]),
    "domain": domain,
    "hostname": lambda r: ipv4(r) if r.random() < 0.3 else domain(r),
    "url": lambda r: (f"{r.choice(['https://', 'http://', ''])}{domain(r)}/{r.choice(WORDS)}/{r.randrange(10**6)}"
                      f"?q={r.randrange(10**4)}"),
    "net_addr": lambda r: (f"{ipv4(r)}:{r.randrange(1024, 65536)}" if r.random() < 0.6
                           else f"[{ipv6(r)}]:443" if r.random() < 0.3 else f"{domain(r)}:443"),
    "mac": lambda r: ":".join(f"{r.randrange(256):02x}" for _ in range(6)),
    "md5": lambda r: hexdigits(r, 32),
    "sha1": lambda r: hexdigits(r, 40),
    "sha256": lambda r: hexdigits(r, 64),
    "email": lambda r: f"{r.choice(['alice', 'bob', 'carol', 'svc-deploy'])}{r.randrange(1000)}@{domain(r)}",
    "aws_arn": lambda r: r.choice([
        f"arn:aws:iam::{r.randrange(10**12):012d}:role/{r.choice(WORDS)}-{r.randrange(100)}",
        f"arn:aws:sts::{r.randrange(10**12):012d}:assumed-role/AWSReservedSSO_Admin/u{r.randrange(999)}@example.com",
        f"arn:aws:s3:::{r.choice(WORDS)}-bucket/logs/{r.randrange(10**6)}.json.gz",
        f"arn:aws:ec2:us-east-1:{r.randrange(10**12):012d}:instance/i-{r.getrandbits(68):017x}",
    ]),
    "aws_account_id": lambda r: f"{r.randrange(10**12):012d}",
    "aws_instance_id": lambda r: f"i-{r.getrandbits(68):017x}",
    "username": lambda r: f"{r.choice(['alice', 'bob', 'root', 'svc'])}{r.randrange(10**6)}",
    "trace_id": lambda r: f"{r.getrandbits(64):016x}-{r.getrandbits(32):08x}",
    "aws_tag": lambda r: f"{r.choice(['env', 'team', 'owner'])}:{r.choice(WORDS)}-{r.randrange(10**6)}",
}


def repeated(make: Callable[[random.Random], str], count: int, rng: random.Random) -> list[str]:
    pool = [make(rng) for _ in range(5000)]
    weights = [1 / (rank + 1) for rank in range(len(pool))]
    return rng.choices(pool, weights, k=count)


def distinct(make: Callable[[random.Random], str], count: int, rng: random.Random) -> list[str]:
    seen: dict[str, None] = {}
    for _ in range(count * 10):
        seen[make(rng)] = None
        if len(seen) == count:
            return list(seen)
    raise ValueError(f"the value maker gives fewer than {count:,} distinct values")


def rate(scan: Scan, values: list[str]) -> float:
    start = time.perf_counter()
    for value in values:
        scan(value, {})
    return len(values) / (time.perf_counter() - start)


def best_rates(pairs: dict[str, tuple[Scan, list[str]]], rounds: int) -> dict[str, float]:
    """Best scans/s of each over interleaved rounds, so a busy moment of the machine hits all alike."""
    best = dict.fromkeys(pairs, 0.0)
    for _ in range(rounds):
        for key, (scan, values) in pairs.items():
            best[key] = max(best[key], rate(scan, values))
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--values", type=int, default=100_000, help="values per scanner and workload")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    pin_one_core()
    rng = random.Random(11)
    print(f"indicator scanners, {args.values:,} values each, one core, scans/s (best of {args.rounds})")
    print(f"{'scanner':<16}{'repeated':>12}{'naive':>12}{'ratio':>8}   {'distinct':>12}{'naive':>12}{'ratio':>8}")
    for name, naive in NAIVE.items():
        onca = get_scanner(name)
        rep = repeated(MAKERS[name], args.values, rng)
        dis = distinct(MAKERS[name], args.values, rng)
        # Measured apart: a distinct run would flush the memo that the repeated run's steady state relies on.
        r = best_rates({"onca_rep": (onca, rep), "naive_rep": (naive, rep)}, args.rounds)
        r |= best_rates({"onca_dis": (onca, dis), "naive_dis": (naive, dis)}, args.rounds)
        print(f"{name:<16}{r['onca_rep']:>12,.0f}{r['naive_rep']:>12,.0f}{r['onca_rep'] / r['naive_rep']:>7.1f}x"
              f"   {r['onca_dis']:>12,.0f}{r['naive_dis']:>12,.0f}{r['onca_dis'] / r['naive_dis']:>7.1f}x")


if __name__ == "__main__":
    main()
