"""The aiohttp transport under httpx's client, against real servers on loopback."""

import asyncio
import gzip
import socket

import httpx
import pytest

from onca.alerts.delivery import new_client


def run(coro):
    return asyncio.run(coro)


async def post(url: str, **options) -> httpx.Response:
    async with new_client() as client:
        return await client.post(url, **options)


def test_request_goes_out_as_httpx_built_it(receiver):
    signed = "/workflows/1/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sig=a%2Bb"
    response = run(post(receiver.url + signed, content=b'{"a": 1}',
                        headers={"Content-Type": "application/json", "X-Token": "t1"}, timeout=5))

    [request] = receiver.requests
    assert request.path == signed  # a signed query string is not re-quoted
    assert request.body == b'{"a": 1}' and request.headers["content-length"] == "8"
    assert request.headers["x-token"] == "t1" and request.headers["user-agent"].startswith("Onca/")
    assert response.status_code == 200


def test_response_status_headers_and_encoded_body_come_back(receiver):
    receiver.respond(429, gzip.compress(b"slow down"), {"Content-Encoding": "gzip", "Retry-After": "7"})
    response = run(post(receiver.url, content=b"x", timeout=5))
    assert (response.status_code, response.headers["retry-after"], response.text) == (429, "7", "slow down")


def test_refused_connection_is_httpx_connect_error():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(httpx.ConnectError):
        run(post(f"http://127.0.0.1:{port}/", content=b"x", timeout=5))


def test_silent_server_is_httpx_read_timeout():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(4)  # accepts, never answers
        with pytest.raises(httpx.ReadTimeout):
            run(post(f"http://127.0.0.1:{sock.getsockname()[1]}/", content=b"x", timeout=0.3))


def test_proxy_from_the_environment_is_used(receiver, monkeypatch):
    for name in ("NO_PROXY", "no_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", receiver.url)  # the receiver stands in for the proxy
    response = run(post("http://alerts.example.invalid/hook", content=b"x", timeout=5))

    [request] = receiver.requests
    assert request.path == "http://alerts.example.invalid/hook"  # the proxy was asked for the full URL
    assert response.status_code == 200
