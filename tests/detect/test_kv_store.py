from __future__ import annotations

import time
import uuid

import pytest

from onca.detect.kv import (
    KeyValueError,
    KeyValueStore,
    RedisKeyValueStore,
    SQLiteKeyValueStore,
    open_kv_store,
)


def test_kv_store_counters(kv_store):
    assert kv_store.get_counter("c") == 0
    assert kv_store.increment_counter("c") == 1
    assert kv_store.increment_counter("c", 5) == 6
    assert kv_store.get_counter("c") == 6
    kv_store.reset_counter("c")
    assert kv_store.get_counter("c") == 0


def test_kv_store_string_sets(kv_store):
    assert kv_store.get_string_set("s") == set()
    kv_store.put_string_set("s", ["a", "b"])
    assert kv_store.get_string_set("s") == {"a", "b"}
    assert kv_store.add_to_string_set("s", {"c"}) == {"a", "b", "c"}
    assert kv_store.remove_from_string_set("s", ["a", "zzz"]) == {"b", "c"}
    kv_store.put_string_set("s", ["x"])
    assert kv_store.get_string_set("s") == {"x"}
    kv_store.reset_string_set("s")
    assert kv_store.get_string_set("s") == set()
    with pytest.raises(TypeError, match="string sets hold strings"):
        kv_store.add_to_string_set("s", [1])


def test_kv_store_dictionaries(kv_store):
    assert kv_store.get_dictionary("d") is None
    kv_store.put_dictionary("d", {"a": [1, 2], "b": {"c": None}})
    assert kv_store.get_dictionary("d") == {"a": [1, 2], "b": {"c": None}}


def test_kv_store_values_of_one_key_coexist(kv_store):
    kv_store.increment_counter("k", 2)
    kv_store.add_to_string_set("k", ["m"])
    kv_store.put_dictionary("k", {"x": 1})
    assert (kv_store.get_counter("k"), kv_store.get_string_set("k"), kv_store.get_dictionary("k")) == (
        2,
        {"m"},
        {"x": 1},
    )
    kv_store.delete("k")
    assert (kv_store.get_counter("k"), kv_store.get_string_set("k"), kv_store.get_dictionary("k")) == (0, set(), None)


def test_kv_store_expiry_past_reads_absent(kv_store):
    kv_store.increment_counter("gone", 3)
    kv_store.add_to_string_set("gone", ["a"])
    kv_store.put_dictionary("gone", {"a": 1})
    kv_store.set_expiration("gone", time.time() - 1)
    assert kv_store.get_counter("gone") == 0
    assert kv_store.get_string_set("gone") == set()
    assert kv_store.get_dictionary("gone") is None
    assert kv_store.increment_counter("gone") == 1  # an expired counter starts again


def test_kv_store_expiry_future_kept_and_reported(kv_store):
    at = time.time() + 3600
    kv_store.increment_counter("k", 1, expires_at=at)
    kv_store.add_to_string_set("k", ["a"], expires_at=at)
    assert kv_store.expiration("k") == pytest.approx(at, abs=2)
    kv_store.increment_counter("k")  # a write without an expiry keeps the existing one
    assert kv_store.expiration("k") == pytest.approx(at, abs=2)
    kv_store.set_expiration("k", None)
    assert kv_store.expiration("k") is None
    assert kv_store.get_counter("k") == 2


def test_kv_store_clear_forgets_everything(kv_store):
    kv_store.increment_counter("a")
    kv_store.put_string_set("b", ["x"])
    kv_store.clear()
    assert kv_store.get_counter("a") == 0 and kv_store.get_string_set("b") == set()


def test_kv_store_is_the_protocol(kv_store):
    assert isinstance(kv_store, KeyValueStore)


def test_kv_sqlite_file_persists(tmp_path):
    path = tmp_path / "state" / "kv.sqlite3"
    store = SQLiteKeyValueStore(path)
    store.add_to_string_set("users", ["alice"])
    store.close()
    reopened = open_kv_store(f"sqlite:///{path}")
    assert isinstance(reopened, SQLiteKeyValueStore) and reopened.get_string_set("users") == {"alice"}
    reopened.close()


def test_kv_sqlite_clock_controls_expiry():
    now = [1000.0]
    store = SQLiteKeyValueStore(clock=lambda: now[0])
    store.increment_counter("c", expires_at=1010.0)
    assert store.get_counter("c") == 1
    now[0] = 1010.0
    assert store.get_counter("c") == 0


def test_kv_open_urls():
    assert isinstance(open_kv_store("sqlite://:memory:"), SQLiteKeyValueStore)
    with pytest.raises(KeyValueError, match="unsupported key-value store URL"):
        open_kv_store("dynamodb://table")


@pytest.mark.redis
def test_kv_redis_prefix_isolates_clear():
    prefix = f"onca-test:{uuid.uuid4().hex}:"
    mine = open_kv_store(f"redis://127.0.0.1:6379/0?prefix={prefix}mine:")
    theirs = RedisKeyValueStore(prefix=f"{prefix}theirs:")
    try:
        assert isinstance(mine, RedisKeyValueStore) and mine.prefix == f"{prefix}mine:"
        mine.increment_counter("shared")
        theirs.increment_counter("shared", 5)
        mine.clear()
        assert mine.get_counter("shared") == 0 and theirs.get_counter("shared") == 5
    finally:
        mine.clear()
        theirs.clear()


@pytest.mark.redis
def test_kv_redis_unreachable_named():
    with pytest.raises(KeyValueError, match="127.0.0.1:1"):
        RedisKeyValueStore("redis://127.0.0.1:1/0")
