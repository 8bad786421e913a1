"""Opaque cursors for keyset paging: the position after the last row of a page, newest first."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_

from onca.store.errors import InvalidCursor, InvalidValue
from onca.store.types import utc

MAX_LIMIT = 1000


def encode_cursor(created_at: datetime, row_id: str) -> str:
    text = json.dumps([utc(created_at).isoformat(), row_id], separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        moment, row_id = json.loads(raw)
        if not isinstance(row_id, str):
            raise TypeError
        return utc(datetime.fromisoformat(moment)), row_id
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise InvalidCursor(f"cursor {cursor!r} is not one this store returned") from None


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidValue(f"limit must be between 1 and {MAX_LIMIT}, not {limit}")
    return limit


def after_cursor(created_column: Any, id_column: Any, cursor: str, *, descending: bool = False) -> Any:
    """The condition selecting the rows after `cursor` in (created_at, id) order."""
    after_time, after_id = decode_cursor(cursor)
    if descending:
        return or_(created_column < after_time, and_(created_column == after_time, id_column < after_id))
    return or_(created_column > after_time, and_(created_column == after_time, id_column > after_id))


def page(records: list[Any], limit: int) -> tuple[list[Any], str | None]:
    """Split the `limit + 1` records read into the page and the next page's cursor (None at the end). The
    records need `created_at` and `id`."""
    if len(records) <= limit:
        return records, None
    records = records[:limit]
    return records, encode_cursor(records[-1].created_at, records[-1].id)


def every_page(list_page: Callable[..., tuple[list[Any], str | None]], **filters: Any) -> list[Any]:
    """Every record of a paged listing (``repo.list``), page after page."""
    records, cursor = list_page(limit=MAX_LIMIT, **filters)
    while cursor:
        more, cursor = list_page(limit=MAX_LIMIT, cursor=cursor, **filters)
        records += more
    return records
