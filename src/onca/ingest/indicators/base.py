"""What every indicator scanner shares: the p_any_* column names, how a found value is recorded, and caching.

A scanner is a plain function `scan(value, found)`: it reads one string and adds what it recognises to `found`,
a dict from column name to a set of values. It never raises on text it does not recognise; it adds nothing.
"""

from __future__ import annotations

from collections.abc import Callable

IP_ADDRESSES = "p_any_ip_addresses"
DOMAIN_NAMES = "p_any_domain_names"
MD5_HASHES = "p_any_md5_hashes"
SHA1_HASHES = "p_any_sha1_hashes"
SHA256_HASHES = "p_any_sha256_hashes"
TRACE_IDS = "p_any_trace_ids"
USERNAMES = "p_any_usernames"
EMAILS = "p_any_emails"
ACTOR_IDS = "p_any_actor_ids"
MAC_ADDRESSES = "p_any_mac_addresses"
AWS_ARNS = "p_any_aws_arns"
AWS_ACCOUNT_IDS = "p_any_aws_account_ids"
AWS_INSTANCE_IDS = "p_any_aws_instance_ids"
AWS_TAGS = "p_any_aws_tags"

Found = dict[str, set[str]]
Scanner = Callable[[str, Found], None]
Hits = tuple[tuple[str, str], ...]
"""What a parse function recognised in one value: (column, value) pairs; empty when nothing."""

NO_HITS: Hits = ()

# Log values repeat heavily (the same addresses, hosts and ARNs in event after event), so what a parse found in a
# value is remembered. The memo is a plain dict emptied when full: a hit is one dict lookup, cheaper than any
# eviction bookkeeping, and after a clear the values still in use come back within a few events. Long values
# are rarely repeated and would pin memory, so they are parsed afresh.
CACHE_SIZE = 16384
MAX_CACHED_LENGTH = 512


def add(found: Found, column: str, value: str) -> None:
    bucket = found.get(column)
    if bucket is None:
        found[column] = {value}
    else:
        bucket.add(value)


def record(found: Found, hits: Hits) -> None:
    for column, value in hits:
        bucket = found.get(column)
        if bucket is None:
            found[column] = {value}
        else:
            bucket.add(value)


def cached(parse: Callable[[str], Hits]) -> Callable[[str], Hits]:
    """`parse` with its results remembered; `parse` must be a pure function of its text."""
    memo: dict[str, Hits] = {}

    def lookup(value: str) -> Hits:
        hits = memo.get(value)
        if hits is None:
            hits = parse(value)
            if len(value) <= MAX_CACHED_LENGTH:
                if len(memo) >= CACHE_SIZE:
                    memo.clear()
                memo[value] = hits
        return hits

    lookup.__doc__ = parse.__doc__
    return lookup


def scanner_from(parse: Callable[[str], Hits]) -> Scanner:
    """A scanner that records whatever `parse` recognises, remembering results as `cached` does.

    The lookup and the recording are written out here rather than calling `cached` and `record`: this runs for
    every indicator value of every event, and two fewer calls per value are measurable."""
    memo: dict[str, Hits] = {}

    def scan(value: str, found: Found) -> None:
        hits = memo.get(value)
        if hits is None:
            hits = parse(value)
            if len(value) <= MAX_CACHED_LENGTH:
                if len(memo) >= CACHE_SIZE:
                    memo.clear()
                memo[value] = hits
        for column, item in hits:
            bucket = found.get(column)
            if bucket is None:
                found[column] = {item}
            else:
                bucket.add(item)

    scan.__doc__ = parse.__doc__
    scan.parse = parse  # type: ignore[attr-defined]  # for callers that keep their own cache (indicators.nested)
    return scan


def verbatim(column: str) -> Scanner:
    """A scanner that records any non-blank value as given, minus surrounding whitespace."""

    def scan(value: str, found: Found) -> None:
        text = value.strip()
        if text:
            add(found, column, text)

    return scan
