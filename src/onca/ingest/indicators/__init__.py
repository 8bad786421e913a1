"""Indicator scanners: the values that fill an event's p_any_* columns (Panther's indicator fields).

A schema marks a string field with `indicators: [ip, hostname, ...]`; while normalizing, the field's value is
passed to each named scanner, which adds what it recognises to a dict of column -> set. `finalize` turns that dict
into the sorted lists stored on the event. The scanner names and the columns they fill match Panther's, so
queries over `p_any_*` and the `all_logs` view work the same.

    found: dict[str, set[str]] = {}
    get_scanner("url")("https://[2001:db8::1]:8443/login", found)
    finalize(found)  # {"p_any_ip_addresses": ["2001:db8::1"]}
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from onca.ingest.indicators import aws, network, values
from onca.ingest.indicators.base import (
    ACTOR_IDS,
    AWS_ACCOUNT_IDS,
    AWS_ARNS,
    AWS_INSTANCE_IDS,
    AWS_TAGS,
    DOMAIN_NAMES,
    EMAILS,
    IP_ADDRESSES,
    MAC_ADDRESSES,
    MD5_HASHES,
    SHA1_HASHES,
    SHA256_HASHES,
    TRACE_IDS,
    USERNAMES,
    Found,
    Scanner,
    verbatim,
)

__all__ = [
    "INDICATORS", "INDICATOR_COLUMNS", "SCANNER_NAMES", "Indicator", "Scanner", "UnknownIndicatorError",
    "columns_for", "finalize", "get_scanner",
]


@dataclass(frozen=True, slots=True)
class Indicator:
    """One scanner a schema can name under `indicators:`, the columns it may fill, and what it accepts."""

    name: str
    columns: tuple[str, ...]
    scan: Scanner
    description: str


class UnknownIndicatorError(ValueError, LookupError):
    """An indicator scanner name that does not exist; the message names it and lists the known ones."""


_NET = (DOMAIN_NAMES, IP_ADDRESSES)

INDICATORS: dict[str, Indicator] = {i.name: i for i in (
    Indicator("ip", (IP_ADDRESSES,), network.scan_ip,
              "a valid IPv4 or IPv6 address, in canonical form"),
    Indicator("domain", (DOMAIN_NAMES,), network.scan_domain,
              "a host name, lower-cased, internationalized names as punycode"),
    Indicator("hostname", _NET, network.scan_hostname,
              "an IP address if the value is one, else a domain name"),
    Indicator("url", _NET, network.scan_url,
              "the host of a URL (with or without a scheme), as an IP address or domain name"),
    Indicator("net_addr", _NET, network.scan_net_addr,
              "the host of host:port, [v6]:port or a bare host, as an IP address or domain name"),
    Indicator("mac", (MAC_ADDRESSES,), network.scan_mac,
              "a MAC address, normalized to lower-case colon form"),
    Indicator("md5", (MD5_HASHES,), values.scan_md5, "an MD5 hex digest, lower-cased"),
    Indicator("sha1", (SHA1_HASHES,), values.scan_sha1, "a SHA-1 hex digest, lower-cased"),
    Indicator("sha256", (SHA256_HASHES,), values.scan_sha256, "a SHA-256 hex digest, lower-cased"),
    Indicator("email", (EMAILS,), values.scan_email, "an email address, as given"),
    Indicator("username", (USERNAMES,), verbatim(USERNAMES), "any non-blank value, as given"),
    Indicator("trace_id", (TRACE_IDS,), verbatim(TRACE_IDS), "any non-blank value, as given"),
    Indicator("actor_id", (ACTOR_IDS,), verbatim(ACTOR_IDS), "any non-blank value, as given"),
    Indicator("aws_arn", (AWS_ARNS, AWS_ACCOUNT_IDS, AWS_INSTANCE_IDS, EMAILS), aws.scan_arn,
              "an ARN, plus the account id, EC2 instance id and assumed-role session email inside it"),
    Indicator("aws_arn_only", (AWS_ARNS,), aws.scan_arn_only, "an ARN, and nothing extracted from it"),
    Indicator("aws_account_id", (AWS_ACCOUNT_IDS,), aws.scan_account_id, "a 12-digit AWS account id"),
    Indicator("aws_instance_id", (AWS_INSTANCE_IDS,), aws.scan_instance_id,
              "an EC2 instance id (i- and 8 or 17 hex digits), lower-cased"),
    Indicator("aws_tag", (AWS_TAGS,), verbatim(AWS_TAGS), "an AWS tag as a key:value string, as given"),
)}

INDICATOR_COLUMNS: dict[str, tuple[str, ...]] = {name: i.columns for name, i in INDICATORS.items()}
SCANNER_NAMES: frozenset[str] = frozenset(INDICATORS)


def _indicator(name: str) -> Indicator:
    try:
        return INDICATORS[name]
    except (KeyError, TypeError):
        raise UnknownIndicatorError(
            f"unknown indicator {name!r} (known: {', '.join(sorted(SCANNER_NAMES))})") from None


def get_scanner(name: str) -> Scanner:
    """The scanner function for an indicator name; UnknownIndicatorError (a ValueError) names an unknown one."""
    return _indicator(name).scan


def columns_for(scanners: Iterable[str]) -> list[str]:
    """The sorted p_any_* columns that the named scanners can fill."""
    return sorted({column for name in scanners for column in _indicator(name).columns})


def finalize(found: Found) -> dict[str, list[str]]:
    """Column -> sorted values, columns in name order, columns that found nothing left out."""
    return {column: sorted(items) if len(items) > 1 else list(items)
            for column, items in sorted(found.items()) if items}
