"""Bodies are refused before they are read (a viewer's 300 MB upload was spooled whole before its 403), and
values in the address out of any range answer a page, not a 500 (issue 15, defect 8)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.types import Message, Scope

OFFERED = 300 * 1024**2


def _post(
    app: FastAPI, path: str, *, cookie: str, length: int, declared: bool = True
) -> tuple[int, int]:
    """POST `length` bytes (declared in Content-Length, offered in 1 MB chunks) straight to the ASGI app;
    returns the status and how many bytes the app read."""
    read = 0
    chunk = b"x" * (1 << 20)

    async def receive() -> Message:
        nonlocal read
        if read >= length:
            return {"type": "http.disconnect"}
        read += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": read < length}

    status = 0

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 5000),
        "headers": [
            (b"host", b"testserver"),
            (b"cookie", cookie.encode()),
            (b"content-type", b"application/x-www-form-urlencoded"),
        ],
    }
    if declared:
        scope["headers"].append((b"content-length", str(length).encode()))
    asyncio.run(app(scope, receive, send))
    return status, read


def _cookie(client: TestClient) -> str:
    return f"tending_session={client.cookies['tending_session']}"


def test_a_viewers_upload_is_refused_before_it_is_read(
    app: FastAPI, cid: int, client_as: Callable[[str], TestClient]
) -> None:
    status, read = _post(
        app, f"/c/{cid}/imports", cookie=_cookie(client_as("viewer")), length=OFFERED
    )
    assert (status, read) == (403, 0)  # 300 MB read before the fix


def test_an_oversized_body_is_refused_before_it_is_read(
    app: FastAPI, cid: int, client_as: Callable[[str], TestClient]
) -> None:
    admin = _cookie(client_as("admin"))
    assert _post(app, f"/c/{cid}/imports", cookie=admin, length=3 * 1024**3) == (413, 0)
    assert _post(app, f"/c/{cid}/members/1/notes", cookie=admin, length=OFFERED) == (413, 0)


def test_a_body_without_length_is_cut_at_its_limit(
    app: FastAPI, cid: int, client_as: Callable[[str], TestClient]
) -> None:
    moderator = _cookie(client_as("moderator"))
    status, read = _post(
        app, f"/c/{cid}/members/1/notes", cookie=moderator, length=OFFERED, declared=False
    )
    assert status == 413 and read <= 2 << 20


def test_values_out_of_range_in_the_address(
    cid: int, client_as: Callable[[str], TestClient]
) -> None:
    client = client_as("viewer")
    page = client.get(f"/c/{cid}/members?as_of=9999-12-31")
    assert (
        page.status_code == 200 and "As of: a date such as 2026-03-01, please." in page.text
    )  # 500 before
    assert client.get(f"/c/{cid}/members/{'9' * 20}").status_code == 404  # 500 before
    assert client.get(f"/c/{'9' * 20}/overview").status_code == 404


def test_healthz_detail_is_for_admins(client_as: Callable[[str], TestClient], app: FastAPI) -> None:
    assert TestClient(app).get("/healthz?detail=1").text == "ok"
    assert client_as("viewer").get("/healthz?detail=1").text == "ok"
    detail = client_as("admin").get("/healthz?detail=1").json()
    assert detail == {"running": False, "workers": [], "stuck": {}}
