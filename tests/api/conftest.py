from __future__ import annotations

import pytest
from server_fixtures import Running, start_server

from onca.runtime.demo import example_detections


@pytest.fixture
def running(tmp_path):
    """A server running the example detections, with an admin token."""
    client, server, admin = start_server(tmp_path / "data", detections=[str(example_detections())])
    with client:
        yield Running(client, server, admin.token, admin.email)
