"""`onca alerts list|show|update|resume-detection`: alerts in the metadata store, and their triage."""

from __future__ import annotations

import getpass
import sys
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.table import Table

from onca.cli.common import DEFAULT_DATA_DIR, DataDir, StoreUrl, fail, store_url

alerts_app = typer.Typer(help="Alerts in the metadata store: list, show, triage, and resume suspended detections.",
                         no_args_is_help=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
AlertId = Annotated[str, typer.Argument(help="The alert's id (32 hex digits).")]


def _open(store: str | None, data_dir: Path) -> Any:
    from onca.store import StoreError, open_store

    url = store_url(store, data_dir)
    if store is None and not (data_dir / "onca.db").exists():
        fail(f"no metadata store at {data_dir / 'onca.db'}: no alert has been raised with this data directory "
             "(use --data-dir or --store)")
    try:
        return open_store(url)
    except StoreError as exc:
        fail(str(exc))
    except Exception as exc:  # noqa: BLE001 - a database that cannot be reached, said in one line
        fail(f"cannot open the store {url}: {type(exc).__name__}: {str(exc).strip().splitlines()[0]}")


def _out() -> Console:
    return Console(file=sys.stdout, width=200, highlight=False)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    return str(value)


def _print_json(value: Any) -> None:
    option = orjson.OPT_INDENT_2 | orjson.OPT_PASSTHROUGH_DATETIME
    sys.stdout.write(orjson.dumps(value, default=_json_default, option=option).decode() + "\n")


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%SZ") if moment is not None else ""


def _upper(values: list[str] | None) -> list[str] | None:
    return [value.upper() for value in values] if values else None


@alerts_app.command("list")
def list_(
    status: Annotated[list[str] | None, typer.Option("--status", help="Only alerts in this status (repeatable).")]
    = None,
    severity: Annotated[list[str] | None, typer.Option("--severity", help="Only this severity (repeatable).")]
    = None,
    detection: Annotated[list[str] | None, typer.Option("--detection", help="Only this detection (repeatable).")]
    = None,
    alert_type: Annotated[list[str] | None, typer.Option("--type", help="Only this alert type (repeatable).")]
    = None,
    assignee: Annotated[str | None, typer.Option("--assignee", help="Only alerts assigned to this person.")]
    = None,
    text: Annotated[str | None, typer.Option("--text", help="Only alerts whose title contains this text.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000, help="Alerts per page.")] = 50,
    cursor: Annotated[str | None, typer.Option("--cursor", help="The next-page cursor a previous list printed.")]
    = None,
    as_json: JsonFlag = False,
    store: StoreUrl = None,
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """Alerts newest first, with filters; prints the cursor of the next page when there is one."""
    from onca.store import StoreError

    opened = _open(store, data_dir)
    try:
        rows, next_cursor = opened.alerts.list(
            status=[s.lower() for s in status] if status else None, severity=_upper(severity),
            detection_id=detection, type=alert_type, assignee=assignee, text=text, limit=limit, cursor=cursor)
    except StoreError as exc:
        fail(str(exc))
    finally:
        opened.close()
    if as_json:
        _print_json({"alerts": [asdict(row) for row in rows], "next_cursor": next_cursor})
        return
    if not rows:
        print("no alerts match")
        return
    table = Table("id", "created", "severity", "status", "detection", "events", "assignee", "title")
    for row in rows:
        table.add_row(row.id, _when(row.created_at), row.severity, row.status, row.detection_id,
                      str(row.event_count), row.assignee, row.title)
    _out().print(table)
    if next_cursor:
        print(f"more: --cursor {next_cursor}")


@alerts_app.command("show")
def show(alert_id: AlertId, as_json: JsonFlag = False, store: StoreUrl = None,
         data_dir: DataDir = DEFAULT_DATA_DIR) -> None:
    """One alert with its delivery attempts, comments and history."""
    opened = _open(store, data_dir)
    try:
        alert = opened.alerts.get(alert_id)
        if alert is None:
            fail(f"no alert with id {alert_id!r} in {opened.url}", code=1)
        attempts, comments = opened.alerts.attempts(alert_id), opened.alerts.comments(alert_id)
        history = opened.alerts.history(alert_id)
    finally:
        opened.close()
    if as_json:
        _print_json({**asdict(alert), "delivery_attempts": [asdict(a) for a in attempts],
                     "comments": [asdict(c) for c in comments], "history": [asdict(h) for h in history]})
        return
    out = _out()
    facts = [("Alert", alert.id), ("Title", alert.title), ("Detection", alert.detection_id),
             ("Type", alert.type), ("Severity", alert.severity), ("Status", alert.status),
             ("Assignee", alert.assignee or "unassigned"), ("Dedup", alert.dedup),
             ("Events", f"{alert.event_count} between {_when(alert.first_event_time)} and "
                        f"{_when(alert.last_event_time)}"),
             ("Created", _when(alert.created_at)), ("Last match", _when(alert.update_time)),
             ("Log types", ", ".join(alert.log_types)), ("Destinations", ", ".join(alert.destinations)),
             ("Runbook", alert.runbook), ("Reference", alert.reference)]
    for label, value in facts:
        if value:
            out.print(f"{label + ':':<14}{value}", markup=False)
    if alert.alert_context:
        out.print("Context:      " + orjson.dumps(alert.alert_context, default=_json_default).decode(), markup=False)
    _section(out, "Delivery attempts", ("at", "destination", "kind", "attempt", "result", "HTTP", "error"),
             [(_when(a.at), a.destination_name, a.destination_kind, str(a.attempt),
               "delivered" if a.ok else ("transient failure" if a.retryable else "failed"),
               "" if a.status_code is None else str(a.status_code), a.error) for a in attempts])
    _section(out, "Comments", ("at", "author", "comment"), [(_when(c.at), c.author, c.body) for c in comments])
    _section(out, "History", ("at", "actor", "action", "field", "from", "to"),
             [(_when(h.at), h.actor, h.action, h.field, h.old or "", h.new or "") for h in history])


def _section(out: Console, title: str, columns: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    if not rows:
        return
    table = Table(*columns, title=title, title_justify="left")
    for row in rows:
        table.add_row(*row)
    out.print(table)


@alerts_app.command("update")
def update(
    alert_id: AlertId,
    status: Annotated[str | None, typer.Option("--status", help="open, triaged, resolved, invalid or closed.")]
    = None,
    assignee: Annotated[str | None, typer.Option("--assignee", help="Assign to this person (\"\" unassigns).")]
    = None,
    comment: Annotated[str | None, typer.Option("--comment", help="Add this comment.")] = None,
    actor: Annotated[str | None, typer.Option("--actor", help="Who makes the change (default: your user name).")]
    = None,
    store: StoreUrl = None,
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """Change an alert's status or assignee, or comment on it; each change goes into its history."""
    from onca.store import StoreError

    if status is None and assignee is None and comment is None:
        fail("nothing to update: give --status, --assignee or --comment")
    who = actor or getpass.getuser()
    opened = _open(store, data_dir)
    try:
        with opened.transaction():  # all of the changes, or none
            if status is not None or assignee is not None:
                opened.alerts.update(alert_id, status=status.lower() if status else None, assignee=assignee,
                                     actor=who)
            if comment is not None:
                opened.alerts.add_comment(alert_id, author=who, body=comment)
        alert = opened.alerts.get(alert_id)
    except StoreError as exc:
        fail(str(exc), code=1)
    finally:
        opened.close()
    print(f"alert {alert.id}: status {alert.status}, assignee {alert.assignee or 'none'}"
          + (", comment added" if comment is not None else ""))


@alerts_app.command("resume-detection")
def resume_detection(
    detection_id: Annotated[str, typer.Argument(help="The detection the alert-storm limiter suspended.")],
    store: StoreUrl = None,
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """Let a detection suspended by the alert-storm limiter raise alerts again."""
    from onca.alerts.manager import AlertManager

    opened = _open(store, data_dir)
    try:
        before = opened.detections.get(detection_id)
        AlertManager(opened).resume(detection_id)
    finally:
        opened.close()
    if before is None or not before.alerting_suspended:
        print(f"{detection_id} was not suspended; its alerting is on")
    else:
        print(f"{detection_id} resumed: it raises alerts again")


def register(app: typer.Typer) -> None:
    app.add_typer(alerts_app, name="alerts")
