"""Where ``event.lookup(table, key)`` finds lookup-table rows in live detection.

One function per process, like the caching store: installed before the detection engine forks its workers, it
is inherited by every worker, and the live engine hands it to each event it builds. Detection tests install
nothing, so ``lookup`` answers from the test's ``_mocked_lookup_data_`` there.
"""

from __future__ import annotations

from onca.detect.event.event import LookupFunction

_function: LookupFunction | None = None


def use_lookup_function(function: LookupFunction | None) -> LookupFunction | None:
    """Make ``function(event, table, key)`` answer ``event.lookup`` in live detection; returns the previous one."""
    global _function
    previous, _function = _function, function
    return previous


def lookup_function() -> LookupFunction | None:
    return _function
