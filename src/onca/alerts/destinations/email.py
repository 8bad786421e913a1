"""Email over SMTP: one message per alert, plain text with an HTML alternative.

smtplib runs in a worker thread so a slow mail relay never blocks the event loop. SMTP's own reply classes
decide what is worth retrying: 4xx replies and network failures are transient, 5xx replies are final.
"""

from __future__ import annotations

import asyncio
import html
import json
import re
import smtplib
import ssl
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Literal

import httpx
from pydantic import Field, SecretStr, field_validator

from onca.alerts.destinations.base import DeliveryResult, Destination, DestinationConfig, register
from onca.alerts.document import iso_utc
from onca.alerts.model import Alert

_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+$")


def _check_address(value: str) -> str:
    if not _ADDRESS.match(parseaddr(value)[1]):
        raise ValueError(f"{value!r} is not an email address")
    return value


class EmailConfig(DestinationConfig):
    host: str = Field(description="SMTP server (relay) host name.", examples=["smtp.example.com"])
    port: int = Field(default=587, ge=1, le=65535,
                      description="SMTP port: usually 587 with STARTTLS, 465 with implicit TLS, 25 without.",
                      examples=[587])
    security: Literal["starttls", "tls", "none"] = Field(
        default="starttls",
        description="`starttls` upgrades the connection before authenticating, `tls` connects with TLS "
                    "from the start (port 465), `none` sends in the clear (only for a relay on a trusted "
                    "network).",
        examples=["starttls"])
    ca_file: str = Field(default="",
                         description="PEM file of CA certificates to trust instead of the system's, for a "
                                     "relay with a private CA.",
                         examples=["/etc/onca/smtp-ca.pem"])
    username: str = Field(default="", description="Login user; empty sends without authenticating.",
                          examples=["alerts@example.com"])
    password: SecretStr = Field(default=SecretStr(""), description="Login password.",
                                examples=["app-password"])
    from_address: str = Field(description="Sender, optionally with a display name.",
                              examples=["Onca Alerts <alerts@example.com>"])
    to_addresses: tuple[str, ...] = Field(min_length=1, description="Recipients.",
                                          examples=[["soc@example.com", "oncall@example.com"]])
    subject_prefix: str = Field(default="[Onca]", description="Put before every subject, for mail filters.",
                                examples=["[Onca]"])

    @field_validator("from_address")
    @classmethod
    def _sender_ok(cls, value: str) -> str:
        return _check_address(value)

    @field_validator("to_addresses")
    @classmethod
    def _recipients_ok(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_check_address(address) for address in value)




def _facts(alert: Alert) -> list[tuple[str, str]]:
    detection = alert.detection_id + (f" ({alert.detection_name})" if alert.detection_name else "")
    rows = [("Severity", alert.severity), ("Detection", detection), ("Alert ID", alert.id),
            ("Alert type", alert.type), ("Events", str(alert.event_count)),
            ("First event", iso_utc(alert.first_event_time)), ("Last event", iso_utc(alert.last_event_time))]
    if alert.log_types:
        rows.append(("Log types", ", ".join(alert.log_types)))
    for label, text in (("Description", alert.description), ("Runbook", alert.runbook),
                        ("Reference", alert.reference)):
        if text:
            rows.append((label, text))
    return rows


def _context_json(alert: Alert) -> str:
    return json.dumps(alert.alert_context, indent=2, sort_keys=True, default=str)


def plain_body(alert: Alert) -> str:
    lines = [alert.title, ""] + [f"{label}: {value}" for label, value in _facts(alert)]
    if alert.url:
        lines += ["", f"View the alert: {alert.url}"]
    if alert.alert_context:
        lines += ["", "Alert context:", _context_json(alert)]
    return "\n".join(lines) + "\n"


