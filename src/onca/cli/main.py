"""The `onca` command: one Typer app, each command group in its own module.

A command module exposes `register(app)`; listing it in COMMAND_MODULES is all it takes to add it.
"""

from __future__ import annotations

import importlib

import typer

from onca.runtime.collector import tune_garbage_collector

app = typer.Typer(
    name="onca",
    help="Onca: a self-hosted security data lake and detection platform.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

COMMAND_MODULES = [
    "onca.cli.ingest_cmd",
    "onca.cli.schema_cmd",
    "onca.cli.query_cmd",
    "onca.cli.demo_cmd",
    "onca.cli.test_cmd",
    "onca.cli.destinations_cmd",
    "onca.cli.alerts_cmd",
    "onca.cli.policies_cmd",
    "onca.cli.serve_cmd",
    "onca.cli.users_cmd",
    "onca.cli.upload_cmd",
]



@app.callback()
def _every_command() -> None:
    tune_garbage_collector()  # before any command: ingest, detection and the server all allocate heavily


for _name in COMMAND_MODULES:
    try:
        _module = importlib.import_module(_name)
    except ModuleNotFoundError as exc:  # a command group not built yet
        if exc.name != _name:
            raise
        continue
    _module.register(app)


if __name__ == "__main__":
    app()
