"""HTTP log sources: ``POST /http/{integrationId}`` (and ``/http/{integrationId}/bulk``, the same endpoint under
the path log shippers are often set up with).

A body may be JSON, NDJSON, a JSON array, an envelope, CloudWatch Logs payloads, text lines or XML events,
optionally gzip/zstd/bzip2 compressed. It is acknowledged (200) only once spooled to disk; parsing happens
after, and records that no log type parses become classification failures, not losses.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse

from onca.api.bodies import read_limited_body
from onca.runtime.http_sources import AuthFailed
from onca.runtime.spool import SpoolError

router = APIRouter(tags=["http sources"])


async def receive(source_id: str, request: Request) -> JSONResponse:
    service = request.app.state.server.service
    source = service.sources.get(source_id)
    if source is None:
        raise HTTPException(404, f"no HTTP log source {source_id!r}")
    body = await read_limited_body(request, source.max_body_bytes, "this source")
    try:
        source.authenticate(request.headers, body)
    except AuthFailed as exc:
        challenge = {"Bearer": "Bearer", "Basic": 'Basic realm="onca"'}.get(source.auth_method)
        raise HTTPException(401, f"source {source_id}: {exc}",
                            headers={"WWW-Authenticate": challenge} if challenge else None) from None
    if not body.strip():
        raise HTTPException(400, "the body is empty")
    try:
        # fsync takes milliseconds: keep it off the event loop
        await asyncio.to_thread(service.accept, source_id, body)
    except SpoolError as exc:
        raise HTTPException(503, str(exc), headers={"Retry-After": "5"}) from None
    return JSONResponse({"accepted": True, "bytes": len(body)})


router.add_api_route("/http/{source_id}", receive, methods=["POST"],
                     summary="Send logs to an HTTP log source")
router.add_api_route("/http/{source_id}/bulk", receive, methods=["POST"],
                     summary="Send logs to an HTTP log source (same as /http/{source_id})")
