"""The server-wide allowlist: with ``allowedCidrs`` set, the API answers only clients inside those blocks.

HTTP log sources, health and metrics stay reachable: senders and monitors often live elsewhere, and sources have
credentials of their own.
"""

from __future__ import annotations

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from onca.api.auth import ip_allowed

GUARDED_PREFIXES = ("/api/", "/graphql", "/public/graphql")


class AllowlistMiddleware:
    def __init__(self, app: ASGIApp, cidrs: list[str]):
        self.app = app
        self.cidrs = cidrs

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(GUARDED_PREFIXES):
            client = scope.get("client")
            if not ip_allowed(client[0] if client else None, self.cidrs):
                response = JSONResponse({"message": "this address may not use the API"}, status_code=403)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
