"""Primary-key values as the matcher compares them: text for exact keys, integers for addresses and networks.

An event's value and a row's key match when their text is equal, so ``443`` in an event finds the row keyed
``"443"`` in a CSV file. A CIDR key is kept as its network (``10.0.0.0/8``); an address matches it when the
network contains the address.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Any

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def key_text(value: Any) -> str | None:
    """The text a value is matched by, or None for values that cannot be keys (missing, objects, lists)."""
    if isinstance(value, str):
        return value if value else None
    if isinstance(value, bool) or value is None:
        return None  # true/false are flags, never identifiers worth looking up
    if isinstance(value, int | float):
        return str(value)
    return None


def as_network(text: str) -> IpNetwork | None:
    """``text`` as an IP network (``10.0.0.0/8``, or a single address as /32 or /128), else None."""
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None


@lru_cache(maxsize=65_536)
def address_bits(text: str) -> tuple[int, int] | None:
    """(IP version, the address as an integer) for an address; IPv4 written as IPv6 (``::ffff:1.2.3.4``) is
    taken as the IPv4 address. Cached: the same addresses recur in every log."""
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.version, int(address)


def candidate_networks(text: str) -> list[str]:
    """Every network that could contain the address ``text``, most specific first, as canonical text; empty
    when ``text`` is not an address. Used where networks are looked up by their text (the shared file)."""
    bits = address_bits(text)
    if bits is None:
        return []
    version, number = bits
    width = 32 if version == 4 else 128
    factory = ipaddress.IPv4Network if version == 4 else ipaddress.IPv6Network
    networks = []
    for prefix in range(width, -1, -1):
        base = number >> (width - prefix) << (width - prefix)
        networks.append(str(factory((base, prefix))))
    return networks
