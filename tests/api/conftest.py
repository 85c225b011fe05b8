"""The dashboard's story community (tests/web/conftest.py), one API token per role, and a client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tending.actions.api_tokens import do_add_token
from tending.store import open_store
from tests.web.conftest import EMAILS, NOW, app, cid, client_as, quick_password_hashing, seeded  # noqa: F401


@pytest.fixture
def tokens(seeded: tuple[str, int]) -> dict[str, str]:  # noqa: F811
    """A live API token for each of ada (admin), bruno (moderator) and chloe (viewer)."""
    engine = open_store(seeded[0])
    with engine.begin() as conn:
        made = {
            role: do_add_token(conn, email, actor="test", now=NOW).secret
            for role, email in EMAILS.items()
        }
    engine.dispose()
    return made


@pytest.fixture
def api(app: FastAPI) -> Iterator[TestClient]:  # noqa: F811
    with TestClient(app, base_url="http://testserver") as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
