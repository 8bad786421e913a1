"""Redis key-value store for the distributed mode.

A key ``k`` lives in two Redis keys under the store's prefix: a hash ``<prefix>h:k`` (fields
``counter`` and ``dict``) and a set ``<prefix>s:k``. Both carry the same expiry, which Redis
enforces itself.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from typing import Any

import redis

from onca.detect.kv.base import KeyValueError, as_string_set

DEFAULT_PREFIX = "onca:kv:"


class RedisKeyValueStore:
    def __init__(self, url: str = "redis://127.0.0.1:6379/0", *, prefix: str = DEFAULT_PREFIX) -> None:
        self.url = url
        self.prefix = prefix
        self._redis = redis.Redis.from_url(url, decode_responses=True)
        try:
            self._redis.ping()
        except redis.RedisError as exc:
            raise KeyValueError(f"cannot reach the Redis key-value store at {url}: {exc}") from exc

    def __repr__(self) -> str:
        return f"RedisKeyValueStore({self.url!r}, prefix={self.prefix!r})"

    def _hash(self, key: str) -> str:
        return f"{self.prefix}h:{key}"

    def _set(self, key: str) -> str:
        return f"{self.prefix}s:{key}"

    def _expire(self, pipe: Any, key: str, expires_at: float | None) -> None:
        if expires_at is not None:
            at_ms = int(expires_at * 1000)
            pipe.pexpireat(self._hash(key), at_ms)
            pipe.pexpireat(self._set(key), at_ms)

    def get_counter(self, key: str) -> int:
        return int(self._redis.hget(self._hash(key), "counter") or 0)

    def increment_counter(self, key: str, amount: int = 1, expires_at: float | None = None) -> int:
        pipe = self._redis.pipeline()
        pipe.hincrby(self._hash(key), "counter", int(amount))
        self._expire(pipe, key, expires_at)
        return int(pipe.execute()[0])

    def reset_counter(self, key: str) -> None:
        self._redis.hdel(self._hash(key), "counter")

    def get_string_set(self, key: str) -> set[str]:
        return set(self._redis.smembers(self._set(key)))

    def put_string_set(self, key: str, values: Iterable[str], expires_at: float | None = None) -> None:
        members = as_string_set(values)
        pipe = self._redis.pipeline()
        if expires_at is None:
            # Replacing the set must not drop the expiry the key already had.
            remaining = self._redis.pttl(self._set(key))
        pipe.delete(self._set(key))
        if members:
            pipe.sadd(self._set(key), *members)
            if expires_at is None and remaining > 0:
                pipe.pexpire(self._set(key), remaining)
        self._expire(pipe, key, expires_at)
        pipe.execute()

    def add_to_string_set(self, key: str, values: Iterable[str], expires_at: float | None = None) -> set[str]:
        members = as_string_set(values)
        pipe = self._redis.pipeline()
        if members:
            pipe.sadd(self._set(key), *members)
        self._expire(pipe, key, expires_at)
        pipe.smembers(self._set(key))
        return set(pipe.execute()[-1])

    def remove_from_string_set(
        self, key: str, values: Iterable[str], expires_at: float | None = None
    ) -> set[str]:
        members = as_string_set(values)
        pipe = self._redis.pipeline()
        if members:
            pipe.srem(self._set(key), *members)
        self._expire(pipe, key, expires_at)
        pipe.smembers(self._set(key))
        return set(pipe.execute()[-1])

    def reset_string_set(self, key: str) -> None:
        self._redis.delete(self._set(key))

    def get_dictionary(self, key: str) -> dict[str, Any] | None:
        raw = self._redis.hget(self._hash(key), "dict")
        return None if raw is None else json.loads(raw)

    def put_dictionary(self, key: str, value: dict[str, Any], expires_at: float | None = None) -> None:
        pipe = self._redis.pipeline()
        pipe.hset(self._hash(key), "dict", json.dumps(value))
        self._expire(pipe, key, expires_at)
        pipe.execute()

    def set_expiration(self, key: str, expires_at: float | None) -> None:
        pipe = self._redis.pipeline()
        if expires_at is None:
            pipe.persist(self._hash(key))
            pipe.persist(self._set(key))
        else:
            self._expire(pipe, key, expires_at)
        pipe.execute()

    def expiration(self, key: str) -> float | None:
        pipe = self._redis.pipeline()
        pipe.pttl(self._hash(key))
        pipe.pttl(self._set(key))
        remaining = [ms for ms in pipe.execute() if ms is not None and ms >= 0]
        if not remaining:
            return None
        return time.time() + max(remaining) / 1000

    def delete(self, key: str) -> None:
        self._redis.delete(self._hash(key), self._set(key))

    def clear(self) -> None:
        keys = list(self._redis.scan_iter(match=f"{self.prefix}*", count=500))
        for start in range(0, len(keys), 500):
            self._redis.delete(*keys[start : start + 500])

    def close(self) -> None:
        self._redis.close()
