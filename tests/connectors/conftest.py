from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.delivery.synapse import Homeserver, start_synapse


@pytest.fixture(scope="session")
def homeserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Homeserver]:
    """The real Synapse of the delivery tests (scripts/synapse-for-tests), for the matrix connector."""
    server = start_synapse(tmp_path_factory.mktemp("synapse-connectors"))
    yield server
    server.process.terminate()
    try:
        server.process.wait(timeout=20)
    except Exception:
        server.process.kill()
