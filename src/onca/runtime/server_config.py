"""The server's declarative configuration file, for people who manage Onca as code.

YAML (or JSON) with camelCase keys; every string may name environment variables as ``${NAME}`` so that secrets
stay out of the file. Example:

    dataDir: /var/lib/onca
    port: 8000
    detections: [/srv/panther-analysis]
    destinations:
      - name: SOC Slack
        kind: slack
        webhookUrl: ${SLACK_WEBHOOK}
    sources:
      http:
        - integrationId: okta
          integrationLabel: Okta
          logTypes: [Okta.SystemLog]
          authMethod: SharedSecret
          authHeaderKey: X-Okta-Secret
          authSecretValue: ${OKTA_SECRET}
    retention:
      panther_logs: 90
    lookupTables:
      - lookupName: known_vpns
        primaryKey: cidr
        file: lookups/known_vpns.csv
        associatedLogTypes:
          - logType: AWS.CloudTrail
            selectors: [sourceIPAddress]
    oidc:
      issuer: https://login.example.com
      clientId: onca
      clientSecret: ${OIDC_CLIENT_SECRET}
      redirectUrl: https://onca.example.com/api/v1/auth/oidc/callback
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import orjson
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic.alias_generators import to_camel

from onca.enrich.definition import LookupTableSettings
from onca.runtime.http_sources import HttpSource
from onca.yaml12 import describe_yaml_error, load_yaml

_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class ConfigError(ValueError):
    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))


class _Model(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class Sources(_Model):
    http: list[HttpSource] = Field(default_factory=list)


class LookupTableConfig(LookupTableSettings):
    """A lookup table managed as code: the API's fields, plus the file holding its rows."""

    file: Path | None = Field(None, description="The rows: CSV with a header line, or JSON lines; relative to the "
                                                "config file. Without one the table has no rows.",
                              examples=["lookups/known_vpns.csv"])


class OidcConfig(_Model):
    """Single sign-on through an OpenID Connect provider (the authorization code flow with PKCE)."""

    issuer: str = Field(description="The provider's issuer URL; discovery is read from "
                                    "<issuer>/.well-known/openid-configuration.")
    client_id: str = Field(min_length=1)
    client_secret: str = Field(min_length=1)
    redirect_url: str = Field(description="This server's callback: https://<host>/api/v1/auth/oidc/callback.")
    scopes: list[str] = Field(default_factory=lambda: ["openid", "email", "profile"])
    default_role: str | None = Field("AnalystReadOnly", description="Role of a user created on first sign-in; "
                                                                   "null: only existing users may sign in.")
    email_claim: str = Field("email", min_length=1)

    @field_validator("issuer", "redirect_url")
    @classmethod
    def _url(cls, url: str) -> str:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"{url!r} is not an http(s) URL")
        return url

    @field_validator("scopes")
    @classmethod
    def _openid_scope(cls, scopes: list[str]) -> list[str]:
        # without it the provider answers plain OAuth, with no ID token to verify
        return scopes if "openid" in scopes else ["openid", *scopes]


