"""Fixtures for detection-runtime tests: inline content trees and key-value stores on both backends."""

from __future__ import annotations

import textwrap
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from onca.detect.kv import RedisKeyValueStore, SQLiteKeyValueStore
from onca.detect.platform import use_kv_store


@pytest.fixture
def content_tree(tmp_path: Path) -> Callable[[dict[str, str]], Path]:
    """Write ``{relative path: text}`` (dedented) under a fresh content root and return the root."""
    root = tmp_path / "content"

    def write(files: dict[str, str]) -> Path:
        for name, text in files.items():
            target = root / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(textwrap.dedent(text).lstrip("\n"))
        root.mkdir(exist_ok=True)
        return root

    return write


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def kv_store(request: pytest.FixtureRequest) -> Iterator[SQLiteKeyValueStore | RedisKeyValueStore]:
    """A key-value store on each backend; the Redis one uses its own prefix and is emptied afterwards."""
    if request.param == "sqlite":
        store: SQLiteKeyValueStore | RedisKeyValueStore = SQLiteKeyValueStore(":memory:")
    else:
        store = RedisKeyValueStore("redis://127.0.0.1:6379/0", prefix=f"onca-test:{uuid.uuid4().hex}:")
    try:
        yield store
    finally:
        store.clear()
        store.close()


@pytest.fixture
def active_kv_store(kv_store: SQLiteKeyValueStore | RedisKeyValueStore) -> Iterator[SQLiteKeyValueStore | RedisKeyValueStore]:
    """``kv_store``, also made the store the caching API uses."""
    previous = use_kv_store(kv_store)
    try:
        yield kv_store
    finally:
        use_kv_store(previous)
