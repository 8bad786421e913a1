"""docs/detections.md documents every option of `onca test` and every caching function."""

from __future__ import annotations

import typing
from pathlib import Path

import typer

from onca.cli import test_cmd
from onca.detect.platform import PLATFORM_MODULES

DOC = (Path(__file__).resolve().parents[2] / "docs" / "detections.md").read_text()


def test_detections_docs_cover_cli_options():
    options = []
    for hint in typing.get_type_hints(test_cmd.test, include_extras=True).values():
        info = hint.__metadata__[0] if hasattr(hint, "__metadata__") else None
        if isinstance(info, typer.models.OptionInfo):
            # Inside Annotated, typer reads a leading "--name" default as the option's name.
            declared = [info.default, *info.param_decls] if isinstance(info.default, str) else info.param_decls
            options += [name for name in declared if name.startswith("--")]
    assert options and all(f"`{name}" in DOC for name in options), [n for n in options if f"`{n}" not in DOC]


def test_detections_docs_cover_caching_api():
    caching = PLATFORM_MODULES["panther_detection_helpers.caching"]
    names = [name for name in vars(caching) if not name.startswith("_") and callable(getattr(caching, name))]
    assert names and [name for name in names if f"`{name}(" not in DOC] == []
