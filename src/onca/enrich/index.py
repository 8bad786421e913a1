"""The rows of a table by primary key: an exact index, or a CIDR index that finds the most specific network
holding an address.

The CIDR index keeps one dictionary per prefix length, keyed by the network's leading bits. An address is
looked up once per prefix length that occurs in the table (at most 33 for IPv4, 129 for IPv6), longest first,
so nested networks resolve to the narrowest one and every lookup is a handful of dictionary reads.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from onca.enrich.keys import IpNetwork, address_bits, as_network, key_text
from onca.enrich.rows import RowProblem

Row = Mapping[str, Any]


class ExactIndex:
    cidr = False

    def __init__(self, rows: dict[str, Row]) -> None:
        self._rows = rows

    def match(self, value: Any) -> Row | None:
        text = key_text(value)
        return self._rows.get(text) if text is not None else None

    def items(self) -> Iterator[tuple[str, Row]]:
        """(key as text, row) for every row."""
        return iter(self._rows.items())

    def __len__(self) -> int:
        return len(self._rows)


class CidrIndex:
    cidr = True

    def __init__(self, networks: Sequence[tuple[IpNetwork, Row]]) -> None:
        levels: dict[int, dict[int, dict[int, Row]]] = {4: {}, 6: {}}
        self._exact: dict[str, Row] = {}
        for network, row in networks:
            shift = network.max_prefixlen - network.prefixlen
            levels[network.version].setdefault(network.prefixlen, {})[int(network.network_address) >> shift] = row
            self._exact[str(network)] = row
        # per version: (prefix length, the shift that keeps it, networks), longest prefix first
        self._levels = {
            version: [(prefix, (32 if version == 4 else 128) - prefix, by_bits[prefix])
                      for prefix in sorted(by_bits, reverse=True)]
            for version, by_bits in levels.items()
        }

    def match(self, value: Any) -> Row | None:
        text = key_text(value)
        if text is None:
            return None
        bits = address_bits(text)
        if bits is None:
            network = as_network(text) if "/" in text else None  # a network in the event: only that network
            return self._exact.get(str(network)) if network is not None else None
        version, number = bits
        for _, shift, networks in self._levels[version]:
            row = networks.get(number >> shift)
            if row is not None:
                return row
        return None

    def items(self) -> Iterator[tuple[str, Row]]:
        """(network as canonical text, row) for every row."""
        return iter(self._exact.items())

    def __len__(self) -> int:
        return len(self._exact)


@dataclass
class IndexedRows:
    """What indexing kept: the index, the rows in file order, and the rows refused with why."""

    index: ExactIndex | CidrIndex
    rows: list[dict[str, Any]]
    problems: list[RowProblem] = field(default_factory=list)


def _mostly_networks(keys: list[str]) -> bool:
    networks = [key for key in keys if as_network(key) is not None]
    return any("/" in key for key in networks) and 2 * len(networks) >= len(keys)


def index_rows(rows: Sequence[dict[str, Any]], lines: Sequence[int], primary_key: str, *,
               cidr: bool | None = None) -> IndexedRows:
    """Index ``rows`` (read from ``lines``) by ``primary_key``. ``cidr`` None decides from the keys: a table
    whose keys are at least half IP networks, one or more written with a prefix length (``10.0.0.0/8``),
    matches by containment.

    A row without a key, with a key that is not a network in a CIDR table, or repeating an earlier row's key,
    is refused and reported; the first row with a key wins.
    """
    keyed: list[tuple[str, dict[str, Any], int]] = []
    problems: list[RowProblem] = []
    for row, line in zip(rows, lines, strict=True):
        text = key_text(row.get(primary_key))
        if text is None:
            problems.append(RowProblem(line, f"no value for the primary key {primary_key!r}"))
            continue
        keyed.append((text, row, line))
    if cidr is None:
        cidr = _mostly_networks([text for text, _, _ in keyed])
    seen: dict[str, int] = {}
    kept: list[dict[str, Any]] = []
    entries: list[tuple[IpNetwork, dict[str, Any]]] = []
    for text, row, line in keyed:
        key = text
        if cidr:
            network = as_network(text)
            if network is None:
                problems.append(RowProblem(line, f"the primary key {primary_key!r} is {text!r}, not an IP network"))
                continue
            key = str(network)
        if key in seen:
            problems.append(RowProblem(line, f"the primary key {primary_key!r} = {text!r} repeats line "
                                             f"{seen[key]}; this row is left out"))
            continue
        seen[key] = line
        kept.append(row)
        if cidr:
            entries.append((as_network(key), row))  # type: ignore[arg-type]
    if cidr:
        index: ExactIndex | CidrIndex = CidrIndex(entries)
    else:
        index = ExactIndex({key_text(row.get(primary_key)): row for row in kept})  # type: ignore[misc]
    return IndexedRows(index, kept, sorted(problems, key=lambda p: p.line))
