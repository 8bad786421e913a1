"""The registry of log types: the built-in schemas plus any custom ones added at run time."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from functools import cache
from importlib import resources
from pathlib import Path

from onca.schema.load import load_schema_file, load_schemas
from onca.schema.model import LogSchema


class UnknownLogType(KeyError):
    def __init__(self, name: str, known: Iterable[str]):
        close = difflib.get_close_matches(name, list(known), n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        super().__init__(f"unknown log type {name!r}{hint}")
        self.name = name

    def __str__(self) -> str:
        return str(self.args[0])


def table_name(log_type: str) -> str:
    """The lake table of a log type: AWS.CloudTrail -> aws_cloudtrail."""
    return log_type.lower().replace(".", "_")


class Registry:
    def __init__(self, schemas: Iterable[LogSchema] = ()):
        self._schemas: dict[str, LogSchema] = {}
        for schema in schemas:
            self.add(schema)

    @classmethod
    def builtin(cls) -> Registry:
        """A new registry holding every built-in log type."""
        return cls(builtin_schemas())

    def add(self, schema: LogSchema, *, replace: bool = False) -> None:
        if schema.name in self._schemas and not replace:
            raise ValueError(f"log type {schema.name} is already registered "
                             f"(from {self._schemas[schema.name].source})")
        self._schemas[schema.name] = schema

    def add_file(self, path: Path | str, *, replace: bool = False) -> list[LogSchema]:
        schemas = load_schema_file(path)
        for schema in schemas:
            self.add(schema, replace=replace)
        return schemas

    def get(self, name: str) -> LogSchema:
        try:
            return self._schemas[name]
        except KeyError:
            raise UnknownLogType(name, self._schemas) from None

    def __contains__(self, name: object) -> bool:
        return name in self._schemas

    def names(self) -> list[str]:
        return sorted(self._schemas)

    def __iter__(self):
        return (self._schemas[n] for n in self.names())

    def __len__(self) -> int:
        return len(self._schemas)


@cache
def builtin_schemas() -> tuple[LogSchema, ...]:
    """Every schema in `onca/schema/builtin/*.yml`, loaded once per process."""
    folder = resources.files("onca.schema") / "builtin"
    schemas: list[LogSchema] = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith((".yml", ".yaml")):
            schemas.extend(load_schemas(entry.read_text(encoding="utf-8"), f"builtin/{entry.name}"))
    return tuple(schemas)
