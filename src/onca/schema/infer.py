"""Inferring a log schema from sample JSON objects, as a starting point for a custom schema.

Each sample widens the inferred type of every key it has: int then float, anything mixed with a string becomes a
string, objects merge their keys, and values that cannot agree become `json`.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_TIME_NAMES = ("eventtime", "timestamp", "time", "ts", "@timestamp", "published", "created_at", "date")


class _Node:
    __slots__ = ("kind", "children", "element", "seen", "samples", "time_ok", "ip_ok", "email_ok")

    def __init__(self) -> None:
        self.kind: str | None = None
        self.children: dict[str, _Node] = {}
        self.element: _Node | None = None
        self.seen = 0
        self.samples = 0
        self.time_ok = True
        self.ip_ok = True
        self.email_ok = True

    def add(self, value: Any) -> None:
        if value is None:
            return
        self.seen += 1
        kind = _kind(value)
        self.kind = kind if self.kind is None else _widen(self.kind, kind)
        if kind == "object":
            self.samples += 1
            for key, child in value.items():
                self.children.setdefault(key, _Node()).add(child)
        elif kind == "array":
            self.element = self.element or _Node()
            for item in value:
                self.element.add(item)
        elif kind == "string":
            self.time_ok = self.time_ok and _is_time(value)
            self.ip_ok = self.ip_ok and _is_ip(value)
            self.email_ok = self.email_ok and bool(_EMAIL.match(value))
        else:
            self.time_ok = self.ip_ok = self.email_ok = False


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "bigint"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return "json"


def _widen(a: str, b: str) -> str:
    if a == b:
        return a
    if {a, b} == {"bigint", "float"}:
        return "float"
    if "object" in (a, b) or "array" in (a, b) or "json" in (a, b):
        return "json"
    return "string"


def _is_time(text: str) -> bool:
    if len(text) < 10 or not text[:4].isdigit() or text[4] != "-":
        return False
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _spec(name: str, node: _Node, parent_samples: int) -> dict[str, Any]:
    spec: dict[str, Any] = {"name": name} if name else {}
    kind = node.kind or "string"
    if kind == "string" and node.time_ok and node.seen:
        spec["type"] = "timestamp"
        spec["timeFormats"] = ["rfc3339"]
    else:
        spec["type"] = kind
    if name and parent_samples and node.seen == parent_samples:
        spec["required"] = True
    if kind == "object":
        spec["fields"] = [_spec(k, c, node.samples) for k, c in node.children.items()]
        if not spec["fields"]:
            spec["type"] = "json"
            del spec["fields"]
    elif kind == "array":
        spec["element"] = _spec("", node.element or _Node(), 0)
    elif kind == "string":
        if node.ip_ok and node.seen:
            spec["indicators"] = ["ip"]
        elif node.email_ok and node.seen:
            spec["indicators"] = ["email"]
    return spec


def infer_schema(name: str, samples: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """A schema document (ready to dump as YAML) covering every key seen in the samples."""
    root = _Node()
    for sample in samples:
        if not isinstance(sample, dict):
            raise ValueError(f"samples must be JSON objects, got {type(sample).__name__}")
        root.add(sample)
    if not root.samples:
        raise ValueError("no samples to infer from")
    fields = [_spec(k, c, root.samples) for k, c in root.children.items()]
    for field in fields:  # mark the likeliest event time
        if field["type"] == "timestamp" and field["name"].lower() in _TIME_NAMES:
            field["isEventTime"] = True
            break
    else:
        for field in fields:
            if field["type"] == "timestamp":
                field["isEventTime"] = True
                break
    return {"schema": name, "description": f"Inferred from {root.samples} samples", "fields": fields}
