"""The demo: loopback only, logged in by a one-time link."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tending.errors import UsageError
from tending.web.server import demo_app, is_loopback, serve_demo


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("localhost", True),
        ("::1", True),
        ("0.0.0.0", False),
        ("192.168.1.4", False),
        ("example.org", False),
    ],
)
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_the_demo_refuses_to_listen_beyond_this_machine(seeded: tuple[str, int], cid: int) -> None:
    with pytest.raises(UsageError, match="only listens on this machine"):
        serve_demo(seeded[0], cid, host="0.0.0.0", port=8765)


def test_the_demo_link_logs_in_from_loopback_only_as_often_as_needed(
    seeded: tuple[str, int], cid: int
) -> None:
    """The link worked once, and the login page then offered no way back into the demo: it now works
    while the demo runs (loopback only), and the login page says to open it again."""
    app, link = demo_app(seeded[0], cid)
    outsider = TestClient(app, client=("192.0.2.7", 4000))
    assert outsider.get(link, follow_redirects=False).headers["location"] == "/login"
    local = TestClient(app, client=("127.0.0.1", 4000))
    response = local.get(link, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == f"/c/{cid}/overview"
    page = local.get(f"/c/{cid}/overview")
    assert page.status_code == 200 and "demo-admin@localhost (admin)" in page.text
    again = TestClient(app, client=("127.0.0.1", 4001)).get(link, follow_redirects=False)
    assert again.headers["location"] == f"/c/{cid}/overview"  # a second tab, or after logging out
    wrong = TestClient(app, client=("127.0.0.1", 4002)).get(link + "x", follow_redirects=False)
    assert wrong.headers["location"] == "/login"
    login = TestClient(app, client=("127.0.0.1", 4003)).get("/login")
    assert "open again the link that tending demo printed" in login.text
    app.state.web.engine.dispose()


def test_without_demo_mode_there_is_no_demo_login(app: FastAPI, cid: int) -> None:
    client = TestClient(app, client=("127.0.0.1", 4000))
    assert (
        client.get("/demo-login?token=anything", follow_redirects=False).headers["location"]
        == "/login"
    )


def test_the_warmer_computes_each_overview_once_per_data_change(app: object, cid: int) -> None:
    from tending.web.views.overview import warm_overviews

    state = app.state.web  # type: ignore[attr-defined]
    assert warm_overviews(state) == 1
    assert warm_overviews(state) == 0  # nothing changed: nothing recomputed
    client = TestClient(app)  # type: ignore[arg-type]
    assert client.get("/healthz").text == "ok"


def test_the_warmer_precomputes_the_check_in_queue(app: object, cid: int) -> None:
    from tending.web.views.checkins import warm_checkins

    state = app.state.web  # type: ignore[attr-defined]
    warm_checkins(state)
    queues = [key for key in state.cache if key[0] == "checkins"]
    assert len(queues) == 1 and queues[0][1] == cid


def test_the_warmer_precomputes_the_states_and_segments(app: object, cid: int) -> None:
    from tending.web.views.members import warm_states

    state = app.state.web  # type: ignore[attr-defined]
    warm_states(state)
    (index,) = [
        value for key, value in state.cache.items() if key[0] == "member-states" and key[1] == cid
    ]
    assert list(index[("state", "newcomer")]) and ("segment", "lurkers") in index
