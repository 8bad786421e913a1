"""What the store raises: every error names the value or the URL that was wrong."""

from __future__ import annotations


class StoreError(Exception):
    """The store cannot be opened or was given something it cannot keep; the message says what."""


class NotFound(StoreError, LookupError):
    """No row has the id or key that was asked for."""


class InvalidValue(StoreError, ValueError):
    """A value outside what the field accepts (an unknown status, an empty comment, a bad id)."""


class InvalidCursor(InvalidValue):
    """A paging cursor this store did not hand out."""


class Conflict(StoreError):
    """The change would break a uniqueness or integrity rule (an email or role name already taken, a role still
    assigned to users, a built-in role)."""
