"""Fixtures every test folder may use."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from loopback import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A real HTTP receiver on loopback (tests/loopback.py), stopped after the test."""
    server = Receiver()
    server.start()
    try:
        yield server
    finally:
        server.stop()
