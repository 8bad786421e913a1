"""Scanning the strings inside a JSON value (CloudTrail's requestParameters, for example) for indicators.

Such values hold many strings, most of which are no indicator at all ("data/577814.csv", "prod"), and each one
is offered to every scanner the field names. So a field's scanners are combined: what they find in a string is
worked out once and remembered per field, and a string costs one dictionary lookup however many scanners there
are. The memory is the field's own, so a stream of one-off strings here does not push the values that repeat in
the event's plain fields (account ids, user ARNs) out of the scanners' caches.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from onca.ingest.indicators.base import Found, Hits, Scanner, cached, record

MAX_JSON_SCAN_STRINGS = 1_000  # scanning one value stops here: a huge document costs no more

JsonScanner = Callable[[Any, Found], None]


def _hits_of(scanners: Sequence[Scanner]) -> Callable[[str], Hits]:
    parses = [getattr(scan, "parse", None) for scan in scanners]

    def hits(text: str) -> Hits:
        found: Found = {}
        out: list[tuple[str, str]] = []
        for scan, parse in zip(scanners, parses, strict=True):
            if parse is not None:  # the pure function behind a caching scanner: its cache is left alone
                out.extend(parse(text))
            else:
                scan(text, found)
        out.extend((column, value) for column, values in found.items() for value in sorted(values))
        return tuple(out)

    return hits


def json_scanner(scanners: Sequence[Scanner]) -> JsonScanner:
    """A function that records what `scanners` find in every non-empty string of a JSON value (keys excluded),
    depth first, stopping after MAX_JSON_SCAN_STRINGS strings."""
    hits_of = cached(_hits_of(scanners))

    def scan(value: Any, found: Found) -> None:
        stack = [value]
        pop, extend = stack.pop, stack.extend
        budget = MAX_JSON_SCAN_STRINGS
        while stack:
            item = pop()
            if item.__class__ is str:
                if item:
                    record(found, hits_of(item))
                budget -= 1
                if not budget:
                    return
            elif isinstance(item, dict):
                extend(item.values())
            elif isinstance(item, list):
                extend(item)

    return scan
