"""The key-value store behind detection caching, with a SQLite and a Redis backend.

``open_kv_store`` takes a URL: ``sqlite:///relative/kv.sqlite3``, ``sqlite:////absolute/kv.sqlite3``
(the SQLAlchemy convention), ``sqlite://:memory:`` or
``redis://host:port/db`` (``?prefix=...`` sets the key prefix on a shared server).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit, urlunsplit

from onca.detect.kv.base import KeyValueError, KeyValueStore, as_string_set
from onca.detect.kv.redis_store import DEFAULT_PREFIX, RedisKeyValueStore
from onca.detect.kv.sqlite_store import SQLiteKeyValueStore

__all__ = [
    "KeyValueError",
    "KeyValueStore",
    "RedisKeyValueStore",
    "SQLiteKeyValueStore",
    "as_string_set",
    "default_kv_path",
    "open_kv_store",
]


def default_kv_path(data_dir: str | Path) -> Path:
    """Where the embedded mode keeps detection state."""
    return Path(data_dir) / "state" / "detection-kv.sqlite3"


def open_kv_store(url: str) -> KeyValueStore:
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        location = url[len("sqlite:///") :] if url.startswith("sqlite:///") else url[len("sqlite://") :]
        if location in ("", ":memory:"):
            return SQLiteKeyValueStore(":memory:")
        return SQLiteKeyValueStore(location)
    if parts.scheme in ("redis", "rediss", "unix"):
        prefix = parse_qs(parts.query).get("prefix", [DEFAULT_PREFIX])[0]
        query = "&".join(item for item in parts.query.split("&") if item and not item.startswith("prefix="))
        return RedisKeyValueStore(urlunsplit(parts._replace(query=query)), prefix=prefix)
    raise KeyValueError(f"unsupported key-value store URL {url!r}: use sqlite:///path, sqlite://:memory: or redis://")
