"""HTTP log sources: their settings (Panther's field names) and how a request to one is authenticated.

A source accepts ``POST /http/<integrationId>``. Authentication methods, as Panther's HTTP sources have them:

- ``SharedSecret``: header ``authHeaderKey`` carries ``authSecretValue``.
- ``HMAC``: header ``authHeaderKey`` carries the HMAC (``authHmacAlg``: sha1, sha256, sha384 or sha512) of the
  raw body keyed with ``authSecretValue``, hex or base64, optionally prefixed ``<alg>=`` as GitHub sends it.
- ``Bearer``: ``Authorization: Bearer <authBearerToken>``.
- ``Basic``: ``Authorization: Basic`` with ``authUsername`` and ``authPassword``.
- ``None``: anyone who can reach the port.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

from onca.runtime.spool import check_source_id

DEFAULT_MAX_BODY_BYTES = 10 << 20
HMAC_ALGORITHMS = ("sha1", "sha256", "sha384", "sha512")
AuthMethod = Literal["SharedSecret", "HMAC", "Bearer", "Basic", "None"]
StreamType = Literal["Auto", "JSON", "JsonArray", "Lines", "CloudWatchLogs", "XML"]
SECRET_FIELDS = ("auth_secret_value", "auth_bearer_token", "auth_password")


class AuthFailed(Exception):
    """The request did not prove it comes from the source's sender; the message says why (never the secret)."""


class StreamOptions(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    # For JsonArray: the dotted path of the array inside the body's object; empty when the body is the array.
    json_array_envelope_field: str = ""


class HttpSource(BaseModel):
    """One HTTP log source. Field names follow Panther's REST API (integrationId, logTypes, authMethod, ...)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    integration_id: str = Field(description="Part of the URL: POST /http/<integrationId>.")
    integration_label: str = Field(description="The source's name, stored in p_source_label.")
    log_types: list[str] = Field(min_length=1, description="Candidate log types, tried in order.")
    log_stream_type: StreamType = "Auto"
    log_stream_type_options: StreamOptions = Field(default_factory=StreamOptions)
    auth_method: AuthMethod = "None"
    auth_header_key: str = ""
    auth_secret_value: str = ""
    auth_hmac_alg: str = "sha256"
    auth_bearer_token: str = ""
    auth_username: str = ""
    auth_password: str = ""
    max_body_bytes: int = Field(DEFAULT_MAX_BODY_BYTES, gt=0, description="Larger requests get 413.")

    @model_validator(mode="after")
    def _complete(self) -> HttpSource:
        check_source_id(self.integration_id)
        needs = {
            "SharedSecret": ("auth_header_key", "auth_secret_value"),
            "HMAC": ("auth_header_key", "auth_secret_value"),
            "Bearer": ("auth_bearer_token",),
            "Basic": ("auth_username", "auth_password"),
        }.get(self.auth_method, ())
        missing = [to_camel(name) for name in needs if not getattr(self, name)]
        if missing:
            raise ValueError(f"authMethod {self.auth_method} needs {', '.join(missing)}")
        if self.auth_method == "HMAC" and self.auth_hmac_alg.lower() not in HMAC_ALGORITHMS:
            raise ValueError(f"authHmacAlg must be one of {', '.join(HMAC_ALGORITHMS)}, not {self.auth_hmac_alg!r}")
        return self

    def public(self) -> dict:
        """The settings as the API shows them: secrets left out."""
        return self.model_dump(by_alias=True, exclude=set(SECRET_FIELDS))

    def authenticate(self, headers: Mapping[str, str], body: bytes) -> None:
        """Raise AuthFailed unless the request carries this source's credentials. ``headers`` must be
        case-insensitive (Starlette's are)."""
        method = self.auth_method
        if method == "None":
            return
        if method == "SharedSecret":
            given = headers.get(self.auth_header_key)
            if given is None:
                raise AuthFailed(f"missing header {self.auth_header_key}")
            if not _same(given, self.auth_secret_value):
                raise AuthFailed(f"wrong secret in header {self.auth_header_key}")
        elif method == "HMAC":
            given = headers.get(self.auth_header_key)
            if given is None:
                raise AuthFailed(f"missing signature header {self.auth_header_key}")
            if not self._signature_matches(given.strip(), body):
                raise AuthFailed(f"the signature in {self.auth_header_key} does not match the body")
        elif method == "Bearer":
            scheme, _, token = headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not token:
                raise AuthFailed("missing Authorization: Bearer header")
            if not _same(token.strip(), self.auth_bearer_token):
                raise AuthFailed("wrong bearer token")
        elif method == "Basic":
            scheme, _, encoded = headers.get("authorization", "").partition(" ")
            if scheme.lower() != "basic" or not encoded:
                raise AuthFailed("missing Authorization: Basic header")
            try:
                user, _, password = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                raise AuthFailed("malformed Basic credentials") from None
            # both compared, always: the time taken says nothing about which one was wrong
            if not (_same(user, self.auth_username) & _same(password, self.auth_password)):
                raise AuthFailed("wrong username or password")

    def _signature_matches(self, given: str, body: bytes) -> bool:
        algorithm = self.auth_hmac_alg.lower()
        prefix, sep, rest = given.partition("=")
        if sep and prefix.lower() in HMAC_ALGORITHMS and rest:
            if prefix.lower() != algorithm:
                return False
            given = rest
        digest = hmac.new(self.auth_secret_value.encode(), body, getattr(hashlib, algorithm)).digest()
        return _same(given.lower(), digest.hex()) or _same(given, base64.b64encode(digest).decode())


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())
