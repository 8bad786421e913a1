"""Fixtures every test folder may use."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from loopback import Receiver


def _running_receiver() -> Iterator[Receiver]:
    server = Receiver()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A real HTTP receiver on loopback (tests/loopback.py), stopped after the test."""
    yield from _running_receiver()


@pytest.fixture
def other_receiver() -> Iterator[Receiver]:
    """A second receiver, for tests that move deliveries from one to the other."""
    yield from _running_receiver()
