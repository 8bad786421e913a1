"""`onca upload PATH`: send a content tree (panther-analysis layout) to a running server, as Panther's CLI
uploads. The server takes the whole tree or nothing, and answers with what was new, changed or unchanged."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from onca.cli.common import fail

DEFAULT_URL = "http://127.0.0.1:8000"


def upload(
    path: Annotated[Path, typer.Argument(help="The content tree to upload (a panther-analysis checkout works).")],
    url: Annotated[str, typer.Option("--url", envvar="ONCA_URL", help="The server's base URL.")] = DEFAULT_URL,
    api_key: Annotated[str | None, typer.Option("--api-key", envvar="ONCA_API_KEY",
                                                help="An API token with the BulkUpload permission.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the server's answer as JSON.")] = False,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the server to load the content.")] = 900.0,
) -> None:
    """Upload the detections, data models, globals and lookup tables under PATH to a running server."""
    import httpx
    import orjson

    from onca.detect.content.archive import ArchiveError, pack_tree

    if not api_key:
        fail("an API token is needed: --api-key or ONCA_API_KEY")
    try:
        archive = pack_tree(path)
    except ArchiveError as exc:
        fail(str(exc))
    endpoint = f"{url.rstrip('/')}/api/v1/bulk-upload"
    try:
        answer = httpx.post(endpoint, content=archive, timeout=timeout,
                            headers={"X-API-Key": str(api_key), "Content-Type": "application/zip"})
    except httpx.HTTPError as exc:
        fail(f"cannot reach {endpoint}: {exc}")
    try:
        body = answer.json()
    except ValueError:
        body = {"message": answer.text.strip()[:2000]}
    if answer.status_code != 200:
        problems = body.get("problems") or [body.get("message") or f"HTTP {answer.status_code}"]
        for problem in problems:
            print(f"error: {problem}", file=sys.stderr)
        raise typer.Exit(1)
    if as_json:
        sys.stdout.write(orjson.dumps(body, option=orjson.OPT_INDENT_2).decode() + os.linesep)
        return
    table = Table("kind", "new", "modified", "total")
    for group, stats in body.items():
        if stats.get("total"):
            table.add_row(group, str(stats["new"]), str(stats["modified"]), str(stats["total"]))
    Console(file=sys.stdout, highlight=False).print(table)


def register(app: typer.Typer) -> None:
    app.command("upload")(upload)
