"""The caching API detections import as ``panther_detection_helpers.caching``, over Onca's KV store.

Expiry arguments (``epoch_seconds``) follow the API's convention: a value under 1,000,000,000 is a
duration from now, a larger one an absolute epoch time; where the default applies it is 90 days.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterable, Mapping
from typing import Any

from onca.detect.event.views import json_default
from onca.detect.kv import KeyValueStore, SQLiteKeyValueStore, default_kv_path

DEFAULT_EXPIRY_SECONDS = 90 * 24 * 60 * 60
_ABSOLUTE_EPOCH_THRESHOLD = 1_000_000_000

_store: KeyValueStore | None = None
_store_lock = threading.Lock()


def use_kv_store(store: KeyValueStore | None) -> KeyValueStore | None:
    """Make ``store`` the one detections read and write; returns the previous one."""
    global _store
    with _store_lock:
        previous, _store = _store, store
    return previous


def kv_table() -> KeyValueStore:
    """The store in use; by default a SQLite file under the data directory (``ONCA_DATA_DIR``)."""
    global _store
    with _store_lock:
        if _store is None:
            _store = SQLiteKeyValueStore(default_kv_path(os.environ.get("ONCA_DATA_DIR", "onca-data")))
        return _store


def _expires_at(epoch_seconds: Any) -> int:
    if isinstance(epoch_seconds, str):
        epoch_seconds = float(epoch_seconds)
    if isinstance(epoch_seconds, float):
        epoch_seconds = int(epoch_seconds)
    if not isinstance(epoch_seconds, int) or isinstance(epoch_seconds, bool):
        epoch_seconds = DEFAULT_EXPIRY_SECONDS
    if epoch_seconds < _ABSOLUTE_EPOCH_THRESHOLD:
        epoch_seconds = int(time.time()) + epoch_seconds
    return epoch_seconds


def ttl_expired(response: Mapping[str, Any]) -> bool:
    """Whether a stored item's ``expiresAt`` (as ``{"Item": {"expiresAt": ...}}``) has passed."""
    expiration = response.get("Item", {}).get("expiresAt", 0)
    return bool(expiration) and float(expiration) <= time.time()


def get_counter(key: str, force_ttl_check: bool = False) -> int:
    return kv_table().get_counter(key)


def increment_counter(key: str, val: int = 1, epoch_seconds: int | None = DEFAULT_EXPIRY_SECONDS) -> int:
    """Add ``val`` and return the new count; ``epoch_seconds=None`` keeps the key's expiry."""
    expires = None if epoch_seconds is None else _expires_at(epoch_seconds)
    return kv_table().increment_counter(key, val, expires)


def reset_counter(key: str) -> None:
    kv_table().reset_counter(key)


def set_key_expiration(key: str, epoch_seconds: int | None) -> None:
    kv_table().set_expiration(key, _expires_at(epoch_seconds))


def put_dictionary(key: str, val: Mapping[str, Any], epoch_seconds: int | None = None) -> None:
    if not isinstance(val, Mapping):
        raise TypeError("put_dictionary: value is not a dictionary")
    try:
        encoded = json.dumps(val, default=json_default)
    except TypeError as exc:
        raise ValueError("put_dictionary: value is a dictionary, but it is not JSON serializable") from exc
    kv_table().put_dictionary(key, json.loads(encoded), _expires_at(epoch_seconds))


def get_dictionary(key: str, force_ttl_check: bool = False) -> dict[str, Any]:
    return kv_table().get_dictionary(key) or {}


def get_string_set(key: str, force_ttl_check: bool = False) -> set[str]:
    return kv_table().get_string_set(key)


def put_string_set(key: str, val: Iterable[str], epoch_seconds: int | None = None) -> None:
    """Replace the set; an empty value removes it."""
    if not val:
        reset_string_set(key)
        return
    kv_table().put_string_set(key, val, _expires_at(epoch_seconds))


def add_to_string_set(
    key: str, val: str | Iterable[str], epoch_seconds: int | None = DEFAULT_EXPIRY_SECONDS
) -> set[str]:
    members = {val} if isinstance(val, str) else set(val)
    if not members:
        return get_string_set(key, force_ttl_check=True)
    expires = None if epoch_seconds is None else _expires_at(epoch_seconds)
    return kv_table().add_to_string_set(key, members, expires)


def remove_from_string_set(
    key: str, val: str | Iterable[str], epoch_seconds: int | None = DEFAULT_EXPIRY_SECONDS
) -> set[str]:
    members = {val} if isinstance(val, str) else set(val)
    if not members:
        return get_string_set(key, force_ttl_check=True)
    expires = None if epoch_seconds is None else _expires_at(epoch_seconds)
    return kv_table().remove_from_string_set(key, members, expires)


def reset_string_set(key: str) -> None:
    kv_table().reset_string_set(key)


def evaluate_threshold(key: str, threshold: int = 10, expiry_seconds: int = 3600) -> bool:
    """Count one more occurrence; at ``threshold`` reset the count and answer True."""
    if increment_counter(key, epoch_seconds=expiry_seconds) >= threshold:
        reset_counter(key)
        return True
    return False


def check_account_age(key: Any) -> bool:
    """Whether an account-creation rule recorded ``key`` (a user or account id) recently."""
    if isinstance(key, str) and key != "":
        return bool(get_string_set(key, force_ttl_check=True))
    return False
