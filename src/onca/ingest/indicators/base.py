"""What every indicator scanner shares: the p_any_* column names, how a found value is recorded, and caching.

A scanner is a plain function `scan(value, found)`: it reads one string and adds what it recognises to `found`,
a dict from column name to a set of values. It never raises on text it does not recognise; it adds nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

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

# Log values repeat heavily (the same addresses, hosts and ARNs in event after event), so the result of parsing
# a short value is remembered. Long values are rarely repeated and would pin memory, so they are parsed afresh.
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
    """`parse` with its results remembered for short values; `parse` must be a pure function of its text."""
    remembered = lru_cache(maxsize=CACHE_SIZE)(parse)

    def lookup(value: str) -> Hits:
        return remembered(value) if len(value) <= MAX_CACHED_LENGTH else parse(value)

    lookup.__doc__ = parse.__doc__
    return lookup


def scanner_from(parse: Callable[[str], Hits]) -> Scanner:
    """A scanner that records whatever the (cached) `parse` recognises."""
    remembered = lru_cache(maxsize=CACHE_SIZE)(parse)

    def scan(value: str, found: Found) -> None:
        hits = remembered(value) if len(value) <= MAX_CACHED_LENGTH else parse(value)
        for column, item in hits:
            bucket = found.get(column)
            if bucket is None:
                found[column] = {item}
            else:
                bucket.add(item)

    scan.__doc__ = parse.__doc__
    return scan


def verbatim(column: str) -> Scanner:
    """A scanner that records any non-blank value as given, minus surrounding whitespace."""

    def scan(value: str, found: Found) -> None:
        text = value.strip()
        if text:
            add(found, column, text)

    return scan
