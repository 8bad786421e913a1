from __future__ import annotations

import inspect
import time

import pytest

from onca.detect.event import DetectionEvent
from onca.detect.platform import caching

# The public functions of Panther's caching module, with their parameters.
PANTHER_CACHING_API = {
    "get_counter": ["key", "force_ttl_check"],
    "increment_counter": ["key", "val", "epoch_seconds"],
    "reset_counter": ["key"],
    "set_key_expiration": ["key", "epoch_seconds"],
    "put_dictionary": ["key", "val", "epoch_seconds"],
    "get_dictionary": ["key", "force_ttl_check"],
    "get_string_set": ["key", "force_ttl_check"],
    "put_string_set": ["key", "val", "epoch_seconds"],
    "add_to_string_set": ["key", "val", "epoch_seconds"],
    "remove_from_string_set": ["key", "val", "epoch_seconds"],
    "reset_string_set": ["key"],
    "evaluate_threshold": ["key", "threshold", "expiry_seconds"],
    "check_account_age": ["key"],
    "ttl_expired": ["response"],
    "kv_table": [],
}


def test_caching_api_signatures_match():
    for name, parameters in PANTHER_CACHING_API.items():
        assert list(inspect.signature(getattr(caching, name)).parameters) == parameters, name


def test_caching_string_sets(active_kv_store):
    assert caching.get_string_set("ips") == set()
    caching.put_string_set("ips", ["1.1.1.1"])
    assert caching.add_to_string_set("ips", "2.2.2.2") == {"1.1.1.1", "2.2.2.2"}
    assert caching.add_to_string_set("ips", []) == {"1.1.1.1", "2.2.2.2"}
    assert caching.remove_from_string_set("ips", ["1.1.1.1"]) == {"2.2.2.2"}
    caching.put_string_set("ips", [])  # an empty put removes the set
    assert caching.get_string_set("ips") == set()
    caching.put_string_set("ips", {"x"})
    caching.reset_string_set("ips")
    assert caching.get_string_set("ips", force_ttl_check=True) == set()


def test_caching_counters_and_threshold(active_kv_store):
    assert caching.increment_counter("n") == 1
    assert caching.increment_counter("n", 4) == 5
    assert caching.get_counter("n") == 5
    caching.reset_counter("n")
    assert caching.get_counter("n") == 0
    results = [caching.evaluate_threshold("burst", threshold=3) for _ in range(4)]
    assert results == [False, False, True, False]  # the third reaches it and resets the count
    assert caching.get_counter("burst") == 1


def test_caching_dictionaries(active_kv_store):
    assert caching.get_dictionary("d") == {}
    event = DetectionEvent({"geo": {"city": "Lisbon"}})
    caching.put_dictionary("d", {"city": event["geo"]["city"], "geo": event["geo"]})
    assert caching.get_dictionary("d") == {"city": "Lisbon", "geo": {"city": "Lisbon"}}
    with pytest.raises(TypeError, match="not a dictionary"):
        caching.put_dictionary("d", ["list"])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not JSON serializable"):
        caching.put_dictionary("d", {"s": {1, 2}})


def test_caching_account_age(active_kv_store):
    assert caching.check_account_age("new-user") is False
    caching.put_string_set("new-user", ["created"])
    assert caching.check_account_age("new-user") is True
    assert caching.check_account_age("") is False and caching.check_account_age(None) is False


def test_caching_expiry_durations_and_epochs(active_kv_store):
    now = time.time()
    caching.increment_counter("rel", epoch_seconds=600)  # under 1e9: a duration from now
    assert active_kv_store.expiration("rel") == pytest.approx(now + 600, abs=3)
    caching.put_string_set("abs", ["a"], epoch_seconds=int(now) + 7200)  # an absolute epoch time
    assert active_kv_store.expiration("abs") == pytest.approx(now + 7200, abs=3)
    caching.put_dictionary("default", {"a": 1})  # the default: 90 days
    assert active_kv_store.expiration("default") == pytest.approx(now + 90 * 86400, abs=3)
    caching.increment_counter("rel", epoch_seconds=None)  # None leaves the expiry alone
    assert active_kv_store.expiration("rel") == pytest.approx(now + 600, abs=3)
    caching.set_key_expiration("rel", "30.5")  # strings and floats are accepted
    assert active_kv_store.expiration("rel") == pytest.approx(now + 30, abs=3)
    caching.set_key_expiration("rel", int(now) - 10)
    assert caching.get_counter("rel") == 0


def test_caching_ttl_expired():
    assert caching.ttl_expired({"Item": {"expiresAt": time.time() - 5}}) is True
    assert caching.ttl_expired({"Item": {"expiresAt": time.time() + 60}}) is False
    assert caching.ttl_expired({}) is False


def test_caching_kv_table_is_active_store(active_kv_store):
    assert caching.kv_table() is active_kv_store
