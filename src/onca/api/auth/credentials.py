"""The secrets Onca hands out: API token values and session cookie values, and the hashes kept of them.

Both are 256 random bits, so a plain sha256 is enough to keep them: there is nothing to guess that a slow hash
would protect.
"""

from __future__ import annotations

import hashlib
import secrets

TOKEN_PREFIX = "onca_"  # lets secret scanners and people recognise a leaked token
SESSION_COOKIE = "onca_session"


def new_token_value() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def new_session_id() -> str:
    return secrets.token_urlsafe(32)


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()
