"""The key-value store behind detection caching: counters, string sets and dictionaries per key.

Each key holds up to one counter, one string set and one dictionary, sharing one expiry time.
An expired key reads as absent. Expiry times are absolute epoch seconds; ``None`` on a write
leaves the key's expiry as it was.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol, runtime_checkable


class KeyValueError(RuntimeError):
    """The store could not be opened or reached; the message names it."""


@runtime_checkable
class KeyValueStore(Protocol):
    def get_counter(self, key: str) -> int: ...

    def increment_counter(self, key: str, amount: int = 1, expires_at: float | None = None) -> int: ...

    def reset_counter(self, key: str) -> None: ...

    def get_string_set(self, key: str) -> set[str]: ...

    def put_string_set(self, key: str, values: Iterable[str], expires_at: float | None = None) -> None: ...

    def add_to_string_set(self, key: str, values: Iterable[str], expires_at: float | None = None) -> set[str]: ...

    def remove_from_string_set(
        self, key: str, values: Iterable[str], expires_at: float | None = None
    ) -> set[str]: ...

    def reset_string_set(self, key: str) -> None: ...

    def get_dictionary(self, key: str) -> dict[str, Any] | None: ...

    def put_dictionary(self, key: str, value: dict[str, Any], expires_at: float | None = None) -> None: ...

    def set_expiration(self, key: str, expires_at: float | None) -> None:
        """Expire the key at ``expires_at``; ``None`` makes it permanent."""

    def expiration(self, key: str) -> float | None:
        """When the key expires (epoch seconds), or None if it never does or does not exist."""

    def delete(self, key: str) -> None: ...

    def clear(self) -> None:
        """Forget every key this store holds (only those under its prefix, for shared servers)."""

    def close(self) -> None: ...


def as_string_set(values: Iterable[str] | str) -> set[str]:
    """One string or many; every member must be a string."""
    members = {values} if isinstance(values, str) else set(values)
    for member in members:
        if not isinstance(member, str):
            raise TypeError(f"string sets hold strings, got {type(member).__name__}: {member!r}")
    return members
