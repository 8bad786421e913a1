"""Destinations managed through the API: kept in the metadata store and merged with those of the config file
(which stay read-only) into the one live DestinationSet that routing and delivery read, so a change applies to
the next alert without a restart.

Changes are made one at a time, each writing the store and then swapping the set, so the two never disagree.
Entries are taken literally: `${NAME}` is not replaced, as it is in a config file, since someone allowed to
manage destinations must not be able to read the server's environment through one.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Mapping
from typing import Any

from onca.alerts.config import DestinationConfigError, DestinationSet, build_entry
from onca.alerts.destinations import Destination
from onca.alerts.masking import keep_secrets, masked_paths, shown_settings
from onca.store import Conflict, DestinationRecord, NotFound, Store

# Ids go in URLs (/destinations/{id}); Panther's are UUIDs, which fit
ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
MAX_NAME = 255  # what the store keeps
# Keys of an API entry that are not the destination's settings
_NOT_SETTINGS = ("kind", "id")


class UnknownDestination(LookupError):
    def __str__(self) -> str:
        return f"no destination is named or has the id {self.args[0]!r}"


class ReadOnlyDestination(Exception):
    """A destination of the config file: changed by editing the file, not through the API."""

    def __str__(self) -> str:
        return (f"destination {self.args[0]!r} comes from the server's config file and cannot be changed through "
                f"the API: edit the config file")


class DestinationClash(Exception):
    """A name or id already used by another destination (names and ids share one namespace)."""


class ManagedDestinations:
    """The live set is `destinations`: the config file's destinations first, then those of the store."""

    def __init__(self, store: Store, fixed: DestinationSet):
        self.store = store
        self._fixed = list(fixed)
        self._fixed_ids = {name: id_ for name, id_ in fixed.name_to_id().items() if id_ != name}
        self._fixed_keys = set(fixed.names) | set(self._fixed_ids.values())
        # id -> destination, in the store's order; replaced, never changed in place, so readers outside the
        # lock (the API listing destinations) always iterate a finished dict
        self._managed: dict[str, Destination] = {}
        self._lock = threading.Lock()  # one change at a time
        self.destinations = DestinationSet(self._fixed, ids=self._fixed_ids, live=True)

    # reading
    def is_fixed(self, key: str) -> bool:
        return key in self._fixed_keys

    def managed_id(self, destination: Destination) -> str | None:
        """The store id of a destination managed here; None for one of the config file."""
        return next((id_ for id_, known in self._managed.items() if known is destination), None)

    def load(self) -> list[tuple[str, str]]:
        """Take in what the store keeps. Returns (id, problem) for each destination that cannot be used (a
        setting no longer valid, a name the config file now uses); those are left out, the others work."""
        problems: list[tuple[str, str]] = []
        loaded: dict[str, Destination] = {}
        with self._lock:
            for record in self.store.destinations.list():
                where = f"destination {record.id!r} ({record.name})"
                try:
                    destination = build_entry({**record.settings, "kind": record.kind}, source=where)
                    self._check_free(record.id, destination.config.name, replacing=None, managed=loaded)
                except DestinationConfigError as exc:
                    problems.append((record.id, f"{where} cannot be used: {'; '.join(exc.problems)}"))
                    continue
                except DestinationClash as exc:
                    problems.append((record.id, f"{where} is left out: {exc}"))
                    continue
                loaded[record.id] = destination
            self._publish({**self._managed, **loaded})
        return problems

    # changing
    def create(self, kind: Any, settings: Mapping[str, Any], *, destination_id: str | None = None,
               created_by: str = "") -> tuple[DestinationRecord, Destination]:
        """A new destination from its kind and settings (name included); its id is generated unless given."""
        destination_id = destination_id or str(uuid.uuid4())
        entry = _settings(settings)
        with self._lock:
            destination = _build(kind, entry, destination_id=destination_id)
            self._check_free(destination_id, destination.config.name, replacing=None)
            try:
                record = self.store.destinations.create(destination_id, name=destination.config.name, kind=kind,
                                                        settings=entry, created_by=created_by)
            except Conflict as exc:
                raise DestinationClash(str(exc)) from None
            self._publish({**self._managed, destination_id: destination})
        return record, destination

    def update(self, key: str, kind: Any, settings: Mapping[str, Any]) -> tuple[DestinationRecord, Destination]:
        """Replace a destination's settings. The name and kind stay as they are when left out; a secret left out
        or sent masked keeps its stored value (unless the kind changes)."""
        with self._lock:
            destination_id = self._find(key)
            current = self.store.destinations.get(destination_id)
            if current is None:
                raise UnknownDestination(key)
            kind = current.kind if kind is None else kind
            entry = _settings(settings)
            entry.setdefault("name", current.name)
            known = self._managed.get(destination_id)
            if kind == current.kind and known is not None:
                entry = keep_secrets(entry, stored=current.settings, shown=shown_settings(known.config))
            destination = _build(kind, entry)
            self._check_free(destination_id, destination.config.name, replacing=destination_id)
            try:
                record = self.store.destinations.update(destination_id, name=destination.config.name, kind=kind,
                                                        settings=entry)
            except NotFound:
                raise UnknownDestination(key) from None
            except Conflict as exc:
                raise DestinationClash(str(exc)) from None
            self._publish({**self._managed, destination_id: destination})
        return record, destination

    def delete(self, key: str) -> None:
        with self._lock:
            destination_id = self._find(key)
            try:
                self.store.destinations.delete(destination_id)
            except NotFound:
                raise UnknownDestination(key) from None
            self._publish({id_: known for id_, known in self._managed.items() if id_ != destination_id})

    # inside
    def _find(self, key: str) -> str:
        """The store id of the managed destination named or identified by `key`."""
        if self.is_fixed(key):
            raise ReadOnlyDestination(key)
        if key in self._managed:
            return key
        found = next((id_ for id_, known in self._managed.items() if known.config.name == key), None)
        if found is not None:
            return found
        if self.store.destinations.get(key) is not None:  # stored but left out at start: it can still be fixed
            return key
        raise UnknownDestination(key)

    def _check_free(self, destination_id: str, name: str, *, replacing: str | None,
                    managed: Mapping[str, Destination] | None = None) -> None:
        """Names and ids share one namespace (a detection may give either): neither may be another's."""
        taken: dict[str, str] = {}
        for key in self._fixed_keys:
            taken[key] = "a destination of the config file"
        for id_, known in (self._managed if managed is None else managed).items():
            if id_ != replacing:
                taken[id_] = taken[known.config.name] = f"destination {id_!r}"
        for what, key in (("name", name), ("id", destination_id)):
            if key in taken:
                raise DestinationClash(f"the {what} {key!r} is already the name or id of {taken[key]}")

    def _publish(self, managed: dict[str, Destination]) -> None:
        """Make `managed` the destinations of the store, in the live set as here."""
        managed_ids = {known.config.name: id_ for id_, known in managed.items()}
        self.destinations.replace([*self._fixed, *managed.values()], ids={**self._fixed_ids, **managed_ids})
        self._managed = managed


def _settings(settings: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in settings.items() if key not in _NOT_SETTINGS}


def _build(kind: Any, entry: dict[str, Any], *, destination_id: str | None = None) -> Destination:
    """The destination, or DestinationConfigError listing every problem, each naming its setting."""
    problems = []
    if destination_id is not None and not ID_PATTERN.fullmatch(destination_id):
        problems.append("id: 1 to 128 letters, digits and . _ : - (starting with a letter or digit)")
    name = entry.get("name")
    if isinstance(name, str) and (len(name) > MAX_NAME or any(ord(ch) < 0x20 or ch == "\x7f" for ch in name)):
        problems.append(f"name: at most {MAX_NAME} characters, none of them control characters")
    problems += [f"{path}: the masked value stands for a secret that is not stored: send the secret itself"
                 for path in masked_paths(entry)]
    try:
        destination = build_entry({**entry, "kind": kind})
    except DestinationConfigError as exc:
        problems += exc.problems
    if problems:
        raise DestinationConfigError("destination", problems)
    return destination
