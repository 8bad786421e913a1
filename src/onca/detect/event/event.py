"""The event a rule sees: a read-only, case-insensitive mapping with data-model and helper lookups."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from dateutil import parser as date_parser

from onca.detect.event.views import ImmutableCaseInsensitiveDict, json_default, wrap

if TYPE_CHECKING:
    from onca.detect.datamodel import DataModel

LookupFunction = Callable[[Any, str, str], Any]
MOCKED_LOOKUP_KEY = "_mocked_lookup_data_"
_RETURN_VALS = ("first", "last", "all")


class NoDataModelError(LookupError):
    """``udm_path`` needs the data model of the event's log type, and there is none."""

    def __init__(self, log_type: Any) -> None:
        super().__init__(f"a data model hasn't been specified for log type: {log_type}")


class DetectionEvent(ImmutableCaseInsensitiveDict):
    """One event as a detection reads it.

    ``udm(name)`` reads a unified field through the data model of the event's log type; names the
    model does not map fall back to ``p_udm`` and then to the event's own field of that name.
    """

    __slots__ = ("data_model", "lookup_function")

    json_encoder = staticmethod(json_default)

    def __init__(self, event: Mapping[str, Any] | None = None, data_model: DataModel | None = None) -> None:
        super().__init__(event)
        self.data_model = data_model
        self.lookup_function: LookupFunction | None = None

    def _add_lookup_function(self, lookup_function: LookupFunction) -> None:
        self.lookup_function = lookup_function

    def lookup(self, lookup_name: str, lookup_key: str) -> Any:
        """A row of a lookup table by key; tests supply rows under ``_mocked_lookup_data_``."""
        if self.lookup_function is not None:
            return self.lookup_function(self, lookup_name, lookup_key)
        return self.deep_get(MOCKED_LOOKUP_KEY, lookup_name, lookup_key)

    def udm(self, *keys: str, default: Any = None) -> Any:
        model = self.data_model
        if len(keys) == 1 and model is not None:
            name = keys[0]
            found, value = model.resolve(name, self._data)
            if found:
                return wrap(value)
            if model.maps(name):
                # The model claims the name but found nothing here: do not guess from raw fields.
                return default
        if not keys:
            return default
        result = self.deep_get("p_udm", *keys)
        if not result:
            result = self.deep_get(*keys)
        return result if result else default

    def udm_path(self, key: str) -> str | None:
        """The JSONPath (or method name) the data model uses for ``key``; None when unmapped."""
        model = self.data_model
        if model is None:
            raise NoDataModelError(self._data.get("p_log_type"))
        return model.describe(key, self._data)

    def deep_walk(self, *keys: str, default: Any = None, return_val: str = "all") -> Any:
        """Like ``deep_get``, but steps into lists, collecting every value found (de-duplicated).

        ``return_val`` picks ``first``, ``last`` or ``all`` (a single value when only one was found).
        Keys match exactly here, as the raw event spells them.
        """
        return _walk(self._data, keys, default, return_val)

    def event_time_epoch(self, force_utc: bool = True) -> int:
        """``p_event_time`` as whole epoch seconds, 0 when it does not parse."""
        event_time = self.get("p_event_time") or ""
        if force_utc:
            event_time += " UTC"
        try:
            return int(date_parser.parse(event_time).timestamp())
        except date_parser.ParserError:
            return 0


def _only_empty_lists(value: Any) -> bool:
    if isinstance(value, Sequence) and not isinstance(value, str):
        return all(_only_empty_lists(item) for item in value)
    return False


def _walk(value: Any, keys: tuple[str, ...], default: Any, return_val: str) -> Any:
    if not keys:
        return default if value is None or _only_empty_lists(value) else value
    if isinstance(value, Mapping):
        return _walk(value.get(keys[0], default), keys[1:], default, return_val)
    found: dict[Any, None] = {}
    if isinstance(value, Sequence) and not isinstance(value, str):
        for item in value:
            result = _walk(item, keys, default, return_val)
            if result is None:
                continue
            if isinstance(result, Sequence) and not isinstance(result, str):
                for sub_item in result:
                    found[sub_item] = None
            else:
                found[result] = None
    if not found:
        return default
    values = list(found)
    if return_val == "first":
        return values[0]
    if return_val == "last":
        return values[-1]
    if return_val == "all":
        return values[0] if len(values) == 1 else values
    # Panther answers an unknown return_val with the literal text "all"; content may depend on it.
    return "all"
