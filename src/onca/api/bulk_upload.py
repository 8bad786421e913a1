"""Bulk upload of a content tree as a zip (what ``onca upload`` sends; Panther's ``uploadDetectionEntities``).

Every item of the archive is added to the server's managed tree or replaces the item with its id; items not
in the archive stay. The upload is all or nothing: an archive with an invalid item, an id that a configured
tree owns, or an item that does not load changes nothing, and the answer lists every problem.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import tempfile
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse

from onca.api.auth import requires
from onca.api.bodies import read_limited_body
from onca.detect.content.archive import ArchiveError, unpack
from onca.detect.content.managed import ContentRejected, UploadCount

router = APIRouter(tags=["detections"])

MAX_ARCHIVE_BYTES = 64 << 20
# Panther's statistics groups -> the kinds of content each counts
GROUPS = {"rules": ("rule", "scheduled_rule"), "policies": ("policy",), "globalHelpers": ("global",),
          "dataModels": ("datamodel",), "lookupTables": ("lookup_table",), "queries": ("scheduled_query", "saved_query"),
          "correlationRules": ("correlation_rule",)}


class UploadFailed(ValueError):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


def upload_archive(server: Any, data: bytes) -> dict[str, Any]:
    """Unpack, check, write and load; Panther's UploadDetectionEntitiesOutput, or UploadFailed."""
    with tempfile.TemporaryDirectory(prefix="onca-upload-") as tmp:
        root = Path(tmp)
        try:
            unpack(data, root)
        except ArchiveError as exc:
            raise UploadFailed([str(exc)]) from None
        with server.changing_content():
            refuse = {}
            for tree in server.content.sets:
                if tree.root.resolve() != server.paths.content.resolve():
                    refuse.update({i.id: f"defined in the configured content tree {tree.root}" for i in tree.all_items})
            try:
                with server.managed.all_or_nothing():
                    counts = server.managed.import_tree(root, refuse_ids=refuse)
                    uploaded = {item_id for count in counts.values() for item_id in count.new + count.modified}
                    problems = [str(p) for p in server.reload_content() if p.item_id in uploaded]
                    if problems:
                        raise UploadFailed(problems)
            except ContentRejected as exc:
                raise UploadFailed([_relative(problem, root) for problem in exc.problems]) from None
            except UploadFailed:
                server.reload_content()  # the tree is back as it was: so is the engine
                raise
    return statistics(counts)


def statistics(counts: dict[str, UploadCount]) -> dict[str, Any]:
    result = {}
    for group, kinds in GROUPS.items():
        new = [i for kind in kinds for i in counts.get(kind, UploadCount()).new]
        modified = [i for kind in kinds for i in counts.get(kind, UploadCount()).modified]
        total = sum(counts.get(kind, UploadCount()).total for kind in kinds)
        result[group] = {"new": len(new), "newIds": sorted(new), "modified": len(modified),
                         "modifiedIds": sorted(modified), "deleted": 0, "deletedIds": [], "total": total}
    return result


def _relative(problem: str, root: Path) -> str:
    return problem.replace(f"{root}/", "").replace(str(root.resolve()) + "/", "")


def decode_base64_archive(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise UploadFailed(["data: not base64"]) from None


@router.post("/bulk-upload", summary="Upload a content tree (a zip, or JSON {data: base64 zip})",
             dependencies=[Depends(requires("BulkUpload"))],
             responses={400: {"description": "the archive or an item in it is invalid; nothing changed"},
                        413: {"description": "the archive is too large"}})
async def bulk_upload(request: Request) -> Any:
    # base64 in JSON is a third larger than the archive it holds
    body = await read_limited_body(request, MAX_ARCHIVE_BYTES * 4 // 3 + 1024, "a content upload")
    try:
        is_json = request.headers.get("content-type", "").startswith("application/json")
        data = _json_archive(body) if is_json else body
        if len(data) > MAX_ARCHIVE_BYTES:
            raise HTTPException(413, f"the archive is larger than {MAX_ARCHIVE_BYTES >> 20} MiB")
        return await asyncio.to_thread(upload_archive, request.app.state.server, data)
    except UploadFailed as exc:
        return JSONResponse({"message": f"nothing was uploaded: {exc}", "problems": exc.problems}, status_code=400)


def _json_archive(body: bytes) -> bytes:
    import orjson

    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise UploadFailed([f"the body is not JSON ({exc})"]) from None
    if not isinstance(parsed, dict) or not isinstance(parsed.get("data"), str):
        raise UploadFailed(["data: required, the zip archive in base64"])
    return decode_base64_archive(parsed["data"])


@dataclass
class Upload:
    created_at: datetime
    status: str = "PENDING"  # then COMPLETED or FAILED
    error: str | None = None
    result: dict[str, Any] | None = None


class UploadReceipts:
    """Uploads started asynchronously (Panther's uploadDetectionEntitiesAsync), by receipt id; the most
    recent ``keep`` are remembered."""

    def __init__(self, keep: int = 100):
        self.keep = keep
        self._uploads: dict[str, Upload] = {}
        self._lock = threading.Lock()

    def start(self, run: Callable[[], dict[str, Any]]) -> str:
        receipt = uuid.uuid4().hex
        upload = Upload(datetime.now(UTC))
        with self._lock:
            self._uploads[receipt] = upload
            while len(self._uploads) > self.keep:
                self._uploads.pop(next(iter(self._uploads)))
        threading.Thread(target=self._run, args=(upload, run), name="onca-upload", daemon=True).start()
        return receipt

    def get(self, receipt: str) -> Upload | None:
        with self._lock:
            return self._uploads.get(receipt)

    @staticmethod
    def _run(upload: Upload, run: Callable[[], dict[str, Any]]) -> None:
        try:
            upload.result = run()
            upload.status = "COMPLETED"
        except Exception as exc:  # noqa: BLE001 - the status says what failed
            upload.error = str(exc)
            upload.status = "FAILED"
