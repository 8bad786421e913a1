"""The per-event lookup of a plan, written out as one Python function for rendered events (plain dicts).

For each key path, in the plan's order, the function reads the value as ``DetectionEvent.deep_get``
would (an exact key first, else the first key equal but for case; only maps are walked), picks the
clause bits the value's table gives, and and-s them (or-ed with the bits of the clauses that do not
constrain the path) into the mask of surviving clauses. A path whose clauses are all dead already is
skipped, and a first key several paths share is read once. Written out, the loop over the tables, the
unpacking of their rows and the tests for empty parts are gone. Only repr() of strings and tuples of
strings, and integers in hex (decimal text of huge integers is limited in length) go into the source;
the tables themselves are passed in by name.

Besides rendered events, the function reads events as given when they render as plain JSON (see
onca.detect.engine.render): a datetime, date or time is rendered as text first, a non-finite float reads
as null (as it renders), and a value of any other type than text, null, a bool, a number, a dict, a
list or a tuple (a str subclass, an enum, a UUID: they may compare in their own way, or render as any
text) keeps every clause on its path alive.

``mask_of(raw, fold)`` returns the mask; ``fold(mapping)`` maps a dict's lower-cased keys to its keys,
the first in its order winning.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, time
from typing import Any

from onca.detect.engine.render import render_time

Fold = Callable[[dict[str, Any]], dict[str, Any]]
MaskOf = Callable[[dict[str, Any], Fold], int]
_MISSING: Any = object()
TIMES = frozenset({datetime, date, time})
OTHERS = frozenset({int, bool, dict, list, tuple})  # neither text nor null, as given and as rendered


def _folded_get(mapping: dict[str, Any], lowered: str, fold: Fold) -> Any:
    """A key a dict does not hold exactly: the first key equal but for case, else None."""
    key = fold(mapping).get(lowered, _MISSING)
    return None if key is _MISSING else mapping[key]


def compile_lookup(
    entries: tuple[tuple[Any, ...], ...],
    everything: int,
    deep_get: Callable[[Mapping[str, Any], tuple[str, ...]], Any],
) -> MaskOf:
    """``entries``: (path, constrained, free, exact, prefixes, contains, absent, other) per key path."""
    namespace: dict[str, Any] = {
        "MISSING": _MISSING,
        "Mapping": Mapping,
        "deep_get": deep_get,
        "folded_get": _folded_get,
        "TIMES": TIMES,
        "OTHERS": OTHERS,
        "render_time": render_time,
    }
    lines = ["def mask_of(raw, fold):", "    get = raw.get", "    folded = None", f"    mask = {hex(everything)}"]
    rare: list[str] = []
    firsts = [entry[0][0] for entry in entries]
    shared = {first: f"top_{n}" for n, first in enumerate(dict.fromkeys(firsts)) if firsts.count(first) > 1}
    lines += [f"    {name} = MISSING" for name in shared.values()]
    for number, (path, constrained, free, exact, prefixes, contains, absent, other) in enumerate(entries):
        first = path[0]
        read = [
            f"value = get({first!r}, MISSING)",
            "if value is MISSING:",
            "    if folded is None:",
            "        folded = fold(raw)",
            f"    key = folded.get({first.lower()!r}, MISSING)",
            "    value = None if key is MISSING else raw[key]",
        ]
        if first in shared:
            name = shared[first]
            body = [f"if {name} is MISSING:", *("    " + line for line in read), f"    {name} = value"]
            body.append(f"value = {name}")
        else:
            body = read
        body += _walk(path, path[1:])
        # Each table's bits come or-ed with the bits of the clauses that do not constrain this path.
        if exact:
            namespace[f"exact_{number}"] = {value: bits | free for value, bits in exact.items()}.get
            text = [f"exact_{number}(value, {hex(free)})"]
        else:
            text = [repr(free)]
        by_bits: dict[int, list[str]] = {}
        for prefix, bits in prefixes:
            by_bits.setdefault(bits, []).append(prefix)
        text += [f"({hex(bits)} if value.startswith({tuple(group)!r}) else 0)" for bits, group in by_bits.items()]
        for parts, bits in contains:
            test = " and ".join(f"{part!r} in value" for part in parts)
            text.append(f"({hex(bits)} if {test} else 0)")
        text_bits = " | ".join(text)
        # Anything but text and null is rare: a function of its own reads it (see _rare).
        lines_rare = [
            f"def rare_{number}(value):",
            "    kind = value.__class__",
            "    if kind in TIMES:",
            "        value = render_time(value)",
            f"        return {text_bits}",
            "    if kind in OTHERS or (kind is float and value - value == 0):",
            f"        return {hex(other | free)}",
            "    if kind is float:",
            f"        return {hex(absent | free)}",
            f"    return {hex(everything)}",
        ]
        rare.extend(lines_rare)
        body.append(
            f"mask &= ({text_bits}) if value.__class__ is str else {hex(absent | free)} if value is None "
            f"else rare_{number}(value)"
        )
        if number == 0:
            lines += ["    " + line for line in body]
        else:
            lines.append(f"    if mask & {hex(constrained)}:")
            lines += ["        " + line for line in body]
    lines.append("    return mask")
    source = "\n".join(rare + lines)
    exec(compile(source, "<rule index lookup>", "exec"), namespace)  # noqa: S102 - see above
    return namespace["mask_of"]


def _walk(path: tuple[str, ...], rest: tuple[str, ...]) -> list[str]:
    """Steps past the first key: through plain dicts here, any other map by deep_get, else None."""
    if not rest:
        return []
    step = rest[0]
    inner = [
        f"    found = value.get({step!r}, MISSING)",
        f"    value = found if found is not MISSING else folded_get(value, {step.lower()!r}, fold)",
        *("    " + line for line in _walk(path, rest[1:])),
    ]
    return [
        "if value.__class__ is dict:",
        *inner,
        "elif value is not None and isinstance(value, Mapping):  # not a plain dict: its own lookup decides",
        f"    value = deep_get(raw, {path!r})",
        "else:",
        "    value = None",
    ]
