"""A real Onca server (store, spool, lake, detection) behind FastAPI's test client, with an admin API token."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from onca.api.app import create_app
from onca.api.auth import bootstrap_admin
from onca.api.server import OncaServer
from onca.runtime.server_config import parse_config

STOP_LOGGING = {
    "eventVersion": "1.08", "eventTime": "2026-11-27T10:00:00Z", "eventSource": "cloudtrail.amazonaws.com",
    "eventName": "StopLogging", "awsRegion": "us-east-1", "sourceIPAddress": "198.51.100.7", "eventID": "e-1",
    "eventType": "AwsApiCall", "recipientAccountId": "123456789012", "requestParameters": {"name": "main"},
    "userIdentity": {"type": "IAMUser", "userName": "mallory", "arn": "arn:aws:iam::123456789012:user/mallory"},
}
OKTA_EVENT = {"uuid": "u-1", "published": "2026-11-27T10:00:00.000Z", "eventType": "user.session.start",
              "version": "0", "severity": "INFO", "displayMessage": "User login to Okta",
              "actor": {"id": "00u1", "type": "User", "alternateId": "alice@example.com"}}


@dataclass
class Running:
    client: TestClient
    server: OncaServer
    token: str
    admin_email: str

    @property
    def headers(self) -> dict[str, str]:
        return {"X-API-Key": self.token}

    def get(self, path: str, **kwargs: Any):
        return self.client.get(path, headers={**self.headers, **kwargs.pop("headers", {})}, **kwargs)

    def post(self, path: str, **kwargs: Any):
        return self.client.post(path, headers={**self.headers, **kwargs.pop("headers", {})}, **kwargs)

    def patch(self, path: str, **kwargs: Any):
        return self.client.patch(path, headers={**self.headers, **kwargs.pop("headers", {})}, **kwargs)

    def delete(self, path: str, **kwargs: Any):
        return self.client.delete(path, headers={**self.headers, **kwargs.pop("headers", {})}, **kwargs)

    def first_alert(self, timeout: float = 30.0) -> dict[str, Any]:
        """The newest alert, once the server has raised one."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            results = self.get("/api/v1/alerts").json()["results"]
            if results:
                return results[0]
            time.sleep(0.05)
        raise AssertionError("no alert was raised")

    def settle(self, timeout: float = 30.0) -> None:
        """Wait until every payload accepted so far is ingested and committed to the lake."""
        service = self.server.service
        deadline = time.monotonic() + timeout
        while service.spool.depth()[0] and time.monotonic() < deadline:
            time.sleep(0.02)
        assert service.spool.depth()[0] == 0, "payloads still spooled"


def server_config(**settings: Any):
    base = {
        "commitSeconds": 0.05,
        "detectionWorkers": 0,
        "sources": {"http": [
            {"integrationId": "okta", "integrationLabel": "Okta", "logTypes": ["Okta.SystemLog"],
             "authMethod": "SharedSecret", "authHeaderKey": "X-Okta-Secret", "authSecretValue": "s3cret",
             "maxBodyBytes": 4096},
            {"integrationId": "trail", "integrationLabel": "CloudTrail", "logTypes": ["AWS.CloudTrail"]},
        ]},
    }
    base.update(settings)
    return parse_config(base)


def start_server(data_dir: Path, **settings: Any) -> tuple[TestClient, OncaServer, Any]:
    server = OncaServer(server_config(**settings), data_dir=data_dir)
    admin = bootstrap_admin(server.store)
    client = TestClient(create_app(server))
    return client, server, admin
