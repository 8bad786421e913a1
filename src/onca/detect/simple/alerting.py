"""The alert-shaping keys of a simple detection: ``AlertTitle``, ``AlertContext``,
``DynamicSeverities`` and ``GroupBy``.

Each has a ``compile_*`` function that validates once and returns a fast callable, plus the
one-shot helper the detection runtime can call directly.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from onca.detect.simple.compiler import compile_match
from onca.detect.simple.errors import SimpleDetectionError
from onca.detect.simple.paths import KEY_SPECIFIERS, MISSING, KeyGetter, compile_key, parse_key_path
from onca.detect.simple.values import as_text, to_plain

SEVERITIES = ("INFO", "LOW", "MEDIUM", "HIGH", "CRITICAL")
# "{{" and "}}" are literal braces; "{path}" is a placeholder; a lone brace is a mistake.
_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")

Event = Mapping[str, Any]


def format_value(value: Any) -> str:
    """How an event value reads inside a title or dedup string: text as-is, nothing for a missing
    or null value, JSON for lists and maps."""
    if value is MISSING or value is None:
        return ""
    text = as_text(value)
    if text is not None:
        return text
    return json.dumps(to_plain(value), separators=(",", ":"), sort_keys=True, default=str)


def compile_alert_title(template: Any, where: str = "AlertTitle") -> Callable[[Event], str]:
    """``"{actor.login} archived {repo}"``: each ``{...}`` is a key path into the event."""
    if not isinstance(template, str):
        raise SimpleDetectionError(where, "must be a string")
    return _compile_title(template, where)


@functools.lru_cache(maxsize=4096)
def _compile_title(template: str, where: str) -> Callable[[Event], str]:
    parts: list[str | KeyGetter] = []
    position = 0
    for token in _TOKEN.finditer(template):
        parts.append(template[position : token.start()])
        position = token.end()
        text = token.group(0)
        if text in ("{{", "}}"):
            parts.append(text[0])
        elif token.group(1) is None:
            raise SimpleDetectionError(
                where,
                f"unmatched {text!r} at position {token.start()} (write {text * 2} for a literal brace)",
            )
        else:
            steps = parse_key_path(token.group(1), f"{where}{{{token.group(1)}}}")
            parts.append(KeyGetter(token.group(1), steps, wildcard="*" in steps))
    parts.append(template[position:])
    compiled = tuple(part for part in parts if part != "")

    def render(event: Event) -> str:
        return "".join(part if isinstance(part, str) else format_value(part(event)) for part in compiled)

    return render


def render_alert_title(template: str, event: Event) -> str:
    return compile_alert_title(template)(event)


def compile_alert_context(spec: Any, where: str = "AlertContext") -> Callable[[Event], dict[str, Any]]:
    """``[{KeyName: name, KeyValue: {Key|DeepKey|KeyPath: ...}}]`` -> ``{name: value}``."""
    if not isinstance(spec, list):
        raise SimpleDetectionError(where, "must be a list of {KeyName, KeyValue} entries")
    entries: list[tuple[str, KeyGetter]] = []
    for index, item in enumerate(spec):
        path = f"{where}[{index}]"
        if not isinstance(item, Mapping):
            raise SimpleDetectionError(path, "must be a mapping with KeyName and KeyValue")
        extra = sorted(str(key) for key in item if key not in ("KeyName", "KeyValue"))
        if extra:
            raise SimpleDetectionError(f"{path}.{extra[0]}", "unexpected key (use KeyName and KeyValue)")
        name = item.get("KeyName")
        if not isinstance(name, str) or not name:
            raise SimpleDetectionError(f"{path}.KeyName", "must be a non-empty string")
        if any(name == seen for seen, _ in entries):
            raise SimpleDetectionError(f"{path}.KeyName", f"duplicate key name {name!r}")
        key_value = item.get("KeyValue")
        if not isinstance(key_value, Mapping):
            raise SimpleDetectionError(
                f"{path}.KeyValue", "must be a key specifier (Key, DeepKey or KeyPath)"
            )
        extra = sorted(str(key) for key in key_value if key not in KEY_SPECIFIERS)
        if extra:
            raise SimpleDetectionError(f"{path}.KeyValue.{extra[0]}", "unexpected key in a key specifier")
        entries.append((name, compile_key(key_value, f"{path}.KeyValue")))

    def build(event: Event) -> dict[str, Any]:
        return {name: to_plain(getter(event)) for name, getter in entries}

    return build


def build_alert_context(spec: list[dict[str, Any]], event: Event) -> dict[str, Any]:
    """Missing keys come out as None, so every declared name is always present."""
    return compile_alert_context(spec)(event)


def compile_dynamic_severities(spec: Any, where: str = "DynamicSeverities") -> Callable[[Event], str | None]:
    """``[{ChangeTo: High, Conditions: [...]}]``: the first entry whose conditions all hold wins."""
    if not isinstance(spec, list):
        raise SimpleDetectionError(where, "must be a list of {ChangeTo, Conditions} entries")
    rules: list[tuple[str, Callable[[Event], bool]]] = []
    for index, item in enumerate(spec):
        path = f"{where}[{index}]"
        if not isinstance(item, Mapping):
            raise SimpleDetectionError(path, "must be a mapping with ChangeTo and Conditions")
        extra = sorted(str(key) for key in item if key not in ("ChangeTo", "Conditions"))
        if extra:
            raise SimpleDetectionError(f"{path}.{extra[0]}", "unexpected key (use ChangeTo and Conditions)")
        severity = item.get("ChangeTo")
        if not isinstance(severity, str) or severity.upper() not in SEVERITIES:
            raise SimpleDetectionError(
                f"{path}.ChangeTo", f"must be one of Info, Low, Medium, High, Critical, got {severity!r}"
            )
        if "Conditions" not in item:
            raise SimpleDetectionError(path, "needs Conditions")
        rules.append((severity.upper(), compile_match(item["Conditions"], where=f"{path}.Conditions")))

    def choose(event: Event) -> str | None:
        for severity, matches in rules:
            if matches(event):
                return severity
        return None

    return choose


def dynamic_severity(spec: list[dict[str, Any]], event: Event) -> str | None:
    """The upper-case severity to use for this event, or None to keep the detection's own."""
    return compile_dynamic_severities(spec)(event)


def compile_group_by(spec: Any, where: str = "GroupBy") -> Callable[[Event], str]:
    """``GroupBy: [<key specifier>, ...]``: the dedup string is the values joined with ``:``."""
    if not isinstance(spec, list) or not spec:
        raise SimpleDetectionError(where, "must be a non-empty list of key specifiers")
    getters = []
    for index, item in enumerate(spec):
        path = f"{where}[{index}]"
        if not isinstance(item, Mapping):
            raise SimpleDetectionError(path, "must be a key specifier (Key, DeepKey or KeyPath)")
        extra = sorted(str(key) for key in item if key not in KEY_SPECIFIERS)
        if extra:
            raise SimpleDetectionError(f"{path}.{extra[0]}", "unexpected key in a key specifier")
        getters.append(compile_key(item, path))

    def dedup(event: Event) -> str:
        return ":".join(format_value(getter(event)) for getter in getters)

    return dedup
