"""`onca destinations kinds|list|test`: the destination kinds, the configured destinations, a test send."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from pydantic.fields import FieldInfo
from rich.console import Console
from rich.table import Table

from onca.cli.common import fail

destinations_app = typer.Typer(help="Alert destinations: the kinds, the configured ones, and test sends.",
                               no_args_is_help=True)

ConfigFile = Annotated[
    Path,
    typer.Option("--config", "-c", envvar="ONCA_DESTINATIONS", exists=True, dir_okay=False,
                 help="The destinations file (YAML, or JSON when it ends in .json)."),
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _out() -> Console:
    return Console(file=sys.stdout, width=160, highlight=False)


def _settings(kind: str) -> dict[str, FieldInfo]:
    from onca.alerts.destinations import REGISTRY, DestinationConfig

    model = REGISTRY[kind].config_model
    common = DestinationConfig.model_fields
    return {name: info for name, info in model.model_fields.items() if name not in common}


def _summary(kind: str) -> str:
    from onca.alerts.destinations import REGISTRY

    module = sys.modules[REGISTRY[kind].__module__]
    paragraph = " ".join((module.__doc__ or "").strip().split("\n\n")[0].split())
    # the first sentence, without its parenthesised API details
    return paragraph.split(". ")[0].split(" (")[0].rstrip(".,") + "."


@destinations_app.command("kinds")
def kinds(as_json: JsonFlag = False) -> None:
    """The destination kinds Onca can send to and their settings (* marks required ones)."""
    from onca.alerts.destinations import REGISTRY

    if as_json:
        listing = [{"kind": kind, "summary": _summary(kind),
                    "settings": [{"name": name, "required": info.is_required(),
                                  "description": info.description} for name, info in _settings(kind).items()]}
                   for kind in sorted(REGISTRY)]
        sys.stdout.write(orjson.dumps(listing, option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    table = Table("kind", "settings", "what it does")
    for kind in sorted(REGISTRY):
        names = [f"{name}*" if info.is_required() else name for name, info in _settings(kind).items()]
        table.add_row(kind, ", ".join(names), _summary(kind))
    _out().print(table)
    print("Every kind also takes: name*, severities, log_types, alert_types, timeout_seconds, and an id.")


def _load(config: Path) -> Any:
    from onca.alerts.config import DestinationConfigError, load_destinations

    try:
        return load_destinations(config)
    except DestinationConfigError as exc:
        fail(str(exc))


@destinations_app.command("list")
def list_(config: ConfigFile, as_json: JsonFlag = False) -> None:
    """The configured destinations and what each receives by default (no settings or secrets shown)."""
    destinations = _load(config)
    rows = [{"name": d.config.name, "id": destinations.id_of(d), "kind": d.kind,
             "severities": list(d.config.severities), "alert_types": list(d.config.alert_types),
             "log_types": list(d.config.log_types)} for d in destinations]
    if as_json:
        sys.stdout.write(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    if not rows:
        print(f"{config}: no destinations configured")
        return
    table = Table("name", "id", "kind", "severities", "alert types", "log types")
    for row in rows:
        table.add_row(row["name"], row["id"] if row["id"] != row["name"] else "", row["kind"],
                      ", ".join(row["severities"]), ", ".join(row["alert_types"]),
                      ", ".join(row["log_types"]) or "all")
    _out().print(table)


@destinations_app.command("test")
def test(name: Annotated[str, typer.Argument(help="The destination's name or id.")], config: ConfigFile,
         console_url: Annotated[str, typer.Option(help="Console base URL for the sample alert's link.")] = ""
         ) -> None:
    """Send a sample alert to one destination once and show the answer (exit 1 if not delivered)."""
    from onca.alerts.delivery import deliver_once
    from onca.alerts.sample import sample_alert

    destinations = _load(config)
    destination = destinations.get(name)
    if destination is None:
        configured = ", ".join(destinations.names) or "none"
        fail(f"no destination named {name!r} in {config} (configured: {configured})")
    alert = sample_alert(console_url=console_url)
    result = deliver_once(alert, destination)
    label = f"{destination.config.name} ({destination.kind})"
    detail = f"HTTP {result.status_code}" if result.status_code is not None else "no HTTP answer"
    if result.error and result.error != detail:
        detail += f": {result.error}"
    if result.ok:
        print(f"delivered to {label}: {detail}")
    else:
        verdict = "transient, would be retried" if result.retryable else "final, retrying cannot help"
        print(f"not delivered to {label}: {detail} ({verdict})")
    if result.response:
        print(f"response: {result.response}")
    if not result.ok:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.add_typer(destinations_app, name="destinations")

