"""Key specifiers: how a match expression names the event value it looks at.

Four forms exist: ``Key`` (one top-level key, taken literally), ``DeepKey`` (a list of keys and
list indices), ``KeyPath`` (a dotted path with ``[n]`` indices and ``[*]`` wildcards) and
``Enrichment`` (a field of a lookup-table row under ``p_enrichment``). Each compiles to a
:class:`KeyGetter` that walks the event through the Mapping interface only (``get``), so the
case-insensitive event wrapper of the caller works unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from onca.detect.simple.errors import SimpleDetectionError


class _Missing:
    """Marks a key that is absent, as distinct from a key whose value is null (one instance)."""

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Any = _Missing()

WILDCARD = "*"
KEY_SPECIFIERS = ("Key", "DeepKey", "KeyPath", "Enrichment")

# One path segment: an optional name followed by any number of [n] or [*] subscripts.
_SEGMENT = re.compile(r"^(?P<name>[^\[\]]*)(?P<subs>(?:\[(?:-?\d+|\*)\])*)$")
_SUBSCRIPT = re.compile(r"\[(-?\d+|\*)\]")

Step = str | int


def is_sequence(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes, bytearray))


def _step(container: Any, step: Step) -> Any:
    """One level down; MISSING when the step does not apply to the container."""
    if isinstance(container, Mapping):
        if isinstance(step, int):
            # DeepKey integers also address maps: JSON keys are text ("0"), a dict may use ints.
            found = container.get(str(step), MISSING)
            if found is MISSING:
                try:
                    found = container.get(step, MISSING)
                except Exception:  # noqa: BLE001 - a wrapper that only takes text keys
                    found = MISSING
            return found
        return container.get(step, MISSING)
    if is_sequence(container):
        if isinstance(step, str):
            if not step.lstrip("-").isdigit():
                return MISSING
            step = int(step)
        try:
            return container[step]
        except IndexError:
            return MISSING
    return MISSING


def _walk(value: Any, steps: tuple[Step, ...]) -> Any:
    for position, step in enumerate(steps):
        if value is MISSING or value is None:
            return MISSING
        if step == WILDCARD:
            if not is_sequence(value):
                return MISSING
            found: list[Any] = []
            rest = steps[position + 1 :]
            for element in value:
                result = _walk(element, rest)
                if result is MISSING:
                    continue
                # Nested wildcards collect into one flat list.
                if WILDCARD in rest and isinstance(result, list):
                    found.extend(result)
                else:
                    found.append(result)
            return found if found else MISSING
        value = _step(value, step)
    return value


@dataclass(frozen=True)
class KeyGetter:
    """A compiled key specifier. ``wildcard`` is true when the result is a list of every value a
    ``[*]`` path reached (conditions then apply to each element)."""

    label: str
    steps: tuple[Step, ...]
    wildcard: bool = False

    def __call__(self, event: Mapping[str, Any]) -> Any:
        try:
            return _walk(event, self.steps)
        except Exception:  # noqa: BLE001 - a wrapper refusing a key (say, an integer) means "not there"
            return MISSING


def parse_key_path(text: Any, path: str) -> tuple[Step, ...]:
    """Split ``a.b[0].c[*]`` into steps; a leading ``$.`` (JSONPath style) is accepted."""
    if not isinstance(text, str) or not text.strip():
        raise SimpleDetectionError(path, "must be a non-empty string")
    body = text.strip()
    body = body.removeprefix("$.")
    steps: list[Step] = []
    for part in body.split("."):
        match = _SEGMENT.match(part)
        if match is None or (not match.group("name") and not match.group("subs")):
            raise SimpleDetectionError(path, f"malformed key path {text!r} near {part!r}")
        if match.group("name"):
            steps.append(match.group("name"))
        for subscript in _SUBSCRIPT.findall(match.group("subs")):
            steps.append(WILDCARD if subscript == WILDCARD else int(subscript))
    return tuple(steps)


def _deep_key(value: Any, path: str) -> tuple[Step, ...]:
    if not isinstance(value, list) or not value:
        raise SimpleDetectionError(path, "must be a non-empty list of keys and indices")
    steps: list[Step] = []
    for index, item in enumerate(value):
        if isinstance(item, bool) or not isinstance(item, (str, int)):
            raise SimpleDetectionError(f"{path}[{index}]", "must be a string key or an integer index")
        steps.append(item)
    return tuple(steps)


def _enrichment(value: Any, path: str) -> tuple[Step, ...]:
    if not isinstance(value, Mapping):
        raise SimpleDetectionError(path, "must be a mapping with Table, Selector and FieldPath")
    unknown = sorted(set(value) - {"Table", "Selector", "FieldPath"})
    if unknown:
        raise SimpleDetectionError(path, f"unknown key {unknown[0]!r}")
    for name in ("Table", "Selector", "FieldPath"):
        if not isinstance(value.get(name), str) or not value[name].strip():
            raise SimpleDetectionError(f"{path}.{name}", "must be a non-empty string")
    # p_enrichment is {table: {selector (the event field that matched): {row fields}}}.
    field_steps = parse_key_path(value["FieldPath"], f"{path}.FieldPath")
    return ("p_enrichment", value["Table"], value["Selector"], *field_steps)


def compile_key(
    node: Mapping[str, Any], path: str, *, allowed: tuple[str, ...] = KEY_SPECIFIERS
) -> KeyGetter:
    """Compile the one key specifier present in ``node`` (an error if there are none or several)."""
    present = [name for name in KEY_SPECIFIERS if name in node]
    if len(present) != 1:
        wanted = " or ".join(allowed)
        problem = "holds more than one key specifier" if present else f"needs a key specifier ({wanted})"
        raise SimpleDetectionError(path, problem)
    kind = present[0]
    if kind not in allowed:
        raise SimpleDetectionError(f"{path}.{kind}", f"is not allowed here (use {' or '.join(allowed)})")
    value = node[kind]
    where = f"{path}.{kind}"
    if kind == "Key":
        if not isinstance(value, str) or not value:
            raise SimpleDetectionError(where, "must be a non-empty string")
        return KeyGetter(value, (value,))
    if kind == "DeepKey":
        steps = _deep_key(value, where)
        return KeyGetter(".".join(map(str, steps)), steps)
    if kind == "KeyPath":
        steps = parse_key_path(value, where)
        return KeyGetter(value, steps, wildcard=WILDCARD in steps)
    steps = _enrichment(value, where)
    return KeyGetter(".".join(map(str, steps)), steps, wildcard=WILDCARD in steps)
