"""`onca serve` as a real process: first-start admin, data over HTTP, and SIGTERM losing nothing acknowledged."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import httpx
from server_fixtures import OKTA_EVENT

from onca.runtime.lake_access import open_lake
from onca.schema import Registry

CONFIG = """
commitSeconds: 60
sources:
  http:
    - integrationId: okta
      integrationLabel: Okta
      logTypes: [Okta.SystemLog]
      authMethod: Bearer
      authBearerToken: ${OKTA_TOKEN}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(tmp_path, port):
    env = {**os.environ, "OKTA_TOKEN": "tok", "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "onca.cli.main", "serve", "--config", str(tmp_path / "onca.yml"),
         "--data-dir", str(tmp_path / "data"), "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True)


def wait_ready(base, process):
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read()
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError("the server did not become ready")


def test_sigterm_flushes_everything_acknowledged(tmp_path):
    (tmp_path / "onca.yml").write_text(CONFIG)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = start(tmp_path, port)
    try:
        wait_ready(base, process)
        for n in range(25):  # committed only at shutdown: commitSeconds is a minute
            response = httpx.post(f"{base}/http/okta", content=json.dumps({**OKTA_EVENT, "uuid": f"u-{n}"}),
                                  headers={"Authorization": "Bearer tok"})
            assert response.status_code == 200
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    # uvicorn re-raises the signal once shut down, so the exit status says "ended by SIGTERM"
    assert process.returncode in (0, -signal.SIGTERM), output
    assert "Application shutdown complete" in output
    assert "First start: an admin user was created" in output and "API token:" in output
    lake = open_lake(tmp_path / "data" / "lake", Registry.builtin())
    assert lake.query("SELECT count(*) AS n FROM panther_logs.okta_systemlog").to_pylist() == [{"n": 25}]

    again = start(tmp_path, port)  # a second start creates no second admin
    try:
        wait_ready(base, again)
        again.send_signal(signal.SIGTERM)
        output, _ = again.communicate(timeout=60)
    finally:
        if again.poll() is None:
            again.kill()
    assert "First start" not in output