class ServerConfig(_Model):
    data_dir: Path | None = None
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    store: str | None = Field(None, description="Metadata store URL; default sqlite:///<dataDir>/onca.db.")
    kv: str | None = Field(None, description="Detection cache URL; default a SQLite file in <dataDir>/state.")
    detections: list[Path] = Field(default_factory=list, description="Detection content trees.")
    destinations: list[dict[str, Any]] = Field(default_factory=list, description="As in a destinations file.")
    destinations_file: Path | None = None
    schemas: list[Path] = Field(default_factory=list, description="Custom log schema files.")
    sources: Sources = Field(default_factory=Sources)
    retention: dict[str, Annotated[int, Field(ge=1)]] = Field(default_factory=dict,
                                      description="Days to keep, per lake database (panther_logs, ...).")
    detection_workers: int = Field(1, ge=0)
    rule_timeout: float = Field(5.0, gt=0)
    commit_seconds: float = Field(5.0, gt=0, description="How often spooled payloads are committed to the lake.")
    admin_email: str = "admin@localhost"
    allowed_cidrs: list[str] = Field(default_factory=list, description="Only these clients may call the API.")
    max_body_bytes: int = Field(10 << 20, gt=0, description="Default request size limit of HTTP sources.")
    demo: bool = Field(False, description="Feed the bundled sample logs through a demo source.")
    oidc: OidcConfig | None = Field(None, description="Single sign-on through an OpenID Connect provider.")
    lookup_tables: list[LookupTableConfig] = Field(default_factory=list,
                                                   description="Lookup tables that enrich events (p_enrichment).")
    lookup_table_max_bytes: int = Field(32 << 20, gt=0, description="Size limit of lookup table data uploaded "
                                                                    "through the API.")

    @field_validator("allowed_cidrs")
    @classmethod
    def _cidrs(cls, cidrs: list[str]) -> list[str]:
        for cidr in cidrs:
            try:
                ipaddress.ip_network(cidr, strict=False)
            except ValueError:
                raise ValueError(f"{cidr!r} is not a CIDR block such as 10.0.0.0/8") from None
        return cidrs

    def source(self, source_id: str) -> HttpSource | None:
        return next((s for s in self.sources.http if s.integration_id == source_id), None)


def parse_config(data: Any, *, source: str = "config", env: Mapping[str, str] | None = None) -> ServerConfig:
    env = os.environ if env is None else env
    problems: list[str] = []
    data = _interpolate(data if data is not None else {}, env, (), problems)
    if problems:
        raise ConfigError(source, problems)
    try:
        config = ServerConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(source, [_describe(error) for error in exc.errors()]) from None
    ids = [s.integration_id for s in config.sources.http]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ConfigError(source, [f"sources.http: integrationId {d!r} is used twice" for d in duplicates])
    names = [t.lookup_name for t in config.lookup_tables]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConfigError(source, [f"lookupTables: lookupName {d!r} is used twice" for d in duplicates])
    return config


def load_config(path: Path, *, env: Mapping[str, str] | None = None) -> ServerConfig:
    try:
        text = Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(str(path), [f"cannot read the file: {exc.strerror or exc}"]) from None
    try:
        data = orjson.loads(text) if str(path).lower().endswith(".json") else load_yaml(text)
    except orjson.JSONDecodeError as exc:
        raise ConfigError(str(path), [f"not valid JSON: {exc}"]) from None
    except yaml.YAMLError as exc:
        raise ConfigError(str(path), [f"not valid YAML: {describe_yaml_error(exc)}"]) from None
    config = parse_config(data, source=str(path), env=env)
    return _relative_to(config, Path(path).parent)


def _relative_to(config: ServerConfig, base: Path) -> ServerConfig:
    """Paths in a config file are relative to the file, not to where the server was started."""
    def fix(path: Path | None) -> Path | None:
        return path if path is None or path.is_absolute() else base / path

    return config.model_copy(update={
        "data_dir": fix(config.data_dir),
        "detections": [fix(p) for p in config.detections],
        "schemas": [fix(p) for p in config.schemas],
        "destinations_file": fix(config.destinations_file),
        "lookup_tables": [t.model_copy(update={"file": fix(t.file)}) for t in config.lookup_tables],
    })


def _interpolate(value: Any, env: Mapping[str, str], path: tuple[str, ...], problems: list[str]) -> Any:
    if isinstance(value, str):
        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in env:
                problems.append(f"{'.'.join(path) or 'value'}: environment variable {name} is not set")
                return ""
            return env[name]

        return _VARIABLE.sub(replace, value)
    if isinstance(value, Mapping):
        return {k: _interpolate(v, env, (*path, str(k)), problems) for k, v in value.items()}
    if isinstance(value, list):
        return [_interpolate(v, env, (*path, str(i)), problems) for i, v in enumerate(value)]
    return value


def _describe(error: Mapping[str, Any]) -> str:
    where = ".".join(str(part) for part in error.get("loc", ())) or "config"
    return f"{where}: {error.get('msg', 'invalid')}"
