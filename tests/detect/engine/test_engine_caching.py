"""Rules that keep state in the caching store: workers share it, across events and across calls."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from onca.detect.kv import RedisKeyValueStore, SQLiteKeyValueStore

LOG_TYPE = "AWS.CloudTrail"

COUNTING = """
from panther_detection_helpers.caching import increment_counter

def rule(event):
    return increment_counter(f"logins:{event.get('user')}") >= 3

def title(event):
    return f"third login of {event.get('user')}"
"""


def logins(user: str, count: int) -> list[dict]:
    return [{"p_log_type": LOG_TYPE, "user": user} for _ in range(count)]


@pytest.mark.parametrize("workers", [0, 1, 2])
def test_engine_caching_rule_counts_across_events_with_sqlite(
    python_rule, make_engine, tmp_path: Path, workers
):
    root = python_rule("Counting", COUNTING)
    kv_path = tmp_path / "state" / "kv.sqlite3"
    engine = make_engine(root, workers=workers, batch_size=2, kv_url=f"sqlite:///{kv_path}")
    findings = engine.evaluate(LOG_TYPE, logins("alice", 4) + logins("bob", 2))
    assert sorted(f.title for f in findings) == ["third login of alice"] * 2
    # The count lives on between calls, and in the file the workers opened.
    assert [f.title for f in engine.evaluate(LOG_TYPE, logins("bob", 1))] == ["third login of bob"]
    store = SQLiteKeyValueStore(kv_path)
    try:
        assert store.get_counter("logins:alice") == 4 and store.get_counter("logins:bob") == 3
    finally:
        store.close()


def test_engine_default_store_is_a_temporary_sqlite_file(python_rule, make_engine):
    root = python_rule("Counting", COUNTING)
    engine = make_engine(root, workers=1, kv_url=None)
    assert engine.kv_url.startswith("sqlite:///")
    kv_file = Path(engine.kv_url[len("sqlite:///") :])
    assert [f.title for f in engine.evaluate(LOG_TYPE, logins("carol", 3))] == ["third login of carol"]
    assert kv_file.exists()
    engine.close()
    assert not kv_file.exists()  # the temporary store goes with the engine


@pytest.mark.redis
def test_engine_caching_rule_counts_across_events_with_redis(python_rule, make_engine):
    root = python_rule("Counting", COUNTING)
    prefix = f"onca-engine-test:{uuid.uuid4().hex}:"
    url = f"redis://127.0.0.1:6379/0?prefix={prefix}"
    try:
        engine = make_engine(root, workers=2, batch_size=1, kv_url=url)
        findings = engine.evaluate(LOG_TYPE, logins("dave", 5))
        assert [f.title for f in findings] == ["third login of dave"] * 3
    finally:
        store = RedisKeyValueStore("redis://127.0.0.1:6379/0", prefix=prefix)
        assert store.get_counter("logins:dave") == 5
        store.clear()
        store.close()
