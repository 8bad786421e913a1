"""Passwords: the rules a new one must meet, argon2id hashing, and rehashing when the parameters change."""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 12
MAX_LENGTH = 256  # hashing cost grows with length; nobody types more
_CLASSES = (("a lower-case letter", str.islower), ("an upper-case letter", str.isupper),
            ("a digit", str.isdigit), ("a symbol", lambda c: not c.isalnum()))
_COMMON = {"password1234", "123456789012", "qwertyuiopas", "letmein12345", "administrator", "changeme1234"}

DEFAULT_HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters


class PasswordRejected(ValueError):
    """The password does not meet the rules; the message lists every rule it breaks."""


def password_problems(password: str, *, email: str | None = None) -> list[str]:
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"it must be at least {MIN_LENGTH} characters long (it has {len(password)})")
    if len(password) > MAX_LENGTH:
        problems.append(f"it must be at most {MAX_LENGTH} characters long")
    classes = [name for name, test in _CLASSES if any(test(c) for c in password)]
    if len(classes) < 3:
        problems.append("it must mix at least three of: lower-case letters, upper-case letters, digits, symbols")
    if len(set(password)) < 5:
        problems.append("it must use at least 5 different characters")
    lowered = password.lower()
    if lowered in _COMMON:
        problems.append("it is a commonly used password")
    local = (email or "").split("@", 1)[0].lower()
    if len(local) >= 3 and local in lowered:
        problems.append("it must not contain the email address's name")
    return problems


def check_password(password: str, *, email: str | None = None) -> None:
    problems = password_problems(password, email=email)
    if problems:
        raise PasswordRejected("password rejected: " + "; ".join(problems))


def generate_password(length: int = 20, *, email: str | None = None) -> str:
    """A random password that meets the rules for this email (shown once, for the user to replace)."""
    alphabet = string.ascii_letters + string.digits + "-_.!@#%+="
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(length))
        if not password_problems(candidate, email=email) and all(any(t(c) for c in candidate) for _, t in _CLASSES):
            return candidate


def current_hasher() -> PasswordHasher:
    """The hasher new hashes are made with; hashes made with other parameters are redone at the next sign-in."""
    return DEFAULT_HASHER


def hash_password(password: str, *, hasher: PasswordHasher | None = None) -> str:
    return (hasher or current_hasher()).hash(password)


@dataclass(frozen=True, slots=True)
class Verified:
    ok: bool
    new_hash: str | None = None  # set when the stored hash used older parameters: store this one instead


def verify_password(stored_hash: str | None, password: str, *, hasher: PasswordHasher | None = None,
                    ) -> Verified:
    hasher = hasher or current_hasher()
    if stored_hash is None:
        _burn(hasher, password)  # take as long as a real check, so timing does not tell which users exist
        return Verified(False)
    try:
        hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return Verified(False)
    if hasher.check_needs_rehash(stored_hash):
        return Verified(True, hasher.hash(password))
    return Verified(True)


@lru_cache(maxsize=4)
def _dummy_hash(hasher: PasswordHasher) -> str:
    return hasher.hash(secrets.token_urlsafe(16))


def _burn(hasher: PasswordHasher, password: str) -> None:
    try:
        hasher.verify(_dummy_hash(hasher), password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        pass
