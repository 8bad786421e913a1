"""Data retention through the API: days to keep per lake database (``GET``/``PUT /api/v1/retention``).

The config file's ``retention`` entries are read-only here; the API sets the other databases. What the API set
is kept in ``<dataDir>/state/retention.json`` (written atomically), and the hourly retention pass reads the
merged settings each time, so a change applies at the next pass.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Request

from onca.api.auth import requires
from onca.lake.layout import check_name

router = APIRouter(tags=["retention"])


class RetentionSettings:
    def __init__(self, configured: Mapping[str, int], path: Path):
        self.configured = dict(configured)
        self.path = path

    def api_set(self) -> dict[str, int]:
        try:
            stored = json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}
        return {k: int(v) for k, v in stored.items() if k not in self.configured}

    def effective(self) -> dict[str, int]:
        return {**self.api_set(), **self.configured}

    def replace(self, days: Mapping[str, int]) -> None:
        """Set the API's retention (databases left out keep data forever); config entries cannot be changed."""
        problems = []
        for database, value in days.items():
            try:
                check_name("database", database)
            except ValueError as exc:
                problems.append(str(exc))
                continue
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                problems.append(f"{database}: days must be a whole number of at least 1, not {value!r}")
            elif database in self.configured and value != self.configured[database]:
                problems.append(f"{database}: set to {self.configured[database]} days by the config file; "
                                "change it there")
        if problems:
            raise ValueError("; ".join(problems))
        temporary = self.path.with_name(f".{self.path.name}.tmp")
        temporary.write_text(json.dumps({k: v for k, v in days.items() if k not in self.configured}, indent=2))
        os.replace(temporary, self.path)

    def as_json(self) -> dict[str, Any]:
        return {"databases": [{"database": name, "days": days, "managedBy": "config" if name in self.configured
                               else "api"} for name, days in sorted(self.effective().items())]}


@router.get("/retention", summary="Days of data kept per lake database",
            dependencies=[Depends(requires("GeneralSettingsRead"))])
async def get_retention(request: Request) -> dict[str, Any]:
    return request.app.state.server.retention.as_json()


@router.put("/retention", summary="Set the days kept per lake database (those of the config file stay)",
            dependencies=[Depends(requires("GeneralSettingsModify"))])
async def put_retention(request: Request,
                        body: Annotated[dict[str, Any], Body(examples=[{"days": {"panther_logs": 90}}])]) -> dict:
    days = body.get("days")
    if not isinstance(days, dict):
        raise HTTPException(400, "days: required, an object of database name -> days to keep")
    settings = request.app.state.server.retention
    try:
        await asyncio.to_thread(settings.replace, days)
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None
    return settings.as_json()
