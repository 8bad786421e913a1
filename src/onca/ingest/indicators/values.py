"""Value indicators: file hashes, email addresses, and identifiers recorded as given (users, actors, traces)."""

from __future__ import annotations

import re

from onca.ingest.indicators.base import (
    EMAILS,
    MD5_HASHES,
    NO_HITS,
    SHA1_HASHES,
    SHA256_HASHES,
    Found,
    Hits,
    Scanner,
    add,
    scanner_from,
)
from onca.ingest.indicators.network import domain_hits

_HEX = re.compile(r"[0-9a-fA-F]+")
# A local part as logs carry it: no whitespace, no @, none of the characters that frame or list addresses
# ("Bob <bob@x>", "a@x, b@x", "mailto:a@x"). Quoted local parts are too rare in logs to be worth accepting.
_LOCAL_PART = re.compile(r"[^\s@<>()\[\]\\,;:\"]{1,64}")
_MAX_EMAIL = 320

def hash_scanner(length: int, column: str) -> Scanner:
    """A scanner for hex digests of exactly `length` digits, recorded in lower case."""

    def scan(value: str, found: Found) -> None:
        if len(value) != length:
            value = value.strip()
            if len(value) != length:
                return
        if _HEX.fullmatch(value):
            add(found, column, value.lower())

    scan.__doc__ = f"A hex digest of {length} digits, lower-cased."
    return scan


scan_md5 = hash_scanner(32, MD5_HASHES)
scan_sha1 = hash_scanner(40, SHA1_HASHES)
scan_sha256 = hash_scanner(64, SHA256_HASHES)


def parse_email(text: str) -> Hits:
    """An email address, recorded as given minus outer whitespace.

    The domain must be a host name with at least one dot, which keeps login strings such as root@server01 and
    Kerberos-style user@REALM values without a dot out of the column.
    """
    v = text.strip()
    if len(v) > _MAX_EMAIL:
        return NO_HITS
    local, at, domain = v.rpartition("@")
    if not at or not _LOCAL_PART.fullmatch(local) or "." not in domain.removesuffix(".") or domain != domain.strip():
        return NO_HITS
    # Addresses are many but their domains few: the domain check is remembered.
    return ((EMAILS, v),) if domain_hits(domain) else NO_HITS


def is_email(text: str) -> bool:
    return bool(parse_email(text))


scan_email = scanner_from(parse_email)
