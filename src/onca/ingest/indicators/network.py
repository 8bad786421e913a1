"""Network indicators: IP addresses, domain names, hostnames, URLs, host:port addresses and MAC addresses.

Every parse below is a pure function of its text, so the common ones are cached (see `base.cached`): a log
stream repeats the same few thousand addresses and hosts, and a cache hit costs far less than any parse.
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache

import idna

from onca.ingest.indicators.base import (
    DOMAIN_NAMES,
    IP_ADDRESSES,
    MAC_ADDRESSES,
    NO_HITS,
    Found,
    Hits,
    cached,
    record,
    scanner_from,
)

_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
# Dotted quad without leading zeros: exactly what `ipaddress` accepts, so a match is already canonical text.
_IPV4 = re.compile(rf"(?:{_OCTET}\.){{3}}{_OCTET}")
_IPV6_CHARS = frozenset("0123456789abcdefABCDEF:.")
_ZONE_ID = re.compile(r"[0-9A-Za-z_.\-]{1,64}")

# Host names as found in logs: letters, digits, hyphens and underscores (service records such as _dmarc), labels
# of at most 63 characters not starting or ending with a hyphen, 253 characters in all. A last label made only
# of digits is refused, so a malformed dotted quad such as 1.2.3.999 never passes for a domain.
_LABEL = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
_ASCII_DOMAIN = re.compile(rf"(?=.{{1,253}}\Z)(?:{_LABEL}\.)*(?![0-9]+\Z){_LABEL}")
_MAX_UNICODE_DOMAIN = 1024
# The full stops that UTS 46 maps to "." (ideographic, full-width, half-width ideographic).
_UNICODE_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*")
_AUTHORITY_END = re.compile(r"[/?#\\]")
_HEX = re.compile(r"[0-9a-fA-F]+")
_MAC48 = re.compile(r"[0-9a-fA-F]{2}([:-])(?:[0-9a-fA-F]{2}\1){4}[0-9a-fA-F]{2}")


# ---- IP addresses ------------------------------------------------------------------------------------------


def parse_ip(text: str) -> Hits:
    """An IPv4 or IPv6 address, in its canonical text.

    Surrounding whitespace and a pair of brackets are ignored and an IPv6 zone id (fe80::1%eth0) is dropped, since
    it only names an interface on the host that logged it. An IPv4-mapped IPv6 address yields both the mapped form
    (RFC 5952 style, ::ffff:192.0.2.1) and the plain IPv4 address, so searching for the IPv4 address finds it.
    """
    v = text.strip()
    if v[:1] == "[" and v[-1:] == "]":
        v = v[1:-1]
    if _IPV4.fullmatch(v):
        return ((IP_ADDRESSES, v),)
    if ":" not in v:
        return NO_HITS
    address, percent, zone = v.partition("%")
    if percent and not _ZONE_ID.fullmatch(zone):
        return NO_HITS
    if not _IPV6_CHARS.issuperset(address):  # cheap refusal of host:port, MACs with letters past f, prose...
        return NO_HITS
    try:
        ip = ipaddress.IPv6Address(address)
    except ValueError:
        return NO_HITS
    mapped = ip.ipv4_mapped
    if mapped is not None:
        return ((IP_ADDRESSES, f"::ffff:{mapped}"), (IP_ADDRESSES, str(mapped)))
    return ((IP_ADDRESSES, str(ip)),)


# ---- domain names ------------------------------------------------------------------------------------------


def domain_name(text: str) -> str | None:
    """The domain name in `text` as lower-case ASCII (internationalized names as punycode), or None."""
    v = text.strip()
    if v[-1:] == ".":
        v = v[:-1]
    if v.isascii():
        v = v.lower()
        return v if _ASCII_DOMAIN.fullmatch(v) else None
    if not v or len(v) > _MAX_UNICODE_DOMAIN:
        return None
    return _unicode_domain_name(v)


def _unicode_domain_name(v: str) -> str | None:
    # Converted label by label, as IDNA itself works, so a new subdomain of a known internationalized domain
    # costs one cached lookup per label instead of a full conversion.
    labels = v.translate(_UNICODE_DOTS).split(".")
    if len(labels) > 1 and not labels[-1]:
        labels.pop()
    ascii_labels = []
    for label in labels:
        if label.isascii():
            ascii_labels.append(label.lower())
            continue
        converted = _unicode_label(label)
        if converted is None:
            return None
        ascii_labels.append(converted)
    name = ".".join(ascii_labels)
    return name if _ASCII_DOMAIN.fullmatch(name) else None


@lru_cache(maxsize=4096)
def _unicode_label(label: str) -> str | None:
    try:
        # IDNA 2008 with the UTS 46 mapping (case folding, full-width forms)
        encoded = idna.encode(label, uts46=True)
    except (UnicodeError, ValueError):
        try:
            # IDNA 2003 still converts labels that 2008 refuses but that resolve in practice (symbols, _)
            encoded = label.encode("idna")
        except (UnicodeError, ValueError):
            return None
    return encoded.decode("ascii").lower()


def parse_domain(text: str) -> Hits:
    name = domain_name(text)
    return NO_HITS if name is None else ((DOMAIN_NAMES, name),)


domain_hits = cached(parse_domain)


# ---- hostnames, URLs, network addresses --------------------------------------------------------------------


def parse_hostname(text: str) -> Hits:
    """An IP address if the text is one, else a domain name."""
    v = text.strip()
    if not v:
        return NO_HITS
    hits = parse_ip(v)
    if hits or ":" in v or v[0] == "[":
        return hits
    return parse_domain(v)


hostname_hits = cached(parse_hostname)


def split_host(authority: str) -> str | None:
    """The host of `host`, `host:port`, `[v6]`, `[v6]:port`, or of a bare IPv6 address; None if malformed."""
    if authority[:1] == "[":
        end = authority.find("]")
        if end < 0 or (end + 1 < len(authority) and authority[end + 1] != ":"):
            return None
        return authority[1:end]
    first = authority.find(":")
    if first < 0 or authority.find(":", first + 1) >= 0:  # no port, or an unbracketed IPv6 address
        return authority
    return authority[:first]


def url_host(text: str) -> str | None:
    """The host part of a URL, with or without a scheme (https://h/p, //h/p, h/p, h:8080); None if it has none."""
    v = text.strip()
    sep = v.find("://")
    if sep > 0 and _SCHEME.fullmatch(v, 0, sep):
        rest, schemeless = v[sep + 3:], False
    elif v[:2] == "//":
        rest, schemeless = v[2:], False
    else:
        rest, schemeless = v, True
    end = _AUTHORITY_END.search(rest)
    authority = rest[: end.start()] if end else rest
    if not schemeless:
        authority = authority[authority.rfind("@") + 1:]  # drop user:password@
        return split_host(authority) or None
    # Without a scheme, only something that reads as a host is taken: "example.com/x", "localhost:8080", "[::1]".
    # Relative paths ("logo", "a/b") and opaque URIs ("mailto:a@b.c", "urn:isbn:1") have no host.
    if not authority or "@" in authority:
        return None
    if authority[0] != "[":
        name, colon, port = authority.partition(":")
        if colon and not (port.isascii() and port.isdigit()):
            return None
        if not colon and "." not in name:
            return None
    return split_host(authority) or None


def scan_url(value: str, found: Found) -> None:
    """The host of a URL: an IP address or a domain name."""
    host = url_host(value)
    if host:
        record(found, hostname_hits(host))


def scan_net_addr(value: str, found: Found) -> None:
    """The host of `host:port`, `[v6]:port` or a bare host: an IP address or a domain name."""
    host = split_host(value.strip())
    if host:
        record(found, hostname_hits(host))


def scan_hostname(value: str, found: Found) -> None:
    """An IP address or a domain name."""
    record(found, hostname_hits(value))


# ---- MAC addresses -----------------------------------------------------------------------------------------


def parse_mac(text: str) -> Hits:
    """A 48- or 64-bit MAC address in colon, hyphen, Cisco dotted or bare hex form, as lower-case colon form.

    Colon or hyphen groups of a single digit (0:1b:63:84:45:e6, as some tools print them) are zero-padded.
    """
    v = text.strip()
    if _MAC48.fullmatch(v):  # the usual aa:bb:cc:dd:ee:ff or aa-bb-cc-dd-ee-ff
        return ((MAC_ADDRESSES, v.lower().replace("-", ":")),)
    if ":" in v or "-" in v:
        groups = v.split(":" if ":" in v else "-")
        if len(groups) not in (6, 8) or not all(0 < len(g) <= 2 for g in groups):
            return NO_HITS
        digits = "".join(g.rjust(2, "0") for g in groups)
    elif "." in v:
        groups = v.split(".")
        if len(groups) not in (3, 4) or not all(len(g) == 4 for g in groups):
            return NO_HITS
        digits = "".join(groups)
    elif len(v) in (12, 16):
        digits = v
    else:
        return NO_HITS
    if not _HEX.fullmatch(digits):
        return NO_HITS
    digits = digits.lower()
    return ((MAC_ADDRESSES, ":".join(digits[i:i + 2] for i in range(0, len(digits), 2))),)


scan_ip = scanner_from(parse_ip)
scan_domain = scanner_from(parse_domain)
scan_mac = scanner_from(parse_mac)
