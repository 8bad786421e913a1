"""httpx requests sent over aiohttp's connections.

Destinations are written against httpx's client (requests built, responses read, errors classified by httpx).
Under an alert storm the delivery thread's main cost is the HTTP client itself, and httpx's own connection pool
spends about three times the CPU per request that aiohttp's does. This transport keeps httpx's interface and
hands the bytes to an aiohttp session. The URL goes out exactly as httpx encoded it (signed URLs, such as
Teams workflow triggers, must not be re-quoted), and aiohttp's errors become the httpx errors they correspond
to, so a refused connection or a timeout is still a transient failure.
"""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

import aiohttp
import httpx
from yarl import URL

# most specific first: the first match decides
_ERRORS: tuple[tuple[type[BaseException], type[httpx.TransportError]], ...] = (
    (aiohttp.ConnectionTimeoutError, httpx.ConnectTimeout),
    (aiohttp.SocketTimeoutError, httpx.ReadTimeout),
    (aiohttp.ServerTimeoutError, httpx.ReadTimeout),
    (asyncio.TimeoutError, httpx.ReadTimeout),
    (aiohttp.ClientConnectorError, httpx.ConnectError),
    (aiohttp.ServerDisconnectedError, httpx.RemoteProtocolError),
    (aiohttp.ClientPayloadError, httpx.RemoteProtocolError),
    (aiohttp.InvalidURL, httpx.UnsupportedProtocol),
    (aiohttp.ClientError, httpx.NetworkError),
)


class AiohttpTransport(httpx.AsyncBaseTransport):
    def __init__(self, *, verify: ssl.SSLContext | bool = True, max_connections: int = 100):
        self._ssl: ssl.SSLContext | bool = (verify if isinstance(verify, ssl.SSLContext)
                                           else ssl.create_default_context() if verify else False)
        self._max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        # made on first use, inside the event loop that will run it
        if self._session is None:
            connector = aiohttp.TCPConnector(ssl=self._ssl, limit=self._max_connections)
            # trust_env: HTTP(S)_PROXY and NO_PROXY apply, as they did with httpx's own transport
            self._session = aiohttp.ClientSession(connector=connector, auto_decompress=False, trust_env=True,
                                                  skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding"))
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeout = request.extensions.get("timeout") or {}
        body = await request.aread()
        headers = [(name, value) for name, value in request.headers.multi_items()
                   if name.lower() not in ("host", "content-length", "transfer-encoding")]
        try:
            async with self._open().request(
                request.method, URL(str(request.url), encoded=True), headers=headers, data=body or None,
                allow_redirects=False,
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=timeout.get("connect"),
                                              sock_read=timeout.get("read")),
            ) as response:
                content = await response.read()
                raw_headers: Any = response.raw_headers
                status = response.status
        except Exception as exc:  # noqa: BLE001 - re-raised as httpx's error of the same kind
            raise _as_httpx(exc, request) from exc
        # the body is read whole: httpx decodes it (content-encoding) as it would its own
        return httpx.Response(status_code=status, headers=list(raw_headers), content=content, request=request,
                              extensions={"http_version": b"HTTP/1.1"})

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def _as_httpx(exc: BaseException, request: httpx.Request) -> BaseException:
    for aiohttp_error, httpx_error in _ERRORS:
        if isinstance(exc, aiohttp_error):
            return httpx_error(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__,
                               request=request)
    return exc
