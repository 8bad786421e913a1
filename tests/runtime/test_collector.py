"""The garbage collector settings every onca command starts with."""

import gc

import pytest
from typer.testing import CliRunner

from onca.cli.main import app
from onca.runtime.collector import YOUNG_GENERATION_THRESHOLD, tune_garbage_collector


@pytest.fixture(autouse=True)
def restore_thresholds():
    saved = gc.get_threshold()
    yield
    gc.set_threshold(*saved)


def test_young_generation_is_collected_less_often():
    gc.set_threshold(700, 10, 10)
    tune_garbage_collector()
    assert gc.get_threshold() == (YOUNG_GENERATION_THRESHOLD, 10, 10)


def test_a_higher_or_disabled_threshold_is_kept():
    gc.set_threshold(50_000, 5, 5)
    tune_garbage_collector()
    assert gc.get_threshold() == (50_000, 5, 5)
    gc.set_threshold(0, 10, 10)  # collection turned off on purpose
    tune_garbage_collector()
    assert gc.get_threshold() == (0, 10, 10)


def test_every_command_starts_with_it():
    gc.set_threshold(700, 10, 10)
    result = CliRunner().invoke(app, ["logtypes", "--json"])
    assert result.exit_code == 0
    assert gc.get_threshold()[0] == YOUNG_GENERATION_THRESHOLD
