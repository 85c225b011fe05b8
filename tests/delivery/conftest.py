from __future__ import annotations

from collections.abc import Iterator

import pytest

from .synapse import Homeserver, start_synapse


@pytest.fixture(scope="session")
def homeserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Homeserver]:
    server = start_synapse(tmp_path_factory.mktemp("synapse"))
    yield server
    server.process.terminate()
    try:
        server.process.wait(timeout=20)
    except Exception:
        server.process.kill()
