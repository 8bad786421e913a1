"""Allowlists of client addresses by CIDR block, for tokens limited to some networks and for a server-wide
allowlist."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=1024)
def _network(cidr: str) -> Network:
    return ipaddress.ip_network(cidr.strip(), strict=False)


def normalize_cidrs(cidrs: Iterable[str]) -> list[str]:
    """The blocks in canonical form ("10.1.2.3/8" -> "10.0.0.0/8"); ValueError names the first bad one."""
    normalized = []
    for cidr in cidrs:
        try:
            network = _network(str(cidr))
        except ValueError:
            raise ValueError(f"{cidr!r} is not a CIDR block such as 203.0.113.0/24 or 2001:db8::/32") from None
        if str(network) not in normalized:
            normalized.append(str(network))
    return normalized


def ip_allowed(client_ip: str | None, cidrs: Iterable[str]) -> bool:
    """True if there is no allowlist, or the client's address is in one of its blocks. An unknown or unparsable
    address is refused when there is a list. IPv4 addresses seen as IPv6 (::ffff:a.b.c.d) count as IPv4."""
    blocks = [c for c in cidrs if c]
    if not blocks:
        return True
    try:
        address = ipaddress.ip_address((client_ip or "").strip())
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    for cidr in blocks:
        try:
            network = _network(cidr)
        except ValueError:
            continue  # a stored block that no longer parses grants nothing
        if address.version == network.version and address in network:
            return True
    return False
