"""Configured destinations: a YAML or JSON file of `{kind: ..., name: ..., ...settings}` entries.

The file is a list of entries, or a mapping whose `destinations` key holds that list. Each entry is checked by
its kind's config model; `${NAME}` in any text value is replaced by the environment variable NAME (write `$${`
for a literal `${`), so credentials can stay out of the file. Every problem in the file is collected and
reported together, each naming the entry (its position and name) and the setting.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import yaml
from pydantic import ValidationError

from onca.alerts.destinations import REGISTRY, Destination
from onca.alerts.model import ALERT_TYPES, SEVERITIES
from onca.yaml12 import describe_yaml_error, load_yaml

# What a detection's destinations() returns to send an alert nowhere; no destination may be called this.
SKIP = "SKIP"
# Keys of an entry that are not settings of the destination itself.
ENTRY_KEYS = ("kind", "id")

_ENV_REFERENCE = re.compile(r"\$\$\{|\$\{([^}]*)\}")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class DestinationConfigError(ValueError):
    """A destinations file (or data) with problems; `problems` lists each one, located."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        super().__init__(f"{source}: {count}:\n" + "\n".join(f"  - {p}" for p in problems))


@dataclass(frozen=True, slots=True)
class _Members:
    """One consistent state of a set: replaced whole, so a reader never sees half of a change."""

    by_name: dict[str, Destination]
    ids: dict[str, str]  # name -> id, for destinations that have one
    by_id: dict[str, Destination]


def _members(destinations: Iterable[Destination], ids: Mapping[str, str] | None) -> _Members:
    by_name: dict[str, Destination] = {}
    for destination in destinations:
        name = destination.config.name
        if name in by_name:
            raise ValueError(f"two destinations are named {name!r}")
        by_name[name] = destination
    named_ids: dict[str, str] = {}
    by_id: dict[str, Destination] = {}
    for name, id_ in (ids or {}).items():
        if name not in by_name:
            raise ValueError(f"id {id_!r} is given for {name!r}, which is not a destination here")
        if id_ in by_id or (id_ in by_name and id_ != name):
            raise ValueError(f"id {id_!r} of {name!r} is already the name or id of another destination")
        named_ids[name] = id_
        by_id[id_] = by_name[name]
    return _Members(by_name, named_ids, by_id)


class DestinationSet:
    """Configured destinations in file order, found by name or by their optional id.

    A `live` set may be replaced while it is in use (destinations managed through the API): `replace` swaps in
    the new members at once, so routing on another thread sees the old set or the new one, never a mix.
    """

    def __init__(self, destinations: Iterable[Destination] = (), *, ids: Mapping[str, str] | None = None,
                 live: bool = False):
        self._members = _members(destinations, ids)
        # detection hands the names destinations() returns to routing unresolved when the set may change
        self.live = live

    def replace(self, destinations: Iterable[Destination], *, ids: Mapping[str, str] | None = None) -> None:
        """Swap in other destinations, checked as the constructor checks them (ValueError names a clash)."""
        if not self.live:
            raise TypeError("this destination set is fixed; only a live set can be replaced")
        self._members = _members(destinations, ids)

    def __iter__(self) -> Iterator[Destination]:
        return iter(self._members.by_name.values())

    def __len__(self) -> int:
        return len(self._members.by_name)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    def __getitem__(self, key: str) -> Destination:
        destination = self.get(key)
        if destination is None:
            raise KeyError(f"no destination is named or has the id {key!r}")
        return destination

    def __repr__(self) -> str:
        return f"DestinationSet({list(self._members.by_name)!r})"

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._members.by_name)

    def get(self, key: str) -> Destination | None:
        """The destination with this name, else the one with this id."""
        members = self._members
        return members.by_name.get(key) or members.by_id.get(key)

    def id_of(self, destination: Destination | str) -> str:
        """A destination's id; its name when it was given none."""
        name = destination if isinstance(destination, str) else destination.config.name
        return self._members.ids.get(name, name)

    def name_to_id(self) -> dict[str, str]:
        """Every destination's name mapped to its id: what detection runs use to resolve destinations()."""
        members = self._members
        return {name: members.ids.get(name, name) for name in members.by_name}

    def resolve(self, keys: Iterable[str]) -> tuple[list[Destination], list[str]]:
        """The destinations these names or ids refer to (each once, in order), and the keys matching none."""
        members = self._members
        found: list[Destination] = []
        unknown: list[str] = []
        for key in keys:
            destination = (members.by_name.get(key) or members.by_id.get(key)) if isinstance(key, str) else None
            if destination is None:
                unknown.append(str(key))
            elif all(destination is not seen for seen in found):
                found.append(destination)
        return found, unknown


