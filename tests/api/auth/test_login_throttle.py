"""Password guessing is slowed: after repeated failures, sign-in is refused for a while, even when right."""

from __future__ import annotations

from auth_helpers import API, PASSWORD

from onca.api.auth.throttle import LoginThrottle


def test_too_many_failures_lock_the_account_from_that_address(client, make_user):
    make_user("Analyst", "guessed@example.com")
    for _ in range(5):
        wrong = client.post(f"{API}/auth/login", json={"email": "guessed@example.com", "password": "nope-nope-1"})
        assert wrong.status_code == 401
    locked = client.post(f"{API}/auth/login", json={"email": "Guessed@Example.com", "password": PASSWORD})
    assert locked.status_code == 429 and "too many failed sign-ins" in locked.json()["detail"]
    assert 0 < int(locked.headers["Retry-After"]) <= 301


def test_windows_pass_and_success_clears_the_account_count():
    now = [0.0]
    throttle = LoginThrottle(per_account=2, per_address=4, window=60, clock=lambda: now[0])
    throttle.failed("a@x", "1.2.3.4")
    throttle.succeeded("a@x", "1.2.3.4")
    throttle.failed("a@x", "1.2.3.4")
    assert throttle.retry_after("a@x", "1.2.3.4") == 0  # the success forgot the first failure
    throttle.failed("a@x", "1.2.3.4")
    assert throttle.retry_after("a@x", "1.2.3.4") == 61
    assert throttle.retry_after("b@x", "1.2.3.4") == 0 and throttle.retry_after("a@x", "5.6.7.8") == 0
    throttle.failed("b@x", "1.2.3.4")  # the address's fourth failure, across emails
    assert throttle.retry_after("c@x", "1.2.3.4") > 0
    now[0] = 61.0
    assert throttle.retry_after("a@x", "1.2.3.4") == 0 and throttle.retry_after("c@x", "1.2.3.4") == 0
