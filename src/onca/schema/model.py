"""The typed model of a log schema, built from its YAML by `onca.schema.load`.

Models are frozen: a schema, once loaded and validated, never changes under the code that compiled it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SCALAR_TYPES = frozenset({"string", "int", "smallint", "bigint", "float", "boolean", "timestamp", "json"})
CONTAINER_TYPES = frozenset({"object", "array"})
VALUE_TYPES = SCALAR_TYPES | CONTAINER_TYPES
INTEGER_TYPES = frozenset({"int", "smallint", "bigint"})
PARSER_KINDS = ("fastmatch", "regex", "csv", "script")


@dataclass(frozen=True, slots=True)
class Validation:
    """`validate:` on a field: a value outside these rules rejects the record."""

    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()
    ip: str | None = None  # "ipv4", "ipv6" or "any"
    cidr: str | None = None


@dataclass(frozen=True, slots=True)
class Transform:
    """Where a field's value comes from when it is not simply the key of the same name."""

    kind: str  # rename | copy | concat | split | mask
    source: tuple[str, ...] = ()  # one path for rename/copy/split/mask; several for concat
    separator: str = ""
    index: int = 0
    mask: str = ""  # redact | md5 | sha1 | sha256
    salt: str = ""


@dataclass(frozen=True, slots=True)
class Field:
    """A declared value: a top-level field, an object member, or (with an empty name) an array element."""

    name: str
    type: str
    required: bool = False
    description: str = ""
    fields: tuple[Field, ...] = ()
    element: Field | None = None
    indicators: tuple[str, ...] = ()
    time_formats: tuple[str, ...] = ()
    is_event_time: bool = False
    is_expiration: bool = False
    is_embedded_json: bool = False
    validate: Validation | None = None
    transform: Transform | None = None


@dataclass(frozen=True, slots=True)
class ParserSpec:
    kind: str  # one of PARSER_KINDS
    config: dict[str, Any] = field(default_factory=dict, hash=False)  # compared, but dicts cannot hash


@dataclass(frozen=True, slots=True)
class LogSchema:
    name: str
    fields: tuple[Field, ...]
    description: str = ""
    reference_url: str = ""
    parser: ParserSpec | None = None  # None: one JSON object per record
    source: str = ""  # where the schema was read from, for messages

    def indicator_names(self) -> set[str]:
        """Every scanner the schema uses, array elements included."""
        names: set[str] = set()
        stack = list(self.fields)
        while stack:
            f = stack.pop()
            names.update(f.indicators)
            stack.extend(f.fields)
            if f.element is not None:
                stack.append(f.element)
        return names

    def walk(self):
        """Every declared field, depth first, with its dotted path."""
        stack = [(f.name, f) for f in reversed(self.fields)]
        while stack:
            path, f = stack.pop()
            yield path, f
            children = f.fields or (f.element.fields if f.element else ())
            stack.extend((f"{path}.{c.name}", c) for c in reversed(children))