def load_destinations(path: str | Path, *, env: Mapping[str, str] | None = None) -> DestinationSet:
    """Read a destinations file: JSON when it ends in `.json`, YAML otherwise."""
    path = Path(path)
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise DestinationConfigError(str(path), [f"cannot read the file: {exc.strerror or exc}"]) from None
    try:
        data = orjson.loads(text) if path.suffix.lower() == ".json" else load_yaml(text)
    except orjson.JSONDecodeError as exc:
        raise DestinationConfigError(str(path), [f"not valid JSON: {exc}"]) from None
    except yaml.YAMLError as exc:
        raise DestinationConfigError(str(path), [f"not valid YAML: {describe_yaml_error(exc)}"]) from None
    return parse_destinations(data, env=env, source=str(path))


def parse_destinations(data: Any, *, env: Mapping[str, str] | None = None,
                       source: str = "destinations") -> DestinationSet:
    """Destinations from already parsed data (a list of entries, or {destinations: [...]})."""
    env = os.environ if env is None else env
    entries = _entries(data, source)
    problems: list[str] = []
    built: list[Destination] = []
    ids: dict[str, str] = {}
    owners: dict[str, str] = {}  # every name and id seen -> the entry that has it
    for index, entry in enumerate(entries):
        where = _where(index, entry)
        destination, name, id_, entry_problems = _build(entry, env)
        problems += [f"{where}: {p}" for p in entry_problems]
        # names and ids share one namespace: destinations() may return either
        for key, what in ((name, "name"), (id_, "id")):
            if key is None or (what == "id" and key == name):
                continue
            if key in owners:
                problems.append(f"{where}: {what} {key!r} is already used by {owners[key]}")
            owners.setdefault(key, where)
        if destination is not None:
            if id_ is not None:
                ids[destination.config.name] = id_
            built.append(destination)
    if problems:
        raise DestinationConfigError(source, problems)
    return DestinationSet(built, ids=ids)


def build_entry(entry: Mapping[str, Any], *, source: str = "destination") -> Destination:
    """One destination from a `{kind, name, ...settings}` entry taken literally: `${NAME}` is not replaced, since
    what the API creates must not read the server's environment. DestinationConfigError lists every problem,
    each naming its setting."""
    destination, _, _, problems = _build(entry, None)
    if destination is None:
        raise DestinationConfigError(source, problems)
    return destination


def _entries(data: Any, source: str) -> list[Any]:
    if data is None:
        return []
    if isinstance(data, Mapping):
        extra = sorted(str(key) for key in data if key != "destinations")
        if extra:
            raise DestinationConfigError(source, [f"unknown top-level key(s): {', '.join(extra)} "
                                                  "(expected a list of destinations, or `destinations:`)"])
        data = data.get("destinations") or []
    if not isinstance(data, list):
        raise DestinationConfigError(source, [f"expected a list of destinations, got {type(data).__name__}"])
    return data


def _where(index: int, entry: Any) -> str:
    name = entry.get("name") if isinstance(entry, Mapping) else None
    return f"entry {index + 1}" + (f" ({name})" if isinstance(name, str) and name else "")


