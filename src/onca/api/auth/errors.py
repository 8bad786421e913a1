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


def raise_http(exc: Exception) -> NoReturn:
    """Re-raise an account or store error as the HTTP error that describes it."""
    if isinstance(exc, Invalid):
        raise RequestValidationError([{"type": "value_error", "loc": ("body", *exc.field.split(".")),
                                       "msg": exc.message, "input": None}]) from None
    if isinstance(exc, Forbidden):
        raise HTTPException(403, str(exc)) from None
    if isinstance(exc, SignInFailed):
        raise HTTPException(401, str(exc)) from None
    if isinstance(exc, NotFound):
        raise HTTPException(404, str(exc)) from None
    if isinstance(exc, Conflict):
        raise HTTPException(409, str(exc)) from None
    if isinstance(exc, InvalidCursor):
        raise HTTPException(400, str(exc)) from None
    if isinstance(exc, InvalidValue):
        raise HTTPException(422, str(exc)) from None
    if isinstance(exc, StoreError):
        raise HTTPException(500, str(exc)) from None
    raise exc
