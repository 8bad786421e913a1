"""Column names: the key a declared field gets in normalized events and lake tables.

Panther rewrites field names that are not plain identifiers, and detections and queries use the rewritten
names (`@timestamp` becomes `at_sign_timestamp`), so Onca does the same: `@` becomes `at_sign_` and any other
character outside letters, digits and `_` becomes `_`.
"""

from __future__ import annotations

import re
from functools import lru_cache

_INVALID = re.compile(r"[^A-Za-z0-9_]")


@lru_cache(maxsize=4096)
def column_name(field_name: str) -> str:
    if field_name.isidentifier() and field_name.isascii():
        return field_name
    return _INVALID.sub("_", field_name.replace("@", "at_sign_"))
