"""docs/users-and-roles.md names every auth endpoint and every permission."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import FastAPI

from onca.api.auth import PERMISSIONS, auth_router

DOC = Path(__file__).resolve().parents[3] / "docs" / "users-and-roles.md"


def test_every_auth_endpoint_is_documented():
    text = DOC.read_text()
    rows = re.findall(r"^\| `([A-Z ,or]+) (/[^`]+)` \|", text, re.MULTILINE)
    documented = {(m.strip(), p) for methods, p in rows for m in re.split(r",| or ", methods) if m.strip()}
    app = FastAPI()
    app.include_router(auth_router)
    paths = app.openapi()["paths"]
    assert len(paths) >= 10
    for path, operations in paths.items():
        for method in operations:
            assert (method.upper(), path) in documented, f"{method.upper()} {path} is not in {DOC.name}"


def test_every_permission_is_documented():
    text = DOC.read_text()
    for permission in PERMISSIONS:
        assert f"`{permission}`" in text, permission