def html_body(alert: Alert) -> str:
    esc = html.escape
    rows = "".join(f"<tr><th align=\"left\" valign=\"top\">{esc(label)}</th><td>{esc(value)}</td></tr>"
                   for label, value in _facts(alert))
    parts = [f"<html><body><h2>{esc(alert.title)}</h2>", f"<table cellpadding=\"4\">{rows}</table>"]
    if alert.url:
        parts.append(f"<p><a href=\"{esc(alert.url, quote=True)}\">View the alert</a></p>")
    if alert.alert_context:
        parts.append(f"<h3>Alert context</h3><pre>{esc(_context_json(alert))}</pre>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _smtp_failure(exc: Exception) -> DeliveryResult:
    """4xx replies, a dropped connection and network errors are transient; 5xx and TLS or config problems
    are not."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        detail = "; ".join(f"{rcpt}: {code} {msg.decode(errors='replace')}"
                           for rcpt, (code, msg) in exc.recipients.items())
        return DeliveryResult(ok=False, retryable=any(400 <= c < 500 for c in codes),
                              error=f"all recipients refused: {detail}")
    if isinstance(exc, smtplib.SMTPResponseException):
        reply = exc.smtp_error
        message = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
        return DeliveryResult(ok=False, retryable=400 <= exc.smtp_code < 500,
                              error=f"{type(exc).__name__}: SMTP {exc.smtp_code} {message}")
    # smtplib and ssl errors are OSErrors too, but they do not heal by waiting
    retryable = isinstance(exc, smtplib.SMTPServerDisconnected) or (
        isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException | ssl.SSLError))
    return DeliveryResult(ok=False, retryable=retryable, error=f"{type(exc).__name__}: {exc}")


@register
class EmailDestination(Destination):
    kind = "email"
    config_model = EmailConfig
    config: EmailConfig

    def message(self, alert: Alert) -> EmailMessage:
        message = EmailMessage()
        subject = f"{self.config.subject_prefix} {alert.severity}: {alert.title}"
        message["Subject"] = " ".join(subject.split())  # a header holds no line breaks
        message["From"] = self.config.from_address
        message["To"] = ", ".join(self.config.to_addresses)
        message["Date"] = format_datetime(datetime.now(UTC))
        message["Message-ID"] = make_msgid(domain=parseaddr(self.config.from_address)[1].split("@")[-1])
        message["X-Onca-Alert-Id"] = alert.id
        message["X-Onca-Severity"] = alert.severity
        message.set_content(plain_body(alert))
        message.add_alternative(html_body(alert), subtype="html")
        return message

    def _deliver(self, message: EmailMessage) -> dict[str, tuple[int, bytes]]:
        cfg = self.config
        try:
            context = ssl.create_default_context(cafile=cfg.ca_file or None)
        except OSError as exc:  # a configuration problem, not a network one: raised as such so it is final
            raise ValueError(f"ca_file {cfg.ca_file!r} cannot be used: {exc}") from None
        smtp: smtplib.SMTP
        if cfg.security == "tls":
            smtp = smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=cfg.timeout_seconds, context=context)
        else:
            smtp = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout_seconds)
        with smtp:
            smtp.ehlo()
            if cfg.security == "starttls":
                smtp.starttls(context=context)
                smtp.ehlo()
            if cfg.username:
                smtp.login(cfg.username, cfg.password.get_secret_value())
            return smtp.send_message(message)

    async def send(self, alert: Alert, client: httpx.AsyncClient) -> DeliveryResult:
        try:
            refused = await asyncio.to_thread(self._deliver, self.message(alert))
        except Exception as exc:  # noqa: BLE001 - every failure becomes a DeliveryResult
            return _smtp_failure(exc)
        accepted = len(self.config.to_addresses) - len(refused)
        note = f"accepted for {accepted} recipient(s)"
        if refused:  # some recipients took it: resending would duplicate it for them, so this counts as sent
            note += "; refused: " + "; ".join(f"{rcpt}: {code}" for rcpt, (code, _) in refused.items())
        return DeliveryResult(ok=True, response=note)
