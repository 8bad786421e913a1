"""A real HTTP receiver on 127.0.0.1 for tests: records every request, answers what the test asks for.

    receiver.respond(500, b"upstream down")           # every following request gets 500
    receiver.respond(202, {"status": "ok"}, times=1)  # ... except the next one, which gets 202 + JSON
    request = receiver.requests[0]
    assert request.headers["content-type"] == "application/json"   # header names are case-insensitive
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


class Headers(dict):
    """A plain dict of request headers whose lookups ignore case; keys are stored lower-cased."""

    def __init__(self, items: list[tuple[str, str]]):
        super().__init__()
        for key, value in items:
            key = key.lower()
            # repeated headers are joined the way HTTP allows
            self[key] = f"{self[key]}, {value}" if key in self else value

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and super().__contains__(key.lower())

    def get(self, key: str, default: Any = None) -> Any:
        return super().get(key.lower(), default)


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str  # the request target as sent, query string included
    headers: Headers
    body: bytes

    @property
    def path_only(self) -> str:
        return urlsplit(self.path).path

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.path).query)

    def json(self) -> Any:
        return json.loads(self.body)

    def text(self) -> str:
        return self.body.decode("utf-8")


@dataclass(frozen=True)
class _Response:
    status: int
    body: bytes
    headers: dict[str, str]


def _response(status: int, body: bytes | str | dict | list, headers: dict[str, str] | None) -> _Response:
    headers = dict(headers or {})
    if isinstance(body, dict | list):
        body = json.dumps(body).encode()
        headers.setdefault("Content-Type", "application/json")
    elif isinstance(body, str):
        body = body.encode()
        headers.setdefault("Content-Type", "text/plain; charset=utf-8")
    return _Response(status, body, headers)


class Receiver:
    """An HTTP server on 127.0.0.1 at an ephemeral port, recording requests and replaying set responses."""

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self._standing = _response(200, b"", None)
        self._queued: deque[_Response] = deque()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        # a short poll interval keeps shutdown (and so each test's teardown) quick
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        name="receiver", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def respond(self, status: int, body: bytes | str | dict | list = b"",
                headers: dict[str, str] | None = None, *, times: int | None = None) -> None:
        """Answer following requests with this status, body and headers.

        Without `times` this becomes the answer for every request from now on (queued answers are dropped);
        with `times=n` it is queued for the next n requests, after which the standing answer applies again.
        A dict or list body is sent as JSON, a str as text.
        """
        response = _response(status, body, headers)
        with self._lock:
            if times is None:
                self._queued.clear()
                self._standing = response
            else:
                self._queued.extend([response] * times)

    def _next_response(self, request: RecordedRequest) -> _Response:
        with self._lock:
            # recorded before answering, so a client that has its response can already see the request
            self.requests.append(request)
            return self._queued.popleft() if self._queued else self._standing

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _read_body(self) -> bytes:
                if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                    chunks = []
                    while True:
                        size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                        if size == 0:
                            self.rfile.readline()
                            return b"".join(chunks)
                        chunks.append(self.rfile.read(size))
                        self.rfile.readline()
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def _handle(self) -> None:
                request = RecordedRequest(self.command, self.path, Headers(list(self.headers.items())),
                                          self._read_body())
                response = receiver._next_response(request)
                self.send_response(response.status)
                for key, value in response.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(response.body)))
                self.end_headers()
                self.wfile.write(response.body)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

            def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
                pass

        return Handler

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
