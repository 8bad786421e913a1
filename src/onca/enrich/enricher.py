"""The matcher: events of a table's associated log types get ``p_enrichment`` from the rows their selectors find.

For each enabled table associated with the event's log type, every selector's value is looked up by the table's
primary key. A match is written as ``p_enrichment[<lookupName>][<selector key>]``: the row's columns plus
``p_match``, the value that matched; for a selected array, a list of such rows, one per element that matched.

The plan (which tables and selectors apply to which log type) is rebuilt whenever tables change and replaced
whole, so a batch being enriched never sees half a change. Rows are shared between events, not copied: events
are read-only from here on (detections see immutable views, the lake serializes them).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from onca.enrich.index import CidrIndex, ExactIndex
from onca.enrich.selectors import Selector, compile_selector
from onca.enrich.table import LookupTable

log = logging.getLogger(__name__)

ENRICHMENT_FIELD = "p_enrichment"


@dataclass(frozen=True, slots=True)
class _Step:
    table: str
    selector: Selector
    index: ExactIndex | CidrIndex


def build_plans(tables: Iterable[LookupTable]) -> dict[str, tuple[_Step, ...]]:
    """Log type -> the lookups its events get, in table then selector order."""
    plans: dict[str, list[_Step]] = {}
    for table in sorted(tables, key=lambda t: t.name):
        if not table.enabled or not len(table.index):
            continue
        for associated in table.definition.settings.associated_log_types:
            steps = plans.setdefault(associated.log_type, [])
            for text in associated.selectors:
                steps.append(_Step(table.name, compile_selector(text), table.index))
    return {log_type: tuple(steps) for log_type, steps in plans.items() if steps}


def _matched(row: Mapping[str, Any], value: Any) -> dict[str, Any]:
    return {**row, "p_match": value}


def enrich_event(event: dict[str, Any], steps: tuple[_Step, ...]) -> bool:
    """Add what ``steps`` find to ``event``; True when anything matched."""
    found: dict[str, dict[str, Any]] | None = None
    for step in steps:
        selection = step.selector.select(event)
        if not selection.values:
            continue
        match = step.index.match
        if selection.is_array:
            result: Any = [_matched(row, value) for value in selection.values if (row := match(value)) is not None]
            if not result:
                continue
        else:
            value = selection.values[0]
            row = match(value)
            if row is None:
                continue
            result = _matched(row, value)
        if found is None:
            found = {}
        found.setdefault(step.table, {})[step.selector.key] = result
    if found is None:
        return False
    existing = event.get(ENRICHMENT_FIELD)
    if not isinstance(existing, dict):
        event[ENRICHMENT_FIELD] = found
        return True
    for table, results in found.items():  # enrichment the event already carried stays beside ours
        current = existing.get(table)
        if isinstance(current, dict):
            current.update(results)
        else:
            existing[table] = results
    return True


class Enricher:
    """Enriches batches of normalized events of one log type, in place (an ingest pipeline step)."""

    def __init__(self, tables: Iterable[LookupTable] = ()) -> None:
        self._plans = build_plans(tables)
        self._reported: set[str] = set()
        self.enriched_events = 0

    def update(self, tables: Iterable[LookupTable]) -> None:
        """Use ``tables`` from the next batch on."""
        self._plans = build_plans(tables)

    def log_types(self) -> list[str]:
        return sorted(self._plans)

    def apply(self, log_type: str, events: list[dict[str, Any]]) -> None:
        steps = self._plans.get(log_type)
        if not steps:
            return
        enriched = 0
        for event in events:
            try:
                enriched += enrich_event(event, steps)
            except Exception as exc:  # noqa: BLE001 - enrichment must never cost an event
                if log_type not in self._reported:
                    self._reported.add(log_type)
                    log.warning("enriching %s events failed (%s: %s); they go on without enrichment",
                                log_type, type(exc).__name__, exc)
        self.enriched_events += enriched
