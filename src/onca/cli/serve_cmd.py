"""`onca serve`: the API, HTTP log sources, pipeline, detections and alert delivery in one process."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Annotated

import typer

from onca.cli.common import console, fail, recent_alerts_table

ConfigFile = Annotated[Path | None, typer.Option(
    "--config", envvar="ONCA_CONFIG", help="Server config file (YAML or JSON): sources, destinations, detection "
                                           "content, retention.", exists=True, dir_okay=False)]


def register(app: typer.Typer) -> None:
    @app.command()
    def serve(
        config: ConfigFile = None,
        data_dir: Annotated[Path | None, typer.Option(
            "--data-dir", envvar="ONCA_DATA_DIR", file_okay=False,
            help="Where Onca keeps its lake and state (default: the config's dataDir, else ./onca-data).")] = None,
        host: Annotated[str | None, typer.Option(help="Address to listen on (default 127.0.0.1).")] = None,
        port: Annotated[int | None, typer.Option(help="Port to listen on (default 8000).", min=0,
                                                 max=65535)] = None,
        detections: Annotated[list[Path] | None, typer.Option(
            "--detections", help="Detection content to run (repeatable; added to the config's).", exists=True,
            file_okay=False)] = None,
        demo: Annotated[bool, typer.Option(
            "--demo", help="Feed the bundled sample logs through demo sources, with example detections.")] = False,
    ) -> None:
        """Run the Onca server. On first start it creates an admin user and prints a one-time password and
        an API token. SIGTERM or Ctrl-C stops it after everything accepted has been ingested."""
        import uvicorn

        from onca.api.app import create_app
        from onca.api.server import OncaServer
        from onca.runtime.server_config import ConfigError, ServerConfig, load_config

        try:
            settings = load_config(config) if config else ServerConfig()
        except ConfigError as exc:
            fail(str(exc))
        changes: dict = {"demo": demo or settings.demo}
        if host is not None:
            changes["host"] = host
        if port is not None:
            changes["port"] = port
        if detections:
            changes["detections"] = [*settings.detections, *detections]
        settings = settings.model_copy(update=changes)
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        logging.getLogger("alembic").setLevel(logging.WARNING)  # migrations run on every start
        try:
            server = OncaServer(settings, data_dir=data_dir)
        except (ValueError, OSError) as exc:
            fail(f"cannot start: {exc}")
        admin = _first_start(server)
        _describe(server, settings.host, settings.port)
        if server.demo is not None:
            threading.Thread(target=_announce_demo_alerts, args=(server, settings, admin), daemon=True).start()
        uvicorn.run(create_app(server), host=settings.host, port=settings.port, log_level="info",
                    timeout_graceful_shutdown=30)


def _first_start(server):  # noqa: ANN001, ANN202
    from onca.api.auth import bootstrap_admin

    created = bootstrap_admin(server.store, email=server.config.admin_email)
    if created is None:
        return None
    console.print("\n[bold]First start: an admin user was created.[/bold] This is the only time these are shown.",
                  highlight=False)
    console.print(f"  user:      {created.email}\n  password:  {created.password}\n"
                  f"  API token: {created.token}   (send it as the X-API-Key header)\n", highlight=False,
                  soft_wrap=True)
    return created


def _describe(server, host: str, port: int) -> None:  # noqa: ANN001
    base = f"http://{host}:{port}"
    lines = [f"Onca on {base}  (data in {server.paths.data_dir.resolve()})",
             f"  API:      {base}/api/v1   (OpenAPI: {base}/api/v1/openapi.json)",
             f"  health:   {base}/readyz   metrics: {base}/metrics"]
    for source in server.service.sources.values():
        lines.append(f"  source:   POST {base}/http/{source.integration_id}  ({', '.join(source.log_types)}; "
                     f"auth {source.auth_method})")
    if server.demo is not None:
        lines.append(f"  demo:     samples of {len(server.demo.samples)} log types flowing; see alerts with "
                     f"onca alerts list --data-dir {server.paths.data_dir}")
    for line in lines:
        console.print(line, highlight=False, soft_wrap=True)


def _announce_demo_alerts(server, settings, admin, timeout: float = 120.0) -> None:  # noqa: ANN001
    """Once the demo's first pass is ingested, show the alerts it raised and how to ask the API for them."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.demo.sent >= len(server.demo.samples) and server.service.spool.depth()[0] == 0:
            break
        time.sleep(0.5)
    alerts, _ = server.store.alerts.list(limit=10)
    console.print(recent_alerts_table(alerts, "Alerts raised by the demo data so far"))
    token = admin.token if admin is not None else "<your API token>"
    console.print(f"  curl -H 'X-API-Key: {token}' http://{settings.host}:{settings.port}/api/v1/alerts",
                  highlight=False, soft_wrap=True)
