"""Email destination against a real SMTP server (aiosmtpd) on loopback: STARTTLS, implicit TLS, login."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import ipaddress
import socket
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pydantic import ValidationError

from onca.alerts.destinations import build_destination
from onca.alerts.destinations.email import EmailDestination


class Mailbox:
    """aiosmtpd handler: keeps every accepted message; replies can be set to test failures."""

    def __init__(self) -> None:
        self.envelopes: list = []
        self.tls_sessions: list[bool] = []
        self.logins: list[tuple[str, str]] = []
        self.data_reply = "250 Message accepted"
        self.refuse: dict[str, str] = {}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        if not self.data_reply.startswith("250"):
            return self.data_reply
        self.envelopes.append(envelope)
        self.tls_sessions.append(server.transport.get_extra_info("ssl_object") is not None)
        return self.data_reply

    def authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        self.logins.append((auth_data.login.decode(), auth_data.password.decode()))
        # handled=False: the server itself answers a failure with 535
        return AuthResult(success=auth_data.password == b"hunter2", handled=False)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, written as PEM files (cert, key)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "onca-test-smtp")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    folder = tmp_path_factory.mktemp("smtp-tls")
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def _server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


def _run(mailbox: Mailbox, **options) -> Iterator[int]:
    port = _free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


@pytest.fixture
def mailbox() -> Mailbox:
    return Mailbox()


@pytest.fixture
def starttls_port(mailbox: Mailbox, certificate: tuple[Path, Path]) -> Iterator[int]:
    yield from _run(mailbox, tls_context=_server_context(certificate), require_starttls=True,
                    authenticator=mailbox.authenticate, auth_require_tls=True)


@pytest.fixture
def plain_port(mailbox: Mailbox) -> Iterator[int]:
    yield from _run(mailbox)


def _config(port: int, **overrides) -> dict:
    return {"name": "SOC mail", "host": "127.0.0.1", "port": port, "security": "none",
            "from_address": "Onca Alerts <alerts@onca.example.com>",
            "to_addresses": ["soc@example.com", "oncall@example.com"], **overrides}


def test_email_starttls_login_sends_plain_and_html(mailbox, starttls_port, certificate, deliver,
                                                    sample_alert):
    destination = build_destination("email", _config(starttls_port, security="starttls",
                                                     ca_file=str(certificate[0]), username="alerts",
                                                     password="hunter2"))

    result = deliver(destination, sample_alert)

    assert result.ok, result.error
    assert result.response == "accepted for 2 recipient(s)"
    assert mailbox.logins == [("alerts", "hunter2")]
    assert mailbox.tls_sessions == [True]
    envelope = mailbox.envelopes[0]
    assert envelope.mail_from == "alerts@onca.example.com"
    assert envelope.rcpt_tos == ["soc@example.com", "oncall@example.com"]
    message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
    assert message["Subject"] == "[Onca] HIGH: AWS root login detected from [198.51.100.23]"
    assert message["From"] == "Onca Alerts <alerts@onca.example.com>"
    assert message["To"] == "soc@example.com, oncall@example.com"
    assert message["X-Onca-Alert-Id"] == sample_alert.id
    assert message["X-Onca-Severity"] == "HIGH"
    assert message["Message-ID"].endswith("@onca.example.com>")
    assert message.get_content_type() == "multipart/alternative"

    plain = message.get_body(("plain",)).get_content()
    assert plain.splitlines()[:13] == [
        "AWS root login detected from [198.51.100.23]",
        "",
        "Severity: HIGH",
        "Detection: AWS.Console.RootLogin (Root Console Login)",
        "Alert ID: 7c9e4b1f2a6d4e8f9b0c1d2e3f405162",
        "Alert type: rule",
        "Events: 3",
        "First event: 2024-05-14T09:28:41Z",
        "Last event: 2024-05-14T09:30:55Z",
        "Log types: AWS.CloudTrail",
        f"Description: {sample_alert.description}",
        f"Runbook: {sample_alert.runbook}",
        f"Reference: {sample_alert.reference}",
    ]
    assert f"View the alert: {sample_alert.url}" in plain
    assert '"sourceIPAddress": "198.51.100.23"' in plain

    page = message.get_body(("html",)).get_content()
    assert "<h2>AWS root login detected from [198.51.100.23]</h2>" in page
    assert "<tr><th align=\"left\" valign=\"top\">Events</th><td>3</td></tr>" in page
    assert f'<a href="{sample_alert.url}">View the alert</a>' in page
    assert "&quot;mfaUsed&quot;: &quot;No&quot;" in page


def test_email_html_escapes_alert_text(mailbox, plain_port, deliver, sample_alert):
    from dataclasses import replace

    alert = replace(sample_alert, title="<script>alert(1)</script>\nline two", description="a & b")
    assert deliver(build_destination("email", _config(plain_port)), alert).ok

    message = email.message_from_bytes(mailbox.envelopes[0].original_content, policy=email.policy.default)
    assert message["Subject"] == "[Onca] HIGH: <script>alert(1)</script> line two"
    page = message.get_body(("html",)).get_content()
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<td>a &amp; b</td>" in page
    assert mailbox.tls_sessions == [False]


def test_email_implicit_tls(mailbox, certificate, deliver, sample_alert):
    for port in _run(mailbox, ssl_context=_server_context(certificate)):
        destination = build_destination("email", _config(port, security="tls", ca_file=str(certificate[0])))
        result = deliver(destination, sample_alert)
    assert result.ok, result.error
    assert mailbox.tls_sessions == [True]


def test_email_untrusted_certificate_is_not_retryable(starttls_port, deliver, sample_alert):
    result = deliver(build_destination("email", _config(starttls_port, security="starttls")), sample_alert)
    assert not result.ok and not result.retryable
    assert "CERTIFICATE_VERIFY_FAILED" in result.error


def test_email_missing_ca_file_is_not_retryable(starttls_port, deliver, sample_alert, tmp_path):
    missing = tmp_path / "missing-ca.pem"
    config = _config(starttls_port, security="starttls", ca_file=str(missing))
    result = deliver(build_destination("email", config), sample_alert)
    assert not result.ok and not result.retryable
    assert result.error == (f"ValueError: ca_file {str(missing)!r} cannot be used: "
                            "[Errno 2] No such file or directory")


def test_email_wrong_password_is_not_retryable(mailbox, starttls_port, certificate, deliver, sample_alert):
    destination = build_destination("email", _config(
        starttls_port, security="starttls", ca_file=str(certificate[0]), username="alerts", password="nope"))
    result = deliver(destination, sample_alert)
    assert not result.ok and not result.retryable
    assert "SMTP 535" in result.error
    assert mailbox.envelopes == []


def test_email_4xx_reply_is_retryable(mailbox, plain_port, deliver, sample_alert):
    mailbox.data_reply = "451 Local error in processing"
    result = deliver(build_destination("email", _config(plain_port)), sample_alert)
    assert not result.ok and result.retryable
    assert "SMTP 451" in result.error


def test_email_5xx_reply_is_not_retryable(mailbox, plain_port, deliver, sample_alert):
    mailbox.data_reply = "554 Message rejected as spam"
    result = deliver(build_destination("email", _config(plain_port)), sample_alert)
    assert not result.ok and not result.retryable
    assert "SMTP 554" in result.error


def test_email_all_recipients_refused(mailbox, plain_port, deliver, sample_alert):
    mailbox.refuse = {"soc@example.com": "550 No such user", "oncall@example.com": "450 Mailbox busy"}
    result = deliver(build_destination("email", _config(plain_port)), sample_alert)
    assert not result.ok and result.retryable  # one of the refusals is temporary
    assert "soc@example.com: 550" in result.error


def test_email_some_recipients_refused_counts_as_sent(mailbox, plain_port, deliver, sample_alert):
    mailbox.refuse = {"oncall@example.com": "550 No such user"}
    result = deliver(build_destination("email", _config(plain_port)), sample_alert)
    assert result.ok
    assert result.response == "accepted for 1 recipient(s); refused: oncall@example.com: 550"
    assert mailbox.envelopes[0].rcpt_tos == ["soc@example.com"]


def test_email_connection_refused_is_retryable(deliver, sample_alert):
    result = deliver(EmailDestination.from_dict(_config(_free_port())), sample_alert)
    assert not result.ok and result.retryable
    assert "ConnectionRefusedError" in result.error


def test_email_config_names_bad_address():
    with pytest.raises(ValidationError, match="'not-an-address' is not an email address"):
        build_destination("email", _config(25, to_addresses=["soc@example.com", "not-an-address"]))
    with pytest.raises(ValidationError, match="to_addresses"):
        build_destination("email", _config(25, to_addresses=[]))
