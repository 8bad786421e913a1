"""What every alert destination shares: its config model, how a delivery attempt is reported, and the registry.

A destination is one module in this package holding a pydantic config model and a `Destination` subclass. It turns
an alert into the request its service documents and sends it; retries, backoff and routing live above it
(`onca.alerts.delivery`), so a destination only says whether an attempt worked and whether trying again could help.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar

import httpx
from pydantic import AfterValidator, BaseModel, AnyHttpUrl, ConfigDict, Field, SecretStr, TypeAdapter, ValidationError

from onca.alerts.model import Alert


_HTTP_URL = TypeAdapter(AnyHttpUrl)


def _check_http_url(value: SecretStr) -> SecretStr:
    try:
        _HTTP_URL.validate_python(value.get_secret_value())
    except ValidationError:
        raise ValueError("not an http(s) URL") from None
    return value


# A URL that is itself the credential (Slack, Teams and Discord webhooks): kept secret, still checked as a URL.
SecretHttpUrl = Annotated[SecretStr, AfterValidator(_check_http_url)]


class DestinationConfig(BaseModel):
    """Settings every destination has; each destination's own config model extends this."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="A name people recognise, shown in alert delivery records.")
    severities: tuple[str, ...] = Field(
        default=("INFO", "LOW", "MEDIUM", "HIGH", "CRITICAL"),
        description="Alerts of these severities are sent here by default.")
    log_types: tuple[str, ...] = Field(default=(), description="If set, only alerts on these log types.")
    alert_types: tuple[str, ...] = Field(default=("rule", "rule_error", "policy", "correlation", "scheduled_rule"),
                                         description="Alert types sent here.")
    timeout_seconds: float = Field(default=10.0, gt=0, description="Per-attempt network timeout.")


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    ok: bool
    retryable: bool = False  # a transient failure (timeout, 429, 5xx): trying again may work
    status_code: int | None = None
    response: str = ""  # the service's answer (truncated), kept with the attempt
    error: str = ""


def result_from_response(response: httpx.Response, *, ok_codes: tuple[int, ...] = ()) -> DeliveryResult:
    """The common mapping from an HTTP answer: 2xx ok; 408, 425, 429 and 5xx worth retrying; the rest final."""
    code = response.status_code
    text = response.text[:4096]
    ok = 200 <= code < 300 or code in ok_codes
    retryable = not ok and (code in (408, 425, 429) or code >= 500)
    return DeliveryResult(ok=ok, retryable=retryable, status_code=code, response=text,
                          error="" if ok else f"HTTP {code}")


def result_from_exception(exc: Exception) -> DeliveryResult:
    """Network errors and timeouts are transient; anything else is not."""
    retryable = isinstance(exc, httpx.TransportError)
    return DeliveryResult(ok=False, retryable=retryable, error=f"{type(exc).__name__}: {exc}")


class Destination(ABC):
    """One configured destination. Subclasses set `kind` and `config_model` and implement `send`."""

    kind: ClassVar[str]
    config_model: ClassVar[type[DestinationConfig]]

    def __init__(self, config: DestinationConfig):
        self.config = config

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Destination:
        return cls(cls.config_model.model_validate(data))

    @abstractmethod
    async def send(self, alert: Alert, client: httpx.AsyncClient) -> DeliveryResult:
        """Deliver one alert once; never raises for a failed delivery (return a DeliveryResult instead)."""


REGISTRY: dict[str, type[Destination]] = {}


def register(cls: type[Destination]) -> type[Destination]:
    """Class decorator: makes a destination available under its `kind`."""
    if cls.kind in REGISTRY and REGISTRY[cls.kind] is not cls:
        raise ValueError(f"destination kind {cls.kind!r} is registered twice")
    REGISTRY[cls.kind] = cls
    return cls
