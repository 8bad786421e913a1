"""Constants and small helpers the auth API tests share."""

from __future__ import annotations

from typing import Any

PASSWORD = "Correct-Horse-42"
API = "/api/v1"


def message(response: Any) -> str:
    """The error text of a response, whichever way it is shaped."""
    body = response.json()
    detail = body.get("message") or body.get("detail")
    return detail if isinstance(detail, str) else str(detail)
