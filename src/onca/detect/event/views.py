"""Read-only views over an event's JSON values: a case-insensitive mapping and a list.

Nested dicts and lists are wrapped on access, never up front, so a detection that reads two
fields of a large event pays for two fields. The raw values are never copied or changed.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping, Sequence
from typing import Any


_MISSING: Any = object()


def wrap(value: Any) -> Any:
    """Wrap a JSON container in its read-only view; other values pass through unchanged.

    Only plain ``dict`` and ``list`` are wrapped (not subclasses or tuples), which is what content
    written for Panther expects when it checks ``isinstance(value, ImmutableList)``.
    """
    kind = type(value)
    if kind is dict:
        return ImmutableCaseInsensitiveDict(value)
    if kind is list:
        return ImmutableList(value)
    return value


def unwrap(value: Any) -> Any:
    """The raw container behind a view (or the value itself)."""
    kind = type(value)
    if kind is dict:  # the usual case, and cheaper to see than an ABC instance check
        return value
    if isinstance(value, ImmutableCaseInsensitiveDict | ImmutableList):
        return value._data
    return value


class ImmutableCaseInsensitiveDict(Mapping[str, Any]):
    """A read-only mapping whose string keys match regardless of case.

    An exact match wins; otherwise the first key (in the event's order) that folds to the same
    lower-case text is used.
    """

    __slots__ = ("_data", "_folded")

    def __init__(self, container: Mapping[str, Any] | None = None) -> None:
        data = unwrap(container) if container is not None else {}
        self._data: Mapping[str, Any] = data
        self._folded: dict[str, Any] | None = None

    def _fold(self) -> dict[str, Any]:
        folded = self._folded
        if folded is None:
            folded = {}
            for original in self._data:
                if isinstance(original, str):
                    folded.setdefault(original.lower(), original)
            self._folded = folded
        return folded

    def _original_key(self, key: Any) -> Any:
        if not isinstance(key, str):
            raise KeyError(key)
        try:
            return self._fold()[key.lower()]
        except KeyError:
            raise KeyError(key) from None

    def __getitem__(self, key: Any) -> Any:
        data = self._data
        try:
            value = data[key]
        except KeyError:
            value = data[self._original_key(key)]
        return wrap(value)

    def get(self, key: Any, default: Any = None) -> Any:
        # The hottest call detections make, and most keys asked for are absent: answer without raising.
        data = self._data
        if not isinstance(data, dict):
            try:
                return self[key]
            except KeyError:
                return default
        value = data.get(key, _MISSING)
        if value is _MISSING:
            if not isinstance(key, str):
                return default
            original = self._fold().get(key.lower(), _MISSING)
            if original is _MISSING:
                return default
            value = data[original]
        return wrap(value)

    def __contains__(self, key: object) -> bool:
        try:
            if key in self._data:
                return True
            self._original_key(key)
        except (KeyError, TypeError):
            return False
        return True

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._data!r})"

    def deep_get(self, *keys: Any, default: Any = None) -> Any:
        """Follow ``keys`` through nested mappings; ``default`` when a step is missing or the end is None."""
        value: Any = self
        for key in keys:
            value = value.get(key, default) if isinstance(value, Mapping) else default
        return default if value is None else value

    def to_dict(self) -> dict[str, Any]:
        """A mutable deep copy."""
        return copy.deepcopy(dict(self._data))

    def copy(self) -> dict[str, Any]:
        return self.to_dict()

    def raw_view(self) -> Mapping[str, Any]:
        """The wrapped mapping itself, uncopied: treat it as read-only."""
        return self._data


class ImmutableList(Sequence[Any]):
    """A read-only list; nested containers are wrapped on access. Slices are plain tuples."""

    __slots__ = ("_data",)

    def __init__(self, container: Sequence[Any] | None = None) -> None:
        data = unwrap(container) if container is not None else ()
        self._data: Sequence[Any] = data if isinstance(data, list | tuple) else tuple(data)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return tuple(self._data[index])
        return wrap(self._data[index])

    def __iter__(self) -> Iterator[Any]:
        for item in self._data:
            yield wrap(item)

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, value: object) -> bool:
        return unwrap(value) in self._data

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ImmutableList):
            return tuple(self._data) == tuple(other._data)
        if isinstance(other, list | tuple):
            return len(self._data) == len(other) and tuple(self._data) == tuple(other)
        return False

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({tuple(self._data)!r})"

    def as_list(self) -> list[Any]:
        """A mutable deep copy."""
        return copy.deepcopy(list(self._data))

    def copy(self) -> list[Any]:
        return self.as_list()


def json_default(value: Any) -> Any:
    """``json.dumps(..., default=json_default)``: views encode as the values they wrap."""
    if isinstance(value, ImmutableCaseInsensitiveDict | ImmutableList):
        return value._data
    raise TypeError(f"object of type {type(value)} is not JSON serializable")
