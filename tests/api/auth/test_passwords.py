"""Password rules, argon2 hashing, and rehashing when the hashing parameters change."""

from __future__ import annotations

import re

import pytest
from argon2 import PasswordHasher

from onca.api.auth import passwords
from onca.api.auth.passwords import (
    PasswordRejected,
    check_password,
    generate_password,
    hash_password,
    password_problems,
    verify_password,
)


@pytest.mark.parametrize("password, rule", [
    ("Sh0rt!", "at least 12 characters long (it has 6)"),
    ("alllowercaseletters", "at least three of"),
    ("ALLUPPER1234", "at least three of"),
    ("Aa1!Aa1!Aa1!", "at least 5 different characters"),
    ("x" * 300, "at most 256 characters"),
    ("Password1234", "commonly used"),
    ("Ana.Lima-2025!", "must not contain the email address's name"),
])
def test_password_rules_name_what_is_wrong(password, rule):
    with pytest.raises(PasswordRejected, match=re.escape(rule)):
        check_password(password, email="ana.lima@example.com")


def test_password_rules_list_every_problem_at_once():
    problems = password_problems("abc")
    assert any("12 characters" in p for p in problems) and any("three of" in p for p in problems)


def test_password_good_ones_pass():
    check_password("Correct-Horse-42", email="ana@example.com")
    check_password("correct horse battery 9", email=None)


def test_password_generated_ones_meet_the_rules():
    made = {generate_password() for _ in range(20)}
    assert len(made) == 20
    for password in made:
        assert password_problems(password) == [] and len(password) == 20


def test_password_hash_verifies_and_is_argon2id():
    stored = hash_password("Correct-Horse-42")
    assert stored.startswith("$argon2id$") and "Correct-Horse-42" not in stored
    assert verify_password(stored, "Correct-Horse-42") == passwords.Verified(True, None)
    assert not verify_password(stored, "correct-horse-42").ok
    assert not verify_password("not a hash", "Correct-Horse-42").ok
    assert not verify_password(None, "Correct-Horse-42").ok


def test_password_rehash_when_parameters_change(monkeypatch):
    weak = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    stored = hash_password("Correct-Horse-42", hasher=weak)
    stronger = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1)
    monkeypatch.setattr(passwords, "DEFAULT_HASHER", stronger)

    result = verify_password(stored, "Correct-Horse-42")

    assert result.ok and result.new_hash is not None
    assert not stronger.check_needs_rehash(result.new_hash)
    assert verify_password(result.new_hash, "Correct-Horse-42") == passwords.Verified(True, None)
    assert verify_password(stored, "wrong-Horse-42").new_hash is None
