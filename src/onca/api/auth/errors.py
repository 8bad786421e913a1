"""What the account operations raise, and how each becomes an HTTP answer: 403 for what the caller may not do,
404 for what does not exist, 409 for what would break a rule of the data, 422 (naming the field) for bad input."""

from __future__ import annotations

from typing import NoReturn

from fastapi import HTTPException
from fastapi.exceptions import RequestValidationError

from onca.store import Conflict, InvalidCursor, InvalidValue, NotFound, StoreError


class AuthError(Exception):
    """Base of the errors below; the message is shown to the caller."""


class Forbidden(AuthError):
    """The caller is known but may not do this (grant more than it holds, demote itself, ...)."""


class Invalid(AuthError):
    """A value in the request is wrong; `field` names it as the request spelled it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class SignInFailed(AuthError):
    """Wrong email or password (the message never says which)."""


# the first kind an error is an instance of gives its status; order matters (StoreError is the base of the rest)
_STATUS: tuple[tuple[type[Exception], int], ...] = (
    (Forbidden, 403), (SignInFailed, 401), (NotFound, 404), (Conflict, 409), (InvalidCursor, 400),
    (InvalidValue, 422), (StoreError, 500),
)


def raise_http(exc: Exception) -> NoReturn:
    """Re-raise an account or store error as the HTTP error that describes it."""
    if isinstance(exc, Invalid):
        raise RequestValidationError([{"type": "value_error", "loc": ("body", *exc.field.split(".")),
                                       "msg": exc.message, "input": None}]) from None
    for kind, status in _STATUS:
        if isinstance(exc, kind):
            raise HTTPException(status, str(exc)) from None
    raise exc
