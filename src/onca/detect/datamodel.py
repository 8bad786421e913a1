"""Data models: unified field names (``udm``) mapped per log type to a JSONPath or a function."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from jsonpath_ng import JSONPath
from jsonpath_ng.ext import parse as parse_jsonpath

from onca.detect.event.views import ImmutableCaseInsensitiveDict


class DataModelError(ValueError):
    """A data model that cannot be built; the message names the mapping at fault."""


class AmbiguousPathError(LookupError):
    """A mapping's JSONPath matched more than one field of the event."""


@dataclass(frozen=True)
class DataModel:
    id: str
    log_types: tuple[str, ...] = ()
    paths: Mapping[str, JSONPath] = field(default_factory=dict)
    methods: Mapping[str, Callable[[Any], Any]] = field(default_factory=dict)

    @classmethod
    def from_mappings(
        cls,
        model_id: str,
        mappings: Iterable[Mapping[str, Any]],
        *,
        log_types: Iterable[str] = (),
        module: ModuleType | Any | None = None,
    ) -> DataModel:
        """Build from ``[{Name, Path}|{Name, Method}]`` entries; methods are looked up on ``module``."""
        paths: dict[str, JSONPath] = {}
        methods: dict[str, Callable[[Any], Any]] = {}
        for index, mapping in enumerate(mappings):
            where = f"Mappings[{index}]"
            name = mapping.get("Name")
            if not isinstance(name, str) or not name:
                raise DataModelError(f"{where}.Name: a mapping needs a Name")
            path, method = mapping.get("Path"), mapping.get("Method")
            if path:
                try:
                    paths[name] = parse_jsonpath(str(path))
                except Exception as exc:  # jsonpath-ng raises several unrelated types
                    raise DataModelError(f"{where}.Path: {path!r} is not a valid JSONPath ({exc})") from exc
            elif method:
                if callable(method):
                    methods[name] = method
                    continue
                function = getattr(module, str(method), None) if module is not None else None
                if not callable(function):
                    raise DataModelError(f"{where}.Method: the data model has no function named {method!r}")
                methods[name] = function
            else:
                raise DataModelError(f"{where}: {name!r} needs a Path or a Method")
        return cls(id=model_id, log_types=tuple(log_types), paths=paths, methods=methods)

    def maps(self, name: str) -> bool:
        return name in self.paths or name in self.methods

    def resolve(self, name: str, event: Mapping[str, Any]) -> tuple[bool, Any]:
        """``(True, value)`` when the mapping for ``name`` finds something in ``event``, else ``(False, None)``.

        A JSONPath reads the raw event (exact key case); a method gets a read-only view of it.
        """
        path = self.paths.get(name)
        if path is not None:
            matches = path.find(event)
            if not matches:
                return False, None
            if len(matches) > 1:
                raise AmbiguousPathError(
                    f"JSONPath [{path}] in DataModel [{self.id}], matched multiple fields."
                )
            return True, matches[0].value
        method = self.methods.get(name)
        if callable(method):
            return True, method(ImmutableCaseInsensitiveDict(event))
        return False, None

    def describe(self, name: str, event: Mapping[str, Any]) -> str | None:
        """The concrete JSONPath that ``name`` resolves to in ``event``, or the method's name."""
        path = self.paths.get(name)
        if path is not None:
            matches = path.find(event)
            if len(matches) > 1:
                raise AmbiguousPathError(
                    f"JSONPath [{path}] in DataModel [{self.id}], matched multiple fields."
                )
            if matches:
                return str(matches[0].full_path)
        method = self.methods.get(name)
        if callable(method):
            return getattr(method, "__name__", repr(method))
        return None
