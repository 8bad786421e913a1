"""What the auth routes share: the store, paging limits, and turning account errors into HTTP answers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from fastapi import Request

from onca.store import Store, StoreError

from onca.api.auth.errors import AuthError, raise_http

MAX_LIMIT = 60  # Panther's page size limit for users
T = TypeVar("T")


def store_of(request: Request) -> Store:
    return request.app.state.store


@contextmanager
def answering() -> Iterator[None]:
    """Account and store errors leave the block as the HTTP errors that describe them."""
    try:
        yield
    except (AuthError, StoreError) as exc:
        raise_http(exc)


def id_list(repeated: list[str] | None, comma_separated: str | None) -> list[str] | None:
    """Panther's two spellings of a set of ids: `id=a&id=b` and `ids=a,b`; None when neither is given."""
    wanted = [*(repeated or ()), *(part.strip() for part in (comma_separated or "").split(",") if part.strip())]
    return wanted or None


def cached(load: Callable[[str], T]) -> Callable[[str], T]:
    """`load` remembering its answers for one request (the role of every user on a page)."""
    seen: dict[str, Any] = {}

    def get(key: str) -> T:
        if key not in seen:
            seen[key] = load(key)
        return seen[key]

    return get
