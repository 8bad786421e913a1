"""Fixtures for the live engine: small content trees written inline, engines closed after each test."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from onca.detect.engine import Engine, EngineContent, EngineOptions, load_engine_content

LOG_TYPE = "AWS.CloudTrail"


def rule_yaml(
    rule_id: str,
    *,
    filename: str | None = None,
    severity: str = "Medium",
    extra: str = "",
    log_types: tuple[str, ...] = (LOG_TYPE,),
) -> str:
    source = f"Filename: {filename}" if filename else ""
    lines = [
        "AnalysisType: rule",
        f"RuleID: {rule_id}",
        "Enabled: true",
        f"Severity: {severity}",
        "LogTypes:",
        *[f"  - {log_type}" for log_type in log_types],
        source,
        textwrap.dedent(extra).strip("\n"),
    ]
    return "\n".join(line for line in lines if line) + "\n"


@pytest.fixture
def python_rule(content_tree: Callable[[dict[str, str]], Path]) -> Callable[..., Path]:
    """Add a Python rule ``<name>.yml`` + ``<name>.py`` to the content tree; returns the root."""

    def write(
        name: str,
        code: str,
        *,
        rule_id: str | None = None,
        severity: str = "Medium",
        extra: str = "",
        log_types: tuple[str, ...] = (LOG_TYPE,),
    ) -> Path:
        spec = rule_yaml(
            rule_id or f"Test.{name}",
            filename=f"{name}.py",
            severity=severity,
            extra=extra,
            log_types=log_types,
        )
        return content_tree({f"rules/{name}.yml": spec, f"rules/{name}.py": code})

    return write


@pytest.fixture
def make_engine(tmp_path: Path) -> Iterator[Callable[..., Engine]]:
    """``make_engine(root_or_content, **options)``: an Engine over the tree, closed after the test."""
    engines: list[Engine] = []

    def make(content: Path | EngineContent, **options: Any) -> Engine:
        if isinstance(content, Path):
            content = load_engine_content([content])
            assert content.problems == []
        options.setdefault("kv_url", f"sqlite:///{tmp_path / f'kv-{len(engines)}.sqlite3'}")
        engine = Engine(content, EngineOptions(**options))
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.close()
