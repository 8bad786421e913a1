"""Selectors: where in an event of an associated log type the values to look up are.

A selector is a JSON path (``$.client.ipAddress``), a top-level field name (``sourceIPAddress``), or an
indicator field (``p_any_ip_addresses``). Its result goes under ``p_enrichment.<table>.<key>``, where the key
is the selector without its leading ``$.``. A selected array is looked up element by element. Plain dotted paths
are read directly; paths with brackets or wildcards (``$.actors[*].ip``) go through jsonpath-ng, and several
values found that way count as an array.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

_SIMPLE_PATH = re.compile(r"\$(\.[^.\[\]*$'\"\s]+)+")


class SelectorError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Selection:
    values: list[Any]
    is_array: bool


_NOTHING = Selection([], False)


class Selector:
    """One compiled selector; ``select(event)`` returns what it points at."""

    __slots__ = ("_expression", "_steps", "key", "text")

    def __init__(self, text: str) -> None:
        if not isinstance(text, str) or not text.strip():
            raise SelectorError("a selector must be a non-empty JSON path or field name")
        self.text = text = text.strip()
        self._expression: Any = None
        self._steps: tuple[str, ...] = ()
        if text.startswith("$"):
            self.key = text[2:] if text.startswith("$.") else text[1:].lstrip(".")
            if _SIMPLE_PATH.fullmatch(text):
                self._steps = tuple(text[2:].split("."))
            else:
                self._expression = _jsonpath(text)
        else:
            self.key = text
            self._steps = (text,)

    def select(self, event: Mapping[str, Any]) -> Selection:
        if self._expression is not None:
            found = [match.value for match in self._expression.find(event)]
            if len(found) == 1:
                return _selection(found[0])
            return Selection([v for v in found if v is not None], True) if found else _NOTHING
        value: Any = event.get(self._steps[0])
        if value is None and len(self._steps) == 1 and "." in self.text and not self.text.startswith("$"):
            value = _walk(event, tuple(self.text.split(".")))  # "client.ipAddress" written without "$."
        elif len(self._steps) > 1:
            value = _walk(value, self._steps[1:])
        return _selection(value)

    def __repr__(self) -> str:
        return f"Selector({self.text!r})"


def _walk(value: Any, steps: tuple[str, ...]) -> Any:
    for step in steps:
        if not isinstance(value, Mapping):
            return None
        value = value.get(step)
    return value


def _selection(value: Any) -> Selection:
    if value is None:
        return _NOTHING
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return Selection([v for v in value if v is not None], True)
    return Selection([value], False)


@lru_cache(maxsize=1024)
def _jsonpath(text: str) -> Any:
    from jsonpath_ng import parse

    try:
        return parse(text)
    except Exception as exc:  # noqa: BLE001 - jsonpath-ng raises lexer, parser and plain errors alike
        raise SelectorError(f"selector {text!r} is not a valid JSON path: {exc}") from None


def compile_selector(text: str) -> Selector:
    """A selector, or SelectorError naming what is wrong with ``text``."""
    return Selector(text)
