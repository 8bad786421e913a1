"""Request bodies read with a size limit: refused by their declared length when it says too much, and cut off
while streaming when it lied, so a large body is never held in memory whole."""

from __future__ import annotations

from fastapi import HTTPException, Request


async def read_limited_body(request: Request, limit: int, what: str) -> bytes:
    """The body, or 413 naming ``what`` (e.g. "this source") once it passes ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, f"the body is {int(declared):,} bytes; {what} takes at most {limit:,}")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise HTTPException(413, f"the body is over the limit of {limit:,} bytes for {what}")
    return bytes(body)
