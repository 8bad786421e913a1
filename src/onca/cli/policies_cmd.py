"""`onca policies evaluate`: resource snapshots through the policies, compliance kept, new failures alerted."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.table import Table

from onca.cli.common import DEFAULT_DATA_DIR, DataDir, StoreUrl, console, fail, store_url

policies_app = typer.Typer(help="Policies over cloud resource snapshots.", no_args_is_help=True)


@policies_app.command("evaluate")
def evaluate(
    resources: Annotated[list[Path], typer.Argument(help="Resource files: JSON arrays, objects or NDJSON.",
                                                    exists=True, dir_okay=False)],
    detections: Annotated[list[Path], typer.Option(
        "--detections", help="A content tree holding policies (a panther-analysis checkout works as is); "
                             "repeatable.", exists=True, file_okay=False)],
    destinations: Annotated[Path | None, typer.Option(
        "--destinations", envvar="ONCA_DESTINATIONS", help="Alert destinations file (YAML or JSON).",
        exists=True, dir_okay=False)] = None,
    store: StoreUrl = None,
    data_dir: DataDir = DEFAULT_DATA_DIR,
    as_json: Annotated[bool, typer.Option("--json", help="Print every result as JSON lines.")] = False,
) -> None:
    """Evaluate each resource with the policies for its ResourceType. PASS / FAIL / ERROR per policy and resource
    is kept in the metadata store; a resource that starts failing raises an alert."""
    from onca.alerts.config import DestinationConfigError, DestinationSet, load_destinations
    from onca.alerts.delivery import Dispatcher
    from onca.alerts.manager import AlertManager
    from onca.detect.policies import PolicyEngine, evaluate_file, load_policies
    from onca.runtime.detection_stage import route_and_submit
    from onca.store import open_store

    try:
        targets = load_destinations(destinations) if destinations else DestinationSet()
    except DestinationConfigError as exc:
        fail(str(exc))
    policies, problems = load_policies(detections)
    for problem in problems:
        console.print(f"[yellow]content problem:[/yellow] {problem}", highlight=False)
    data_dir.mkdir(parents=True, exist_ok=True)
    metadata = open_store(store_url(store, data_dir))
    manager = AlertManager(metadata)
    engine = PolicyEngine(policies, metadata.compliance)
    dispatcher = Dispatcher(targets, on_attempts=manager.record_attempts) if len(targets) else None
    statuses: Counter[str] = Counter()
    alerts = 0
    try:
        for path in resources:
            evaluation = evaluate_file(path, engine)
            for problem in evaluation.problems:
                console.print(f"[red]bad resource:[/red] {problem}", highlight=False, markup=True)
            findings = [r.finding for r in evaluation.results if r.finding is not None]
            outcome = manager.process(findings)
            alerts += len(outcome.to_deliver)
            first = {alert_id: f for f, alert_id in zip(findings, outcome.alert_ids) if alert_id}
            if dispatcher is not None:
                for alert in outcome.to_deliver:
                    route_and_submit(metadata, dispatcher, targets, alert, first.get(alert.id))
            for result in evaluation.results:
                statuses[result.status] += 1
                if as_json:
                    typer.echo(orjson.dumps({
                        "policyId": result.policy_id, "resourceId": result.resource_id,
                        "resourceType": result.resource_type, "status": result.status, "error": result.error,
                        "previousStatus": result.previous_status}).decode())
    finally:
        if dispatcher is not None:
            dispatcher.drain(60.0)
            dispatcher.close()
        metadata.close()
    if not as_json:
        table = Table(title="Policy results")
        for column in ("policies", "PASS", "FAIL", "ERROR", "new alerts"):
            table.add_column(column, justify="right")
        table.add_row(f"{len(policies):,}", *(f"{statuses[s]:,}" for s in ("PASS", "FAIL", "ERROR")),
                      f"{alerts:,}")
        console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(policies_app, name="policies")