def _build(entry: Any, env: Mapping[str, str] | None
           ) -> tuple[Destination | None, str | None, str | None, list[str]]:
    """One entry: the destination (None when it cannot be built), its name and id, and its problems. Without
    `env` the entry's text is taken as it is."""
    if not isinstance(entry, Mapping):
        return None, None, None, [f"expected a mapping of settings, got {type(entry).__name__}"]
    problems: list[str] = []
    settings = dict(entry) if env is None else _interpolate(dict(entry), env, (), problems)
    kind = settings.pop("kind", None)
    id_ = settings.pop("id", None)
    if kind is None:
        problems.append(f"kind: missing (one of: {', '.join(sorted(REGISTRY))})")
    elif not isinstance(kind, str) or kind not in REGISTRY:
        problems.append(f"kind: unknown destination kind {kind!r} (one of: {', '.join(sorted(REGISTRY))})")
    if id_ is not None and (not isinstance(id_, str) or not id_.strip()):
        problems.append("id: must be a non-empty text")
        id_ = None
    problems += _check_common(settings)
    name = settings.get("name")
    name = name if isinstance(name, str) and name else None
    if problems or not isinstance(kind, str):
        return None, name, id_, problems
    try:
        destination = REGISTRY[kind].from_dict(settings)
    except ValidationError as exc:
        return None, name, id_, [_describe(error) for error in exc.errors()]
    except (TypeError, ValueError) as exc:  # a config model's own check failing outside pydantic
        return None, name, id_, [f"settings: {exc}"]
    return destination, name, id_, []


def _check_common(settings: dict[str, Any]) -> list[str]:
    """Checks of the common settings the shared config model leaves open; known values are normalised."""
    problems = []
    name = settings.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append("name: required, a non-empty text")
    elif name == SKIP:
        problems.append(f"name: {SKIP!r} is reserved (a detection returns it to send an alert nowhere)")
    lists = (("severities", SEVERITIES, str.upper), ("alert_types", ALERT_TYPES, str.lower))
    for key, allowed, normal in lists:
        values = settings.get(key)
        if values is None:
            continue
        if isinstance(values, str) or not isinstance(values, list | tuple):
            problems.append(f"{key}: expected a list (of {', '.join(allowed)})")
            continue
        bad = [v for v in values if not isinstance(v, str) or normal(v) not in allowed]
        if bad:
            problems.append(f"{key}: unknown value(s) {', '.join(map(repr, bad))} "
                            f"(one of {', '.join(allowed)})")
        else:
            settings[key] = [normal(v) for v in values]
    return problems


def _describe(error: Any) -> str:
    field = ".".join(str(part) for part in error["loc"]) or "settings"
    kind, message = error["type"], error["msg"]
    if kind == "extra_forbidden":
        message = "unknown setting"
    elif kind == "missing":
        message = "required setting is missing"
    elif message.startswith("Value error, "):
        message = message[len("Value error, "):]
    return f"{field}: {message}"


def _interpolate(value: Any, env: Mapping[str, str], path: tuple[str, ...], problems: list[str]) -> Any:
    """`${NAME}` replaced in every text value, however deep; unset variables become problems."""
    if isinstance(value, str):
        def replace(match: re.Match[str]) -> str:
            if match.group(0) == "$${":
                return "${"
            name = match.group(1)
            field = ".".join(path) or "value"
            if not _ENV_NAME.match(name):
                problems.append(f"{field}: ${{{name}}} is not a valid environment variable reference")
                return match.group(0)
            if name not in env:
                problems.append(f"{field}: environment variable {name} is not set")
                return ""
            return env[name]

        return _ENV_REFERENCE.sub(replace, value)
    if isinstance(value, Mapping):
        return {key: _interpolate(item, env, (*path, str(key)), problems) for key, item in value.items()}
    if isinstance(value, list):
        return [_interpolate(item, env, (*path, str(i)), problems) for i, item in enumerate(value)]
    return value
