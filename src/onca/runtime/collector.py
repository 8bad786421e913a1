"""How often Python's cyclic garbage collector runs in an Onca process.

Ingest and detection allocate a great many short-lived containers (a dict per event and per nested object, lists
of indicators), almost none of them in reference cycles, which reference counting frees at once. CPython's
default runs a young-generation collection every 700 new containers, and every tenth of those scans the middle
generation too, while the oldest one holds everything loaded at start (schemas, compiled parsers, detection
content). Collecting the young generation every 10,000 containers instead made CloudTrail ingest about 14% faster
(benchmarks/ingest.py); cycles are still collected, a little later.
"""

from __future__ import annotations

import gc

YOUNG_GENERATION_THRESHOLD = 10_000


def tune_garbage_collector() -> None:
    """Collect the young generation less often; a threshold already higher is kept."""
    young, middle, old = gc.get_threshold()
    if 0 < young < YOUNG_GENERATION_THRESHOLD:
        gc.set_threshold(YOUNG_GENERATION_THRESHOLD, middle, old)
