"""Shared by the equivalence tests: random events aimed at the index's key paths, and a comparison of the
engine's findings with and without the index."""

from __future__ import annotations

import copy
import random
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from onca.detect.engine import Engine, EngineContent, EngineOptions
from onca.detect.index import GuardReport

NOISE = ["Describe" + "Instances", "GetObject", "AssumeRole", "ListBuckets", "Decrypt", "", "x" * 3]


def guard_values(reports: Iterable[GuardReport]) -> dict[tuple[str, ...], list[str]]:
    """Per key path, the texts the guards name (prefixes get a random-looking tail, substrings surroundings)."""
    values: dict[tuple[str, ...], set[str]] = {}
    for report in reports:
        for atom in report.atoms:
            found = values.setdefault(atom.path, set())
            found.update(atom.values)
            found.update(prefix + "Tail" for prefix in atom.prefixes)
            found.update(atom.prefixes)
            found.update("Head" + "Mid".join(parts) + "Tail" for parts in atom.contains)
    return {path: sorted(texts) for path, texts in values.items()}


def _set(event: dict[str, Any], path: tuple[str, ...], value: Any, rng: random.Random) -> None:
    node = event
    for key in path[:-1]:
        child = node.get(key)
        if not isinstance(child, dict):
            child = node[key] = {}
        node = child
    last = path[-1]
    if value is _DROP:
        node.pop(last, None)
        return
    # Now and then the key comes in another case: the index must read it as event.get does.
    if rng.random() < 0.05:
        node.pop(last, None)
        last = last.upper()
    node[last] = value


_DROP = object()


def mutated(
    base: Mapping[str, Any], paths: Mapping[tuple[str, ...], list[str]], rng: random.Random, log_type: str
) -> dict[str, Any]:
    """``base`` (copied) with the index's key paths set to guard values, noise, nulls, numbers,
    containers, or removed."""
    event = copy.deepcopy(dict(base))
    for path, texts in paths.items():
        roll = rng.random()
        if roll < 0.35:
            continue
        if roll < 0.75 and texts:
            value: Any = rng.choice(texts)
        elif roll < 0.85:
            value = rng.choice(NOISE)
        else:
            value = rng.choice([None, _DROP, 5, True, {"k": "v"}, ["CreateUser"], 1.5])
        _set(event, path, value, rng)
    event["p_log_type"] = log_type
    return event


def signature(finding: Any, index_of: Mapping[int, int]) -> tuple[Any, ...]:
    return (
        index_of[id(finding.event)],
        finding.detection_id,
        finding.kind,
        finding.title,
        finding.dedup,
        finding.severity,
        finding.error,
        repr(sorted(finding.alert_context.items())),
    )


def findings_both_ways(
    content: EngineContent, log_type: str, events: list[dict[str, Any]], tmp_path: Path
) -> tuple[list[Any], list[Any]]:
    """The engine's findings over ``events`` (workers=0) with the index and with every rule."""
    index_of = {id(event): position for position, event in enumerate(events)}
    results = []
    for use_index in (True, False):
        kv = tmp_path / f"kv-{log_type}-{use_index}.sqlite3"
        options = EngineOptions(workers=0, use_index=use_index, timeout_seconds=60, kv_url=f"sqlite:///{kv}")
        with Engine(content, options) as engine:
            found = engine.evaluate(log_type, events)
        results.append([signature(finding, index_of) for finding in found])
    return results[0], results[1]
